"""What the consumer is told when their job changes: one SMS per event that matters to them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.auth.links import link_url
from app.db import utcnow
from app.errors import AppError
from app.extensions import db
from app.i18n import day_label, word
from app.jobs.enums import JobStatus
from app.jobs.models import Job, JobEvent
from app.jobs.signals import job_event
from app.network.models import Brand, Dealer, Installer
from app.notify.models import OutboundMessage
from app.notify.service import queue_sms
from app.scheduling.dependencies import bookable_now, dependents

SERVICE = {
    "zh-CN": {
        "delivery": "送货",
        "install": "安装",
        "delivery_install": "送货安装",
        "repair": "维修",
        "haul_away": "拆旧带走",
        "inspection": "上门检测",
    },
    "en": {
        "delivery": "deliver",
        "install": "install",
        "delivery_install": "deliver and install",
        "repair": "repair",
        "haul_away": "take away the old item",
        "inspection": "inspect",
    },
}
FAILURE_REASONS = {
    "zh-CN": {
        "customer_absent": "家中无人",
        "wrong_or_damaged_item": "商品错误或损坏",
        "site_not_ready": "现场不具备安装条件",
        "needs_parts": "需要补充配件",
        "other": "其他原因",
    },
    "en": {
        "customer_absent": "nobody was home",
        "wrong_or_damaged_item": "wrong or damaged item",
        "site_not_ready": "the site was not ready",
        "needs_parts": "parts are needed",
        "other": "another reason",
    },
}
# Event type -> template. "assigned" invites the consumer to pick a window.
TEMPLATE_FOR = {
    "assigned": "invitation",
    "scheduled": "confirmed",
    "rescheduled": "confirmed",
    "booking_cancelled": "booking_cancelled",
    "dependency_broken": "dependency_broken",
    "cancelled": "cancelled",
    "en_route": "on_the_way",
    "completed": "completed",
    "failed": "visit_failed",
}
LINK_FOR = {"completed": "feedback"}
OFFER_DAYS = 5


def job_context(job: Job) -> dict[str, Any]:
    """Words a message about this job may use."""
    locale = job.consumer_locale
    brand = db.session.get(Brand, job.brand_id)
    dealer = db.session.get(Dealer, job.dealer_id) if job.dealer_id else None
    installer = db.session.get(Installer, job.installer_id) if job.installer_id else None
    item = job.items[0]["name"] if job.items else word("category", job.category, locale)
    context = {
        "brand": brand.name if brand else "",
        "name": job.consumer_name,
        "dealer": dealer.name if dealer else "",
        "installer": installer.name if installer else "",
        "item": item,
        "service": SERVICE.get(locale, SERVICE["en"]).get(job.kind, job.kind),
    }
    booking = job.booking
    if booking is not None:
        from app.scheduling.windows import Window

        zone = ZoneInfo(job.timezone)
        start, end = booking.window_start.astimezone(zone), booking.window_end.astimezone(zone)
        window = Window(
            booking.window_start,
            booking.window_end,
            start.date(),
            start.time(),
            end.time(),
            job.timezone,
        )
        context["window"] = window.label(locale)
        context["eta"] = booking.estimated_start.astimezone(zone).strftime("%H:%M")
    return context


def invitation_choices(job: Job, context: dict[str, Any]) -> tuple[str, list[str]]:
    """Offer up to three windows by SMS reply: the best window of each of the first days."""
    from app.scheduling.service import windows_for_job

    if job.dealer_id is None:
        return "", []
    best_per_day: dict[Any, Any] = {}
    # Offers are for the next few days: a reply should book something soon and concrete.
    try:
        offers = windows_for_job(job, count=OFFER_DAYS)
    except AppError:
        return "", []  # no travel times right now: invite with the link alone
    for option in offers:
        day = option.window.local_date
        if (
            day not in best_per_day
            or option.extra_travel_minutes < best_per_day[day].extra_travel_minutes
        ):
            best_per_day[day] = option
        if len(best_per_day) > 3:
            break
    chosen = [best_per_day[day] for day in sorted(best_per_day)[:3]]
    if not chosen:
        return "", []
    labels = [o.window.label(job.consumer_locale) for o in chosen]
    if job.consumer_locale == "zh-CN":
        text = " 或回复 " + "，".join(f"{n} 选 {label}" for n, label in enumerate(labels, 1))
    else:
        text = " or reply " + ", ".join(f"{n} for {label}" for n, label in enumerate(labels, 1))
    return text, [o.window.start.isoformat() for o in chosen]


GOODS_NOTE = {
    "zh-CN": "（货物预计{on}到达，可选{first}起的时间）",
    "en": " (the goods are expected on {on}: times from {first})",
}


def _invited(job: Job) -> bool:
    found = select(OutboundMessage.id).where(
        OutboundMessage.job_id == job.id, OutboundMessage.template == "invitation"
    )
    return db.session.scalar(found.limit(1)) is not None


def _waiting_visit(job: Job) -> bool:
    return JobStatus(job.status) is JobStatus.ASSIGNED and job.booking is None


def _invite_when_ready(job: Job, event: JobEvent) -> None:
    """An invitation waits for the visit to be bookable: its goods announced or at the dealer,
    the visit it follows booked. Then the visit (and the visits that follow it) are invited,
    once; goods that arrive are announced again with the link."""
    if event.type in ("goods_expected", "goods_received"):
        again = event.type == "goods_received"
        if _waiting_visit(job) and bookable_now(job) and (again or not _invited(job)):
            _send(job, "invitation", event)
    elif event.type in ("scheduled", "rescheduled"):
        for follower in dependents(job):
            if _waiting_visit(follower) and bookable_now(follower) and not _invited(follower):
                _send(follower, "invitation", event)


def tell_consumer(job: Job, event: JobEvent) -> None:
    """React to a job event with the consumer's message, if the event calls for one."""
    _invite_when_ready(job, event)
    template = TEMPLATE_FOR.get(event.type)
    if template is None:
        return
    if template == "invitation" and not bookable_now(job):
        return  # goods unknown or the visit it follows not booked: invited once it can book
    _send(job, template, event)


