"""Keep each job's SLA facts current from its event log (same transaction as the event)."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, or_, select

from app.db import utcnow
from app.extensions import db
from app.jobs.models import Job, JobEvent
from app.jobs.signals import job_event
from app.notify.service import QUIET_FROM, QUIET_UNTIL
from app.sla.clock import Calendar, Clock, Overlap, add_business_time, contactable
from app.sla.models import TIMED_PROMISES, JobSla, SlaPolicy
from app.sla.policies import calendar_of, policy_for, region_of

log = logging.getLogger(__name__)
RISK_SHARE = 0.2  # at risk when less than this share of the target time is left
# Events that show the consumer was reached, besides the delivered invitation: a window
# booked (by the consumer through the link, or by the dealer on the phone with them).
CONTACT_EVENTS = ("consumer_contacted", "scheduled")


def clock_for(promise: str, calendar: Calendar | None, zone: str) -> Clock | None:
    """The time a promise's clock runs in: the policy's business hours (None: all the time);
    the contact clock also stops in the consumer's quiet hours (21:00–08:00 in the job's
    zone), when no invitation may be texted."""
    if promise != "contact":
        return calendar
    quiet = contactable(zone, QUIET_UNTIL, QUIET_FROM)
    return quiet if calendar is None else Overlap(calendar, quiet)


def _start(job: Job, at: datetime) -> JobSla:
    """The facts of a new job: its policy version and every deadline."""
    region_id = region_of(job.brand_id, job.lat, job.lon)
    policy = policy_for(job.brand_id, job.category, region_id, at)
    facts = JobSla(
        job_id=job.id,
        brand_id=job.brand_id,
        dealer_id=job.dealer_id,
        category=job.category,
        region_id=region_id,
        policy_id=policy.id if policy else None,
        created_at=at,
        failed_visits=0,
        track_first_visit=policy.track_first_visit if policy else False,
        arrival_tolerance_minutes=policy.arrival_tolerance_minutes if policy else None,
    )
    if policy is not None:
        calendar = calendar_of(job.brand_id) if policy.business_hours else None
        set_deadlines(facts, policy, calendar, job.timezone)
    db.session.add(facts)
    return facts


def set_deadlines(
    facts: JobSla,
    policy: SlaPolicy,
    calendar: Calendar | None,
    zone: str,
    *,
    open_only: bool = False,
) -> None:
    """Each promise's deadline, and when it turns at risk, counted in the policy's time
    (see `clock_for`; `zone` is the job's).

    With `open_only`, promises already kept keep their deadlines (a calendar change
    moves only what is still running).
    """
    for promise, kept in TIMED_PROMISES.items():
        minutes = getattr(policy, f"{promise}_minutes")
        if minutes is None or (open_only and getattr(facts, kept) is not None):
            continue
        due, risk = f"{promise}_due", f"{promise}_risk_at"
        clock = clock_for(promise, calendar, zone)
        try:
            setattr(
                facts,
                due,
                add_business_time(facts.created_at, timedelta(minutes=minutes), clock),
            )
            share = timedelta(minutes=minutes * (1 - RISK_SHARE))
            setattr(facts, risk, add_business_time(facts.created_at, share, clock))
        except ValueError:
            # A calendar too sparse for the target: the promise has no deadline rather
            # than the order being refused.
            log.warning("no %s for job %s: business calendar too sparse", due, facts.job_id)
            setattr(facts, due, None)
            setattr(facts, risk, None)


def recompute_open_deadlines(brand_id: int) -> int:
    """After a calendar change: move the running deadlines of the brand's business-hours jobs."""
    calendar = calendar_of(brand_id)
    stmt = (
        select(JobSla, SlaPolicy, Job.timezone)
        .join(SlaPolicy, SlaPolicy.id == JobSla.policy_id)
        .join(Job, Job.id == JobSla.job_id)
        .where(
            JobSla.brand_id == brand_id,
            SlaPolicy.business_hours.is_(True),
            JobSla.cancelled_at.is_(None),
            or_(*(getattr(JobSla, kept).is_(None) for kept in TIMED_PROMISES.values())),
        )
    )
    count = 0
    for facts, policy, zone in db.session.execute(stmt):
        set_deadlines(facts, policy, calendar, zone, open_only=True)
        count += 1
    db.session.flush()
    return count


def _window(payload: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    start, end = payload.get("window_start"), payload.get("window_end")
    return (
        datetime.fromisoformat(start) if start else None,
        datetime.fromisoformat(end) if end else None,
    )


def _arrival_due(facts: JobSla) -> datetime | None:
    """Arrived on time means by the booked window's end plus the policy's tolerance."""
    if facts.window_end is None or facts.arrival_tolerance_minutes is None:
        return None
    return facts.window_end + timedelta(minutes=facts.arrival_tolerance_minutes)


def _local_day(moment: datetime | None, job: Job) -> date | None:
    return moment.astimezone(ZoneInfo(job.timezone)).date() if moment else None


def apply(facts: JobSla, job: Job, event: JobEvent, at: datetime) -> None:
    """Move a job's SLA facts on by one event."""
    kind = event.type
    facts.dealer_id = job.dealer_id
    if kind in CONTACT_EVENTS or event.actor_role == "consumer":
        # The earliest sign the consumer was reached (a delivery report can arrive late).
        facts.contacted_at = min(facts.contacted_at or at, at)
    if kind in ("assigned", "reassigned") and facts.assigned_at is None:
        facts.assigned_at = at
    elif kind in ("scheduled", "rescheduled", "booking_moved"):
        facts.scheduled_at = facts.scheduled_at or at
        start, end = _window(event.payload or {})
        if end is not None:  # only events that name the window move it
            facts.window_start, facts.window_end = start, end
            if facts.arrived_at is None:
                facts.arrival_due = _arrival_due(facts)
            if facts.plan_issue_date != _local_day(start, job):
                facts.plan_issue_date = None  # moved off the day the issue was about
    elif kind in ("booking_cancelled", "dependency_broken", "returned_to_dispatch"):
        facts.window_start = facts.window_end = None
        facts.plan_issue_date = None
        if facts.arrived_at is None:
            facts.arrival_due = None
    elif kind == "plan_issue":
        day = (event.payload or {}).get("date")
        if day and date.fromisoformat(day) == _local_day(facts.window_start, job):
            facts.plan_issue_date = date.fromisoformat(day)
    elif kind == "plan_issue_resolved":
        facts.plan_issue_date = None
    elif kind == "on_site" and facts.arrived_at is None:
        facts.arrived_at = at
    elif kind == "failed":
        facts.failed_visits += 1
        if facts.first_visit_ok is None:
            facts.first_visit_ok = False
    elif kind == "completed":
        facts.completed_at = at
        if facts.first_visit_ok is None:
            facts.first_visit_ok = True
    elif kind == "cancelled":
        facts.cancelled_at = at


def _on_job_event(job: Job, event: JobEvent, **_: Any) -> None:
    at = event.occurred_at or utcnow()
    if event.type == "created" and event.from_status is None:  # intake, not a return to created
        db.session.flush()  # the job needs its id
        _start(job, at)
        return
    facts = db.session.get(JobSla, job.id)
    if facts is not None:
        apply(facts, job, event, at)


def connect() -> None:
    """Subscribe the SLA facts to job events (once per process)."""
    job_event.connect(_on_job_event, weak=False)


def rebuild() -> int:
    """Recompute SLA facts from the event logs (after a policy import or a data repair)."""
    jobs = list(db.session.scalars(select(Job).order_by(Job.id)))
    db.session.execute(delete(JobSla).where(JobSla.job_id.in_([j.id for j in jobs])))
    for job in jobs:
        events = list(
            db.session.scalars(
                select(JobEvent).where(JobEvent.job_id == job.id).order_by(JobEvent.id)
            )
        )
        if not events:
            continue
        facts = _start(job, events[0].occurred_at)
        for event in events[1:]:
            apply(facts, job, event, event.occurred_at)
    db.session.flush()
    return len(jobs)
