"""Replies from consumers: STOP/START/HELP keywords, 1-2-3 to book an offered window, LINK."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from app.auth.links import link_url
from app.auth.service import Actor
from app.db import utcnow
from app.errors import AppError
from app.extensions import db
from app.jobs.enums import JobStatus
from app.jobs.models import Job
from app.jobs.service import existing_feedback
from app.notify.models import InboundMessage, OutboundMessage
from app.notify.reactions import job_context
from app.notify.service import opt_in, opt_out, queue_sms, waits_for_booking, zone_of

# Twilio's Advanced Opt-Out keywords (carriers hold the sender to them), and the forms Chinese
# consumers use: 回复TD/T退订 is the usual footer, 退定 a common slip, the rest translations.
STOP_WORDS = frozenset(
    {
        *("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"),
        *("TD", "T", "退订", "退定", "取消订阅", "取消", "退出", "停止", "结束", "拒收"),
    }
)
START_WORDS = frozenset({"START", "UNSTOP", "YES", "订阅", "重新订阅", "开始"})
HELP_WORDS = frozenset({"HELP", "INFO", "帮助"})
LINK_WORDS = frozenset({"LINK", "链接"})
HELP_AGAIN_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class Reply:
    inbound: InboundMessage
    queued: list[OutboundMessage]


def keyword(body: str) -> str:
    """The reply as a keyword: full-width folded, upper case, without surrounding spaces or
    punctuation ("Stop.", "退订。", " ２ ")."""
    # NFKC folds full-width input from Chinese keyboards ("１", "ＴＤ") into plain characters.
    word = unicodedata.normalize("NFKC", body).strip().upper()
    start, end = 0, len(word)
    while start < end and _ignorable(word[start]):
        start += 1
    while end > start and _ignorable(word[end - 1]):
        end -= 1
    return word[start:end]


def _ignorable(char: str) -> bool:
    return char.isspace() or unicodedata.category(char).startswith("P")


def _latest_job(phone: str) -> Job | None:
    return db.session.scalar(
        select(Job)
        .where(Job.consumer_phone == phone)
        .order_by(Job.created_at.desc(), Job.id.desc())
    )


def _locale(phone: str, job: Job | None) -> str:
    if job is not None:
        return job.consumer_locale
    return "zh-CN" if phone.startswith("+86") else "en"


def handle(provider_id: str, phone: str, body: str) -> Reply:
    """Act on an inbound SMS once (a webhook retried by the provider is not acted on twice)."""
    existing = db.session.scalar(
        select(InboundMessage).where(InboundMessage.provider_id == provider_id)
    )
    if existing is not None:
        return Reply(existing, [])
    inbound = InboundMessage(provider_id=provider_id, from_number=phone, body=body[:1600])
    db.session.add(inbound)
    # Claim the MessageSid before acting: a concurrent copy of this webhook waits here until
    # the first commits, then fails on the unique provider_id (and the webhook looks again).
    db.session.flush()
    job = _latest_job(phone)
    inbound.job_id = job.id if job else None
    word = keyword(body)
    offer = _offer(phone, int(word)) if word in {"1", "2", "3"} else None
    queued: list[OutboundMessage] = []

    def reply(template: str, **context: str) -> None:
        queued.append(
            queue_sms(
                to=phone,
                template=template,
                locale=_locale(phone, job),
                context=context,
                zone=zone_of(job),
                brand_id=job.brand_id if job else None,
                job_id=job.id if job else None,
                urgent=True,  # an answer to what the consumer just sent
            )
        )

    if word in STOP_WORDS:
        opt_out(phone, word)
        inbound.action = "opted_out"
        reply("opted_out")
    elif word in START_WORDS:
        opt_in(phone)
        inbound.action = "opted_in"
        reply("opted_in")
    elif word in HELP_WORDS:
        inbound.action = "help"
        reply("help")
    elif word in LINK_WORDS and job is not None:
        inbound.action = "link"
        _answer_link(job, reply)
    elif offer is not None:
        inbound.action = _book_offer(phone, int(word), *offer, reply)
    elif _helped_recently(phone):
        inbound.action = "ignored"
    elif word in {"1", "2", "3"} and job is not None and not waits_for_booking(job):
        # The offer is over (booked, visited, cancelled): say where the job stands instead.
        inbound.action = "offer_closed"
        _answer_link(job, reply)
    else:
        inbound.action = "not_understood"
        reply("reply_not_understood")
    db.session.flush()
    return Reply(inbound, queued)


def _answer_link(job: Job, reply: Callable[..., None]) -> None:
    """Send the link that fits the job now: book it, manage the booking, or rate the visit."""
    context = job_context(job)
    status = JobStatus(job.status)
    if status is JobStatus.COMPLETED and existing_feedback(job) is None:
        reply("completed", **{**context, "link": link_url(job.id, "feedback")})
    elif status in {JobStatus.COMPLETED, JobStatus.CANCELLED}:
        reply("reply_nothing_open", **context)
    elif job.booking is not None:
        reply("confirmed", **{**context, "link": link_url(job.id, "book")})
    else:
        reply("nudge", **{**context, "link": link_url(job.id, "book")})


def _helped_recently(phone: str) -> bool:
    """Tell whether this number got an automatic "that did not work" answer within the hour."""
    since = utcnow() - HELP_AGAIN_AFTER
    return (
        db.session.scalar(
            select(InboundMessage.id).where(
                InboundMessage.from_number == phone,
                InboundMessage.action.in_(["not_understood", "offer_closed"]),
                InboundMessage.received_at >= since,
            )
        )
        is not None
    )


def _offer(phone: str, choice: int) -> tuple[Job, datetime] | None:
    """The window numbered `choice` in the last invitation actually sent to this number, while
    its job still waits for a booking; None when there is no such offer."""
    invitation = db.session.scalar(
        select(OutboundMessage)
        .where(
            OutboundMessage.to == phone,
            OutboundMessage.template == "invitation",
            OutboundMessage.sent_at.is_not(None),
        )
        .order_by(OutboundMessage.sent_at.desc(), OutboundMessage.id.desc())
    )
    if invitation is None or invitation.job_id is None:
        return None
    offered = (invitation.payload or {}).get("offered", [])
    job = db.session.get(Job, invitation.job_id)
    if job is None or choice > len(offered) or not waits_for_booking(job):
        return None
    return job, datetime.fromisoformat(offered[choice - 1])


def _book_offer(
    phone: str, choice: int, job: Job, start: datetime, reply: Callable[..., None]
) -> str:
    """Book the offered window the consumer chose."""
    from app.scheduling.service import book

    try:
        with db.session.begin_nested():
            book(job, start, Actor("consumer", f"sms:{phone}"))
    except AppError:
        reply("reply_window_gone", **{**job_context(job), "link": link_url(job.id, "book")})
        return "window_gone"
    return f"booked_{choice}"