def _goods_note(job: Job) -> str:
    order = job.order
    if not job.needs_goods or order.goods_received_at or order.goods_expected_on is None:
        return ""
    on, first = order.goods_expected_on, order.goods_expected_on + timedelta(days=1)
    lang = job.consumer_locale
    note = GOODS_NOTE.get(lang, GOODS_NOTE["en"])
    return note.format(on=day_label(on, lang), first=day_label(first, lang))


def _send(job: Job, template: str, event: JobEvent) -> None:
    context = job_context(job)
    purpose = LINK_FOR.get(event.type, "book")
    context["link"] = link_url(job.id, purpose)
    payload: dict[str, Any] = {"event": event.type}
    if template == "invitation":
        context["choices"], offered = invitation_choices(job, context)
        context["choices"] = _goods_note(job) + context["choices"]
        payload["offered"] = offered
    if template == "visit_failed":
        reason = (event.payload or {}).get("reason", "other")
        context["reason"] = FAILURE_REASONS.get(job.consumer_locale, FAILURE_REASONS["en"]).get(
            reason, reason
        )
    if template == "on_the_way":
        eta_at = _arrival(job, event)
        if eta_at is None or eta_at < utcnow():
            return  # a stale event (synced late) or no honest ETA: an old promise helps no one
        context["eta"] = eta_at.astimezone(ZoneInfo(job.timezone)).strftime("%H:%M")
        payload["eta_at"] = eta_at.isoformat()  # the sender drops the message once it passed
    urgent = event.actor_role == "consumer" or None  # the answer to the consumer's own action
    queue_sms(
        to=job.consumer_phone,
        template=template,
        locale=job.consumer_locale,
        context=context,
        zone=job.timezone,
        brand_id=job.brand_id,
        job_id=job.id,
        urgent=urgent,
        payload=payload,
    )


def _arrival(job: Job, event: JobEvent) -> datetime | None:
    """When the installer should arrive: the phone's estimate, else the planned start."""
    eta_at = (event.payload or {}).get("eta_at")
    if eta_at:
        return datetime.fromisoformat(eta_at)
    return job.booking.estimated_start if job.booking else None


def _on_job_event(job: Job, event: JobEvent, **_: Any) -> None:
    tell_consumer(job, event)


def connect() -> None:
    """Subscribe the consumer messages to job events (once per process)."""
    job_event.connect(_on_job_event, weak=False)
