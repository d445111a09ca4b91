"""Dispatching a planned day: the day's booked jobs go out to their installers in route order."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.auth.service import Actor
from app.extensions import db
from app.jobs import service as jobs
from app.jobs.enums import JobStatus
from app.jobs.models import Job
from app.network.models import Dealer
from app.scheduling.models import Booking


def dispatch_day(dealer: Dealer, day: date, actor: Actor) -> list[Booking]:
    """Dispatch a dealer's scheduled jobs of a local day, installer by installer in route order."""
    # Jobs already dispatched (or further along) are left as they are: dispatching twice is
    # harmless.
    day_jobs = (
        select(Job.id)
        .join(Booking, Booking.job_id == Job.id)
        .where(Booking.dealer_id == dealer.id, Booking.local_date == day)
    )
    # Job rows are locked in id order, as every writer of several jobs does (the plan writer
    # too), so two of them cannot deadlock; then they are read in route order.
    jobs.lock_jobs(day_jobs)
    rows = db.session.execute(
        select(Booking, Job)
        .join(Job, Job.id == Booking.job_id)
        .where(
            Booking.dealer_id == dealer.id,
            Booking.local_date == day,
            Job.status == JobStatus.SCHEDULED,
        )
        .order_by(Booking.installer_id, Booking.sequence, Booking.id)
    ).all()
    dispatched = []
    for booking, job in rows:
        jobs.transition(
            job,
            JobStatus.DISPATCHED,
            actor,
            payload={
                "installer_id": booking.installer_id,
                "local_date": day.isoformat(),
                "sequence": booking.sequence,
            },
        )
        dispatched.append(booking)
    return dispatched
