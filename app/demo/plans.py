"""Day plans for the demo's today and tomorrow, made by the real planner once the seed is in."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.db import transaction, utcnow
from app.dispatch.planning.queue import request_plan, run_due
from app.extensions import db
from app.jobs.enums import JobStatus
from app.jobs.models import Job
from app.network.models import Dealer
from app.scheduling.models import Booking
from app.scheduling.windows import local_today

OPEN = (JobStatus.SCHEDULED, JobStatus.DISPATCHED)


def plan_today_and_tomorrow() -> dict[str, int]:
    """Queue and run a plan of today and tomorrow for every dealer with open bookings then.

    Runs every due request (those the seed's own bookings queued too, past days expire), each
    in its own transactions, as the scheduler's `dispatch.run_plan_requests` would.
    """
    now = utcnow()
    with transaction():
        for dealer in db.session.scalars(select(Dealer).order_by(Dealer.id)):
            today = local_today(dealer.timezone, now)
            for day in (today, today + timedelta(days=1)):
                booked = db.session.scalar(
                    select(Booking.id)
                    .join(Job, Job.id == Booking.job_id)
                    .where(
                        Booking.dealer_id == dealer.id,
                        Booking.local_date == day,
                        Job.status.in_([str(s) for s in OPEN]),
                    )
                    .limit(1)
                )
                if booked is not None:
                    request_plan(dealer.id, day, reason="demo", requested_by="system:demo")
    totals: dict[str, int] = {}
    for _ in range(5):  # a superseded day is queued again at once; nothing else writes here
        ran = run_due(limit=200)
        ran.pop("recovered", None)
        if not ran:
            break
        for outcome, count in ran.items():
            totals[outcome] = totals.get(outcome, 0) + count
    return totals
