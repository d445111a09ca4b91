"""The SMS outbox: queue a message with the change that causes it; opt-outs; quiet hours."""

from __future__ import annotations

import string
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, select

from app.auth.scoping import visible
from app.auth.service import Principal
from app.db import utcnow
from app.errors import NotFound, Unprocessable
from app.extensions import db
from app.notify.enums import RANK, MessageStatus
from app.notify.models import OutboundMessage, SmsOptOut, SmsTemplate
from app.notify.segments import count_segments
from app.notify.templates import (
    ALLOWED_AFTER_OPT_OUT,
    BRAND_TEMPLATES,
    DEFAULTS,
    URGENT,
    placeholders,
    render,
)
from app.scheduling.windows import localize

if TYPE_CHECKING:
    from app.jobs.models import Job

QUIET_FROM, QUIET_UNTIL = time(21), time(8)
LOCALES = ("zh-CN", "en")


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


def zone_of(job: Job | None) -> str:
    """The time zone for a job's messages: the job's, else the deployment default."""
    return job.timezone if job is not None else current_app.config["DEFAULT_TIMEZONE"]


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


def waits_for_booking(job: Job) -> bool:
    """Tell whether the consumer may still pick a window for this job (assigned, not booked)."""
    from app.jobs.enums import JobStatus

    return JobStatus(job.status) is JobStatus.ASSIGNED and job.booking is None


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
    masked: dict[str, str] | None = None,
) -> OutboundMessage:
    """Write a message to the outbox in the current transaction; the sender task sends it.

    A number that opted out gets nothing but the opt-out confirmation: the row is kept as
    `suppressed` so the record shows what was not sent and why. `masked` replaces secret
    context values (a sign-in code or link) in the body the outbox keeps and lists; the real
    text is kept apart only until the message is sent.
    """
    now = utcnow()
    text = template_text(template, locale, brand_id)
    body = render(text, context)
    parts = count_segments(body)
    urgent = template in URGENT if urgent is None else urgent
    suppressed = template not in ALLOWED_AFTER_OPT_OUT and is_opted_out(to)
    message = OutboundMessage(
        to=to,
        body=render(text, {**context, **masked}) if masked else body,
        secret_body=body if masked and not suppressed else None,
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


def advance(message: OutboundMessage, status: MessageStatus) -> bool:
    """Move a message forward (never back); a delivered invitation is the first contact."""
    if RANK[status] <= RANK[MessageStatus(message.status)]:
        return False
    message.status = status
    if status is MessageStatus.DELIVERED:
        message.delivered_at = utcnow()
        if message.template == "invitation" and message.job_id is not None:
            _record_contact(message)
    return True


def _record_contact(message: OutboundMessage) -> None:
    from app.auth.service import SYSTEM
    from app.jobs.models import Job, JobEvent
    from app.jobs.service import record_event

    seen = db.session.scalar(
        select(JobEvent.id).where(
            JobEvent.job_id == message.job_id, JobEvent.type == "consumer_contacted"
        )
    )
    job = db.session.get(Job, message.job_id)
    if seen is None and job is not None:
        record_event(job, "consumer_contacted", SYSTEM, payload={"message_id": message.id})


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
        message.secret_body = None
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


COMMON_PLACEHOLDERS = frozenset({"brand", "name", "dealer", "item", "service", "link"})


def allowed_placeholders(key: str) -> frozenset[str]:
    """Placeholders a template may use: the built-in wording's, plus the common ones."""
    used: set[str] = set()
    for text in DEFAULTS[key].values():
        used |= placeholders(text)
    return frozenset(used | COMMON_PLACEHOLDERS)


def check_locale(locale: str) -> None:
    """Refuse a locale we have no wording for (404: there is no such template)."""
    if locale not in LOCALES:
        raise NotFound(f"No templates in locale {locale!r}; use one of {', '.join(LOCALES)}.")


def check_text(body: str) -> set[str]:
    """Refuse a text that cannot be rendered: malformed braces, or a {name:spec} / {name!x}
    (format specs could fail or blow up at send time); return the placeholders it uses."""
    try:
        fields = list(string.Formatter().parse(body))
    except ValueError as error:
        raise Unprocessable(
            f"The template is malformed: {error}.", fields={"body": [str(error)]}
        ) from error
    for _, name, spec, conversion in fields:
        if name is not None and (spec or conversion or not name.isidentifier()):
            raise Unprocessable(
                "Placeholders are plain names in braces, like {name}; no formats or conversions.",
                fields={
                    "body": [
                        f"unsupported placeholder {{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}"
                    ]
                },
            )
    return {name for _, name, _, _ in fields if name}


def check_template(key: str, body: str) -> None:
    """Refuse a template text that could not be rendered for this message."""
    if key not in BRAND_TEMPLATES:
        raise Unprocessable(
            f"{key!r} is not a template brands can change; choose one of "
            f"{', '.join(sorted(BRAND_TEMPLATES))}.",
            fields={"key": ["not customisable"]},
        )
    used = check_text(body)
    unknown = used - allowed_placeholders(key)
    if unknown:
        raise Unprocessable(
            f"Unknown placeholders {sorted(unknown)}; allowed: {sorted(allowed_placeholders(key))}.",
            fields={"body": [f"unknown placeholder {{{name}}}" for name in sorted(unknown)]},
        )


def set_template(brand_id: int, key: str, locale: str, body: str) -> SmsTemplate:
    """Store a brand's own wording of a template."""
    check_locale(locale)
    check_template(key, body)
    row = db.session.scalar(
        select(SmsTemplate).where(
            SmsTemplate.brand_id == brand_id, SmsTemplate.key == key, SmsTemplate.locale == locale
        )
    )
    if row is None:
        row = SmsTemplate(brand_id=brand_id, key=key, locale=locale, body=body)
        db.session.add(row)
    else:
        row.body = body
    db.session.flush()
    return row


def reset_template(brand_id: int, key: str, locale: str) -> None:
    """Go back to the built-in wording."""
    check_locale(locale)
    row = db.session.scalar(
        select(SmsTemplate).where(
            SmsTemplate.brand_id == brand_id, SmsTemplate.key == key, SmsTemplate.locale == locale
        )
    )
    if row is None:
        raise NotFound(f"Brand {brand_id} has no own {key}/{locale} template.")
    db.session.delete(row)
    db.session.flush()


def brand_templates(brand_id: int) -> list[dict[str, Any]]:
    """Every brand template in every locale, the brand's own wording where set."""
    own = {
        (row.key, row.locale): row.body
        for row in db.session.scalars(select(SmsTemplate).where(SmsTemplate.brand_id == brand_id))
    }
    found = []
    for key in sorted(BRAND_TEMPLATES):
        for locale, default in sorted(DEFAULTS[key].items()):
            body = own.get((key, locale), default)
            found.append(
                {
                    "key": key,
                    "locale": locale,
                    "body": body,
                    "custom": (key, locale) in own,
                    "segments": count_segments(body).count,
                }
            )
    return found


def brand_template(brand_id: int, key: str, locale: str) -> dict[str, Any]:
    """One brand template in one locale, as listed."""
    return next(t for t in brand_templates(brand_id) if (t["key"], t["locale"]) == (key, locale))


def preview(
    *, template: str, locale: str, brand_id: int | None, context: dict[str, Any], body: str | None
) -> dict[str, Any]:
    """Render a template (or a draft text) and say what it costs to send."""
    if template not in DEFAULTS:
        raise Unprocessable(f"Unknown template {template!r}.", fields={"template": ["unknown"]})
    if body is not None and template in BRAND_TEMPLATES:
        check_template(template, body)
    elif body is not None:
        check_text(body)
    text = body if body is not None else template_text(template, locale, brand_id)
    rendered = render(text, context)
    parts = count_segments(rendered)
    return {
        "body": rendered,
        "encoding": parts.encoding,
        "units": parts.units,
        "segments": parts.count,
        "placeholders": sorted(placeholders(text)),
    }


def search_messages(principal: Principal, filters: dict[str, Any]) -> Select[OutboundMessage]:
    """Select the outbox rows a principal may see (a brand: its own), newest first."""
    stmt = visible(OutboundMessage, principal).order_by(OutboundMessage.id.desc())
    for field in ("job_id", "status", "to"):
        if filters.get(field) is not None:
            stmt = stmt.where(getattr(OutboundMessage, field) == filters[field])
    return stmt
