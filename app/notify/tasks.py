"""Scheduled SMS work: send the outbox, day-before reminders, nudges. Safe to run twice."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.auth.links import link_url
from app.db import transaction, utcnow
from app.extensions import db
from app.jobs.enums import JobStatus
from app.jobs.models import Job, JobEvent
from app.notify import sender
from app.notify.models import OutboundMessage
from app.notify.reactions import job_context
from app.notify.service import queue_sms
from app.scheduling.dependencies import bookable_now
from app.scheduling.models import Booking
from app.scheduling.windows import localize

REMINDER_AT = time(10)  # local time, the day before the visit
MAX_NUDGES = 2


def send_outbox() -> dict[str, int]:
    """Send due messages."""
    return sender.send_due()


def expire_stuck() -> int:
    """Fail interrupted sends."""
    return sender.expire_stuck()


def _queue_once(dedupe_key: str, **message: Any) -> bool:
    """Queue a message unless one with this key exists; a concurrent scheduler loses cleanly."""
    try:
        with db.session.begin_nested():
            queue_sms(dedupe_key=dedupe_key, **message)
    except IntegrityError:
        return False
    return True


def _existing(keys: list[str]) -> set[str]:
    if not keys:
        return set()
    stmt = select(OutboundMessage.dedupe_key).where(OutboundMessage.dedupe_key.in_(keys))
    return {key for key in db.session.scalars(stmt) if key}


def day_before_reminders() -> int:
    """Remind each consumer once, from 10:00 the day before their visit; return how many queued."""
    now = utcnow()
    queued = 0
    with transaction():
        rows = list(
            db.session.execute(
                select(Booking, Job)
                .join(Job, Job.id == Booking.job_id)
                .where(
                    Booking.window_start > now,
                    Booking.window_start < now + timedelta(hours=48),
                    Job.status.in_([JobStatus.SCHEDULED, JobStatus.DISPATCHED]),
                )
                .order_by(Booking.window_start, Booking.id)
            ).all()
        )
        keys = {
            job.id: f"reminder:{job.id}:{booking.window_start.isoformat()}" for booking, job in rows
        }
        done = _existing(list(keys.values()))
        for booking, job in rows:
            zone = ZoneInfo(job.timezone)
            day = booking.window_start.astimezone(zone).date()
            due = localize(day - timedelta(days=1), REMINDER_AT, zone)
            # Booked after the reminder hour: the confirmation just sent is reminder enough.
            if due is None or now < due or booking.created_at >= due or keys[job.id] in done:
                continue
            context = job_context(job)
            context["link"] = link_url(job.id, "book")
            queued += _queue_once(
                keys[job.id],
                to=job.consumer_phone,
                template="reminder",
                locale=job.consumer_locale,
                context=context,
                zone=job.timezone,
                brand_id=job.brand_id,
                job_id=job.id,
            )
    return queued


def nudge_unbooked() -> int:
    """Nudge consumers who got an invitation but booked nothing: N hours after the last message
    or the job's return to waiting for a booking, whichever is later; twice at most."""
    now = utcnow()
    every = timedelta(hours=current_app.config["NUDGE_AFTER_HOURS"])
    queued = 0
    with transaction():
        asked = _last_asked()
        waiting = _back_to_assigned()
        jobs = db.session.scalars(
            select(Job)
            .where(Job.status == JobStatus.ASSIGNED, Job.id.in_(list(asked)))
            .order_by(Job.id)
        )
        keys = [f"nudge:{job_id}:{n}" for job_id in asked for n in range(1, MAX_NUDGES + 1)]
        done = _existing(keys)
        for job in jobs:
            if job.booking is not None or not bookable_now(job):
                continue  # booked, or waiting for goods or an earlier visit: nothing to pick
            sent = sum(f"nudge:{job.id}:{n}" in done for n in range(1, MAX_NUDGES + 1))
            since = max(asked[job.id], waiting.get(job.id, asked[job.id]))
            if sent >= MAX_NUDGES or now < since + every:
                continue
            context = job_context(job)
            context["link"] = link_url(job.id, "book")
            queued += _queue_once(
                f"nudge:{job.id}:{sent + 1}",
                to=job.consumer_phone,
                template="nudge",
                locale=job.consumer_locale,
                context=context,
                zone=job.timezone,
                brand_id=job.brand_id,
                job_id=job.id,
            )
    return queued


def _last_asked() -> dict[int, datetime]:
    """Per waiting job: when the consumer was last asked to book (invitation or nudge)."""
    rows = db.session.execute(
        select(OutboundMessage.job_id, func.max(OutboundMessage.created_at))
        .join(Job, Job.id == OutboundMessage.job_id)
        .where(
            Job.status == JobStatus.ASSIGNED,
            OutboundMessage.template.in_(sorted(sender.BOOKING_REQUESTS)),
        )
        .group_by(OutboundMessage.job_id)
    )
    return {job_id: at for job_id, at in rows if job_id is not None}


def _back_to_assigned() -> dict[int, datetime]:
    """Per waiting job: when it last became `assigned` (dealer chosen, visit failed, released)."""
    rows = db.session.execute(
        select(JobEvent.job_id, func.max(JobEvent.occurred_at))
        .join(Job, Job.id == JobEvent.job_id)
        .where(Job.status == JobStatus.ASSIGNED, JobEvent.to_status == JobStatus.ASSIGNED)
        .group_by(JobEvent.job_id)
    )
    return {job_id: at for job_id, at in rows}
