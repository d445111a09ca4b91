"""Sending the outbox: claim a message by conditional update, send it, record the outcome.

A message is never sent twice: only the process whose UPDATE … WHERE status='pending' changed
the row sends it, and a message whose outcome is unknown (the process died mid-send) is
marked failed, never retried.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select, update

from app.db import transaction, utcnow
from app.extensions import db
from app.notify.backends import SendError, backend
from app.notify.enums import MessageStatus
from app.notify.models import OutboundMessage, SmsOptOut
from app.notify.service import advance, release_time, waits_for_booking, zone_of
from app.retry import backoff

MAX_ATTEMPTS = 6
BACKOFF_BASE, BACKOFF_CAP = timedelta(seconds=30), timedelta(hours=1)
STUCK_AFTER = timedelta(minutes=10)
# Twilio codes that mean the number itself is not reachable by SMS.
OPTED_OUT_AT_CARRIER = "21610"
# Messages that ask the consumer to book: pointless once the job no longer waits for a booking.
BOOKING_REQUESTS = frozenset({"invitation", "nudge"})


def claim(message_id: int) -> bool:
    """Take a due pending message for sending; False if someone else took it or it is not due."""
    now = utcnow()
    with transaction():
        result = db.session.execute(
            update(OutboundMessage)
            .where(
                OutboundMessage.id == message_id,
                OutboundMessage.status == MessageStatus.PENDING,
                OutboundMessage.next_attempt_at <= now,
            )
            .values(
                status=MessageStatus.SENDING,
                attempts=OutboundMessage.attempts + 1,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
    return getattr(result, "rowcount", 0) == 1


def status_callback_url(message_id: int) -> str | None:
    """Where Twilio reports delivery; carries our id so an early callback finds the message."""
    base = current_app.config.get("TWILIO_STATUS_CALLBACK_URL")
    return f"{base}?m={message_id}" if base else None


def send_one(message_id: int) -> str:
    """Send one message if it can be claimed; return what happened."""
    if not claim(message_id):
        return "not claimed"
    message = db.session.get(OutboundMessage, message_id)
    assert message is not None
    db.session.refresh(message)
    # The job or the clock may have moved on since the message was queued (or the scheduler
    # fell behind): look again before it goes.
    reason = outdated(message, utcnow())
    if reason:
        return _drop(message_id, reason)
    release = release_time(utcnow(), _zone_of(message))
    if not message.urgent and release > utcnow():
        return _delay(message_id, release)
    try:
        sent = backend().send(
            to=message.to,
            body=message.secret_body or message.body,
            status_callback=status_callback_url(message.id),
        )
    except SendError as error:
        return _record_failure(message_id, error)
    with transaction():
        message = db.session.get(OutboundMessage, message_id)
        assert message is not None
        message.provider_id = sent.provider_id or None
        message.sent_at = utcnow()
        message.secret_body = None  # gone to the phone; the outbox keeps the masked text
        advance(
            message, MessageStatus.DELIVERED if sent.status == "delivered" else MessageStatus.SENT
        )
    return "sent"


def outdated(message: OutboundMessage, now: datetime) -> str | None:
    """Why a queued message should no longer be sent, if it should not."""
    from app.jobs.enums import JobStatus
    from app.jobs.models import Job

    job = db.session.get(Job, message.job_id) if message.job_id else None
    if job is None:
        return None
    if message.template in BOOKING_REQUESTS and not waits_for_booking(job):
        return f"job is {job.status}{', booked' if job.booking else ''}: no booking wanted"
    if message.template == "on_the_way":
        if job.status != JobStatus.EN_ROUTE:
            return f"visit moved on ({job.status})"
        eta_at = (message.payload or {}).get("eta_at")
        if eta_at and datetime.fromisoformat(eta_at) < now:
            return "arrival time already passed"
    return None


def _drop(message_id: int, reason: str) -> str:
    """Undo a claim and never send the message, saying why (like an opted-out number's)."""
    _unclaim(
        message_id,
        status=MessageStatus.SUPPRESSED,
        error_message=f"not sent: {reason}"[:300],
        secret_body=None,
    )
    return "skipped"


def _delay(message_id: int, release: datetime) -> str:
    """Undo a claim and leave the message pending until `release` (after quiet hours)."""
    _unclaim(message_id, status=MessageStatus.PENDING, next_attempt_at=release)
    return "delayed"


def _unclaim(message_id: int, **changes: Any) -> None:
    with transaction():
        message = db.session.get(OutboundMessage, message_id)
        assert message is not None
        message.attempts -= 1
        for name, value in changes.items():
            setattr(message, name, value)


def _record_failure(message_id: int, error: SendError) -> str:
    with transaction():
        message = db.session.get(OutboundMessage, message_id)
        assert message is not None
        message.error_code, message.error_message = error.code, error.message
        if error.code == OPTED_OUT_AT_CARRIER and db.session.get(SmsOptOut, message.to) is None:
            db.session.add(SmsOptOut(phone=message.to, keyword="carrier"))
        if error.transient and message.attempts < MAX_ATTEMPTS:
            message.status = MessageStatus.PENDING
            retry_at = utcnow() + backoff(message.attempts, BACKOFF_BASE, BACKOFF_CAP, jitter=0.5)
            if not message.urgent:  # a retry may not fall into the recipient's quiet hours
                retry_at = release_time(retry_at, _zone_of(message))
            message.next_attempt_at = retry_at
            return "retry"
        message.status = MessageStatus.FAILED
        message.secret_body = None
        return "failed"


def _zone_of(message: OutboundMessage) -> str:
    from app.jobs.models import Job

    return zone_of(db.session.get(Job, message.job_id) if message.job_id else None)


def send_due(limit: int = 100) -> dict[str, int]:
    """Send every due pending message (urgent first); return counts by outcome."""
    now = utcnow()
    ids = list(
        db.session.scalars(
            select(OutboundMessage.id)
            .where(
                OutboundMessage.status == MessageStatus.PENDING,
                OutboundMessage.next_attempt_at <= now,
            )
            .order_by(
                OutboundMessage.urgent.desc(), OutboundMessage.next_attempt_at, OutboundMessage.id
            )
            .limit(limit)
        )
    )
    db.session.commit()  # end the read; each send is its own short transaction
    outcomes: dict[str, int] = {}
    for message_id in ids:
        outcome = send_one(message_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def due_for(phone: str) -> list[int]:
    """Urgent messages to one number that may go now."""
    ids = list(
        db.session.scalars(
            select(OutboundMessage.id)
            .where(
                OutboundMessage.to == phone,
                OutboundMessage.status == MessageStatus.PENDING,
                OutboundMessage.urgent.is_(True),
                OutboundMessage.next_attempt_at <= utcnow(),
            )
            .order_by(OutboundMessage.id)
        )
    )
    db.session.commit()
    return ids


def expire_stuck() -> int:
    """Fail messages left in `sending` by a crashed sender: the provider may have them already."""
    cutoff = utcnow() - STUCK_AFTER
    with transaction():
        result = db.session.execute(
            update(OutboundMessage)
            .where(
                OutboundMessage.status == MessageStatus.SENDING, OutboundMessage.updated_at < cutoff
            )
            .values(
                status=MessageStatus.FAILED,
                error_code="unknown",
                error_message="send interrupted; not retried to avoid a double send",
                secret_body=None,
            )
            .execution_options(synchronize_session=False)
        )
    return int(getattr(result, "rowcount", 0) or 0)
