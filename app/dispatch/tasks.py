"""Scheduled work of the dispatch domain: day plans. Safe to run twice and in two processes."""

from __future__ import annotations

from app.db import transaction
from app.dispatch.planning import queue
from app.dispatch.planning.service import evening_before


def run_plan_requests() -> dict[str, int]:
    """Claim and run due plan requests; return counts by outcome."""
    return queue.run_due()


def plan_evening_before() -> int:
    """Queue tomorrow's plan of every dealer past its planning time; return how many."""
    with transaction():
        return evening_before()
