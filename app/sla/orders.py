"""An order's SLA, from its visits' clocks: the order is assigned, contacted and scheduled
when its first visit is, completed when its last visit is, and on time or right the first
time only while every visit is."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.jobs.enums import JobStatus
from app.jobs.models import Order
from app.sla.metrics import job_clocks

FIRST_VISIT = ("assign", "contact", "schedule")
LAST_VISIT = ("complete",)
EVERY_VISIT = ("arrival", "first_visit")
# The worse state wins when every visit's promise counts.
WORST_FIRST = ("breached", "at_risk", "ok", "met", "n/a")


def order_clocks(order: Order, now: datetime) -> dict[str, Any]:
    """The order's promises, each taken from the visit that decides it, and every visit's."""
    visits = [v for v in order.visits if JobStatus(v.status) is not JobStatus.CANCELLED]
    visits = visits or list(order.visits)
    per_visit = {v.id: {c["sla"]: c for c in job_clocks(v.id, now)} for v in order.visits}
    first, last = visits[0], visits[-1]
    clocks = []
    for sla in FIRST_VISIT + LAST_VISIT + EVERY_VISIT:
        if sla in EVERY_VISIT:
            found = [(v.id, per_visit[v.id][sla]) for v in visits if sla in per_visit[v.id]]
            if not found:
                continue
            job_id, clock = min(found, key=lambda pair: WORST_FIRST.index(pair[1]["state"]))
        else:
            decides = first if sla in FIRST_VISIT else last
            if sla not in per_visit[decides.id]:
                continue
            job_id, clock = decides.id, per_visit[decides.id][sla]
        clocks.append({**clock, "job_id": job_id})
    return {
        "order_id": order.id,
        "clocks": clocks,
        "visits": [
            {
                "job_id": v.id,
                "sequence": v.sequence,
                "kind": v.kind,
                "status": v.status,
                "clocks": list(per_visit[v.id].values()),
            }
            for v in order.visits
        ],
    }
