"""How long to wait before trying again: shared by every domain that retries work."""

from __future__ import annotations

import random
from datetime import timedelta


def backoff(
    attempts: int,
    base: timedelta,
    cap: timedelta,
    *,
    jitter: float = 0.0,
    rng: random.Random | None = None,
) -> timedelta:
    """How long to wait after the n-th failure in a row: min(cap, base × 2^(n-1)), less up to
    `jitter` of it at random so that many retries spread out."""
    ceiling = min(cap, base * 2 ** min(max(attempts - 1, 0), 30))
    return ceiling * (rng or random).uniform(1 - jitter, 1.0) if jitter else ceiling
