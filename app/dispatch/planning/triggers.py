"""Re-plan a day when one of its jobs is booked, moved, cancelled or fails, or when who can
work on it changes (time off, shifts, capacity blocks, an installer's settings)."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app, g, has_request_context
from sqlalchemy import delete, select

from app.auth.service import Actor
from app.db import utcnow
from app.dispatch.models import PlanLock
from app.dispatch.planning.day import PLANNABLE
from app.dispatch.planning.locks import lock_of, put_lock
from app.dispatch.planning.queue import has_plan, request_plan
from app.dispatch.planning.service import MAX_DAYS_AHEAD
from app.extensions import db
from app.jobs.models import Job, JobEvent
from app.jobs.signals import job_event
from app.network.models import Dealer
from app.network.signals import crew_changed
from app.scheduling.models import Booking
from app.scheduling.windows import local_today

# Events that change which jobs a day holds, or where; the planner's own events are not here.
TRIGGERS = frozenset(
    {
        "scheduled",
        "rescheduled",
        "booking_cancelled",
        "dependency_broken",
        "cancelled",
        "failed",
        "returned_to_dispatch",
        "booking_moved",
    }
)
# After these the job is no longer on the day its lock was made for.
DROPS_LOCK = frozenset(
    {"booking_cancelled", "dependency_broken", "cancelled", "returned_to_dispatch"}
)


def affected_days(job: Job, event: JobEvent) -> set[date]:
    """Return the local days the event changed: the booking's day, before and after."""
    found: set[date] = set()
    payload = event.payload or {}
    previous = payload.get("previous")
    for source in (payload, previous if isinstance(previous, dict) else {}):
        value = source.get("local_date")
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                found.add(date.fromisoformat(value))
    booked = db.session.scalar(select(Booking.local_date).where(Booking.job_id == job.id))
    if booked is not None:
        found.add(booked)
    return found


def replan_on_change(job: Job, event: JobEvent) -> int:
    """Queue a re-plan of each affected day that is planned, today or tomorrow; return how many."""
    if event.type not in TRIGGERS or job.dealer_id is None:
        return 0
    if event.type in DROPS_LOCK:
        db.session.execute(delete(PlanLock).where(PlanLock.job_id == job.id))
    elif event.type == "booking_moved" and event.actor_role in {"dealer", "admin"}:
        _keep_move(job, event)
    dealer = db.session.get(Dealer, job.dealer_id)
    if dealer is None:
        return 0
    today = local_today(dealer.timezone, utcnow())
    delay = timedelta(seconds=current_app.config["PLAN_DEBOUNCE_SECONDS"])
    queued = 0
    for day in sorted(affected_days(job, event)):
        if not _worth_replanning(dealer, day, today):
            continue
        request_plan(
            dealer.id,
            day,
            reason=f"{event.type} job {job.id}",
            requested_by=Actor(event.actor_role, event.actor_id).label,
            delay=delay,
        )
        queued += 1
    return queued


def _worth_replanning(dealer: Dealer, day: date, today: date) -> bool:
    """Today and tomorrow, and any later day already planned (a later day is planned when
    its evening comes, not dispatched early)."""
    return day >= today and (day <= today + timedelta(days=1) or has_plan(dealer.id, day))


def _keep_move(job: Job, event: JobEvent) -> None:
    """A dispatcher who moves a booking to an installer means it: keep it as a lock."""
    payload = event.payload or {}
    installer_id, day = payload.get("installer_id"), payload.get("local_date")
    if not isinstance(installer_id, int) or not isinstance(day, str):
        return
    current = lock_of(job)
    # A position on another installer's route means nothing here.
    kept = current.position if current and current.installer_id == installer_id else None
    assert job.dealer_id is not None
    put_lock(
        job,
        current=current,
        dealer_id=job.dealer_id,
        installer_id=installer_id,
        position=kept,
        local_date=date.fromisoformat(day),
        created_by=Actor(event.actor_role, event.actor_id).label,
    )


def booked_days(
    dealer: Dealer,
    installer_id: int | None,
    period: tuple[datetime, datetime] | None,
    weekdays: frozenset[int] | None,
) -> list[date]:
    """Return the dealer's days from today within the planning range that a change touches and
    that hold open bookings of the installer (of anyone, when installer_id is None)."""
    today = local_today(dealer.timezone, utcnow())
    first, last = today, today + timedelta(days=MAX_DAYS_AHEAD)
    if period is not None:
        first = max(first, local_today(dealer.timezone, period[0]))
        # An absence ending at midnight does not touch the next day.
        last = min(last, local_today(dealer.timezone, period[1] - timedelta(microseconds=1)))
    stmt = (
        select(Booking.local_date)
        .join(Job, Job.id == Booking.job_id)
        .where(
            Booking.dealer_id == dealer.id,
            Booking.local_date >= first,
            Booking.local_date <= last,
            Job.status.in_([str(s) for s in PLANNABLE]),
        )
        .distinct()
        .order_by(Booking.local_date)
    )
    if installer_id is not None:
        stmt = stmt.where(Booking.installer_id == installer_id)
    return [d for d in db.session.scalars(stmt) if weekdays is None or d.isoweekday() in weekdays]


def replan_on_crew_change(
    dealer_id: int,
    *,
    installer_id: int | None,
    period: tuple[datetime, datetime] | None,
    weekdays: frozenset[int] | None,
    reason: str,
) -> int:
    """Queue a re-plan of each booked day the change touches that is worth re-planning
    (today, tomorrow, or already planned); return how many."""
    dealer = db.session.get(Dealer, dealer_id)
    if dealer is None:
        return 0
    delay = timedelta(seconds=current_app.config["PLAN_DEBOUNCE_SECONDS"])
    today = local_today(dealer.timezone, utcnow())
    days = [
        day
        for day in booked_days(dealer, installer_id, period, weekdays)
        if _worth_replanning(dealer, day, today)
    ]
    for day in days:
        request_plan(dealer.id, day, reason=reason, requested_by=_changed_by(), delay=delay)
    return len(days)


def _changed_by() -> str:
    """Who made the crew change: the signed-in key or person of this request, else the system."""
    principal = g.get("principal") if has_request_context() else None
    if principal is None:
        return "system:crew"
    return principal.actor.label


def _on_job_event(job: Job, event: JobEvent, **_: Any) -> None:
    replan_on_change(job, event)


def _on_crew_change(dealer_id: int, **change: Any) -> None:
    replan_on_crew_change(dealer_id, **change)


def connect() -> None:
    """Subscribe re-planning to job events and crew changes (once per process)."""
    job_event.connect(_on_job_event, weak=False)
    crew_changed.connect(_on_crew_change, weak=False)
