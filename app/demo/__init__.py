"""Demo data: a deterministic Shanghai metro with brands, dealers, installers and jobs."""
