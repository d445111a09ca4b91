"""Day plans: load a dealer's day, solve it, write a versioned plan, re-plan on change."""
