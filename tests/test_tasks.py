"""The shared retry backoff of scheduled work (SMS sends, SLA alerts, day plans)."""

from __future__ import annotations

import random
from datetime import timedelta

from app.retry import backoff

BASE, CAP = timedelta(minutes=5), timedelta(hours=1)


def test_backoff_doubles_up_to_the_cap():
    waits = [backoff(n, BASE, CAP) for n in range(0, 8)]
    assert [w // timedelta(minutes=1) for w in waits] == [5, 5, 10, 20, 40, 60, 60, 60]
    assert backoff(10_000, BASE, CAP) == CAP, "no overflow after many failures"


def test_jitter_takes_off_at_most_its_share():
    rng = random.Random(7)
    waits = [backoff(3, BASE, CAP, jitter=0.5, rng=rng) for _ in range(500)]
    assert all(timedelta(minutes=10) <= w <= timedelta(minutes=20) for w in waits)
    assert len(set(waits)) > 400, "spread out, not one value"
