"""The SMS outbox: queue a message with the change that causes it; opt-outs; quiet hours."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.db import utcnow
from app.extensions import db
from app.notify.enums import MessageStatus
from app.notify.models import OutboundMessage, SmsOptOut, SmsTemplate
from app.notify.segments import count_segments
from app.notify.templates import ALLOWED_AFTER_OPT_OUT, BRAND_TEMPLATES, DEFAULTS, URGENT, render
from app.scheduling.windows import localize

QUIET_FROM, QUIET_UNTIL = time(21), time(8)


def is_opted_out(phone: str) -> bool:
    """Tell whether a number has unsubscribed."""
    return db.session.get(SmsOptOut, phone) is not None


def template_text(key: str, locale: str, brand_id: int | None) -> str:
    """The wording of a template: the brand's own if it set one, else the built-in one."""
    if key not in DEFAULTS:
        raise KeyError(f"unknown SMS template {key!r}")
    locale = locale if locale in DEFAULTS[key] else "en"
    if brand_id is not None and key in BRAND_TEMPLATES:
        own = db.session.scalar(
            select(SmsTemplate.body).where(
                SmsTemplate.brand_id == brand_id,
                SmsTemplate.key == key,
                SmsTemplate.locale == locale,
            )
        )
        if own:
            return own
    return DEFAULTS[key][locale]


def release_time(now: datetime, zone: str) -> datetime:
    """The first moment outside quiet hours (21:00–08:00 in the recipient's zone)."""
    tz = ZoneInfo(zone)
    local = now.astimezone(tz)
    if QUIET_UNTIL <= local.time() < QUIET_FROM:
        return now
    day = local.date() if local.time() < QUIET_UNTIL else local.date() + timedelta(days=1)
    morning = localize(day, QUIET_UNTIL, tz)
    assert morning is not None  # 08:00 exists on every day in every zone we serve
    return morning


def queue_sms(
    *,
    to: str,
    template: str,
    locale: str,
    context: dict[str, Any],
    zone: str,
    brand_id: int | None = None,
    job_id: int | None = None,
    urgent: bool | None = None,
    dedupe_key: str | None = None,
    payload: dict[str, Any] | None = None,
) -> OutboundMessage:
    """Write a message to the outbox in the current transaction; the sender task sends it.

    A number that opted out gets nothing but the opt-out confirmation: the row is kept as
    `suppressed` so the record shows what was not sent and why.
    """
    now = utcnow()
    body = render(template_text(template, locale, brand_id), context)
    parts = count_segments(body)
    urgent = template in URGENT if urgent is None else urgent
    suppressed = template not in ALLOWED_AFTER_OPT_OUT and is_opted_out(to)
    message = OutboundMessage(
        to=to,
        body=body,
        template=template,
        locale=locale,
        encoding=parts.encoding,
        segments=parts.count,
        urgent=urgent,
        status=MessageStatus.SUPPRESSED if suppressed else MessageStatus.PENDING,
        next_attempt_at=now if urgent else release_time(now, zone),
        error_message="recipient opted out" if suppressed else None,
        job_id=job_id,
        brand_id=brand_id,
        dedupe_key=dedupe_key,
        payload=payload or {},
        created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    return message


def opt_out(phone: str, keyword: str) -> bool:
    """Record an opt-out; return False when the number had already opted out."""
    if is_opted_out(phone):
        return False
    db.session.add(SmsOptOut(phone=phone, keyword=keyword))
    # Anything still waiting for this number is not sent.
    for message in db.session.scalars(
        select(OutboundMessage).where(
            OutboundMessage.to == phone,
            OutboundMessage.status == MessageStatus.PENDING,
            OutboundMessage.template.not_in(ALLOWED_AFTER_OPT_OUT),
        )
    ):
        message.status = MessageStatus.SUPPRESSED
        message.error_message = "recipient opted out"
    db.session.flush()
    return True


def opt_in(phone: str) -> bool:
    """Remove an opt-out; return False when there was none."""
    row = db.session.get(SmsOptOut, phone)
    if row is None:
        return False
    db.session.delete(row)
    db.session.flush()
    return True
