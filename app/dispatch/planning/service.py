"""Asking for day plans: on demand by a dispatcher, and every evening for tomorrow."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select

from app.auth.service import Actor
from app.db import utcnow
from app.dispatch.models import PlanRequest
from app.dispatch.planning.queue import planned_since, request_plan
from app.errors import Unprocessable
from app.extensions import db
from app.network.models import Dealer
from app.scheduling.models import Booking
from app.scheduling.windows import local_today, localize

MAX_DAYS_AHEAD = 60


def request_day(dealer: Dealer, day: date, actor: Actor) -> PlanRequest:
    """Queue a plan of one of the dealer's days now (today up to 60 days ahead)."""
    today = local_today(dealer.timezone, utcnow())
    if not today <= day <= today + timedelta(days=MAX_DAYS_AHEAD):
        raise Unprocessable(
            f"Only days from today ({today}) to {MAX_DAYS_AHEAD} days ahead can be planned.",
            fields={"date": [f"must be between {today} and {today + timedelta(MAX_DAYS_AHEAD)}"]},
        )
    return request_plan(
        dealer.id,
        day,
        reason="requested",
        requested_by=actor.label,
    )


def plan_moment(dealer: Dealer, day: date) -> datetime:
    """Return the instant of the dealer's evening planning time on a local day."""
    zone = ZoneInfo(dealer.timezone)
    at = time.fromisoformat(dealer.plan_at)
    moment = localize(day, at, zone)
    # In a DST gap the clock skips the planning time: plan at the first instant after it.
    return moment or localize(day, (datetime.combine(day, at) + timedelta(hours=1)).time(), zone)  # type: ignore[return-value]


def evening_before(now: datetime | None = None) -> int:
    """From each dealer's planning time, queue tomorrow's plan once; return how many queued."""
    now = now or utcnow()
    queued = 0
    for dealer in db.session.scalars(
        select(Dealer).where(Dealer.active.is_(True)).order_by(Dealer.id)
    ):
        today = local_today(dealer.timezone, now)
        since = plan_moment(dealer, today)
        if now < since:
            continue
        tomorrow = today + timedelta(days=1)
        # A plan waiting or running, or done after this evening's planning time (made by an
        # event or a dispatcher), covers tomorrow; a second run of this task finds its own.
        # A failed attempt does not: its retry is queued, and if none is, this asks again.
        if planned_since(dealer.id, tomorrow, since):
            continue
        booked = db.session.scalar(
            select(exists().where(Booking.dealer_id == dealer.id, Booking.local_date == tomorrow))
        )
        if not booked:
            continue
        request_plan(dealer.id, tomorrow, reason="evening", requested_by="system:evening")
        queued += 1
    return queued
