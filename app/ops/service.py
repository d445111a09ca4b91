"""Heartbeats, queue depths and readiness, read the same way by /readyz and /metrics."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text

from app.db import transaction, utcnow
from app.dispatch.models import PlanRequest
from app.extensions import db
from app.notify.enums import MessageStatus
from app.notify.models import OutboundMessage
from app.ops.models import ProcessHeartbeat

SCHEDULER = "scheduler"
# The scheduler beats every 15 s; three missed beats and more make it stale.
STALE_AFTER = timedelta(seconds=60)
_STARTED = utcnow()


def beat(name: str = SCHEDULER) -> datetime:
    """Record that this process is alive (one row per name, overwritten)."""
    now = utcnow()
    with transaction():
        row = db.session.get(ProcessHeartbeat, name)
        if row is None:
            row = ProcessHeartbeat(name=name, host=socket.gethostname(), pid=os.getpid())
            row.started_at = _STARTED
            db.session.add(row)
        row.host, row.pid, row.beat_at = socket.gethostname(), os.getpid(), now
    return now


def last_beat(name: str = SCHEDULER) -> ProcessHeartbeat | None:
    return db.session.get(ProcessHeartbeat, name)


@dataclass(frozen=True)
class Queues:
    """Work waiting for the scheduler: SMS due now, plan requests due now, the oldest of each."""

    sms_due: int
    sms_oldest_due_at: datetime | None
    plans_due: int
    plans_oldest_due_at: datetime | None


def queues(now: datetime | None = None) -> Queues:
    now = now or utcnow()
    sms = db.session.execute(
        select(func.count(), func.min(OutboundMessage.next_attempt_at)).where(
            OutboundMessage.status == MessageStatus.PENDING,
            OutboundMessage.next_attempt_at <= now,
        )
    ).one()
    plans = db.session.execute(
        select(func.count(), func.min(PlanRequest.due_at)).where(
            PlanRequest.status == "pending", PlanRequest.due_at <= now
        )
    ).one()
    return Queues(sms[0], sms[1], plans[0], plans[1])


def readiness() -> tuple[bool, dict[str, Any]]:
    """Whether this web process can serve (the database answers), and what is degraded.

    Not ready only when the database is down: a stale scheduler delays SMS and plans but the
    API still books safely, so it is reported as degraded, not taken out of the load balancer.
    """
    now = utcnow()
    checks: dict[str, Any] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = {"ok": True}
    except Exception as error:  # any driver error means the database cannot serve
        db.session.rollback()
        checks["database"] = {"ok": False, "error": type(error).__name__}
        return False, {"status": "unavailable", "checks": checks}
    row = last_beat()
    age = (now - row.beat_at).total_seconds() if row else None
    scheduler_ok = age is not None and age <= STALE_AFTER.total_seconds()
    checks["scheduler"] = {
        "ok": scheduler_ok,
        "last_beat_at": row.beat_at.isoformat() if row else None,
        "age_seconds": round(age, 1) if age is not None else None,
    }
    waiting = queues(now)
    checks["queues"] = {
        "ok": True,
        "sms_due": waiting.sms_due,
        "plans_due": waiting.plans_due,
    }
    return True, {"status": "ok" if scheduler_ok else "degraded", "checks": checks}
