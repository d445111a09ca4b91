"""Booked jobs an installer can no longer do as booked: inactive, without the skills, off, no
longer working then, or over a lowered daily job limit. Told to the dispatcher who made the
change; the re-plan does the rest."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from app.db import utcnow
from app.extensions import db
from app.jobs.enums import JobStatus
from app.jobs.models import Job
from app.network.models import Installer
from app.scheduling.availability import absences_of, load_absences, shift_span
from app.scheduling.models import Booking

NOT_STARTED = (str(JobStatus.SCHEDULED), str(JobStatus.DISPATCHED))
Period = tuple[datetime, datetime]


def jobs_at_risk(
    installer: Installer, *, during: Period | None = None, now: datetime | None = None
) -> list[int]:
    """Return the ids of the installer's booked jobs not yet started (within `during`, if given)
    that the installer cannot now do as booked, in id order."""
    now = now or utcnow()
    stmt = (
        select(Booking, Job)
        .join(Job, Job.id == Booking.job_id)
        .where(
            Booking.installer_id == installer.id,
            Booking.window_end > now,
            Job.status.in_(NOT_STARTED),
        )
    )
    if during is not None:
        stmt = stmt.where(Booking.window_start < during[1])
    rows = [
        (b, j, b.window_end + timedelta(minutes=j.duration_minutes))
        for b, j in db.session.execute(stmt)
    ]
    if during is not None:
        rows = [row for row in rows if _overlaps((row[0].window_start, row[2]), during)]
    if not rows:
        return []
    first, last = min(b.window_start for b, *_ in rows), max(ends for *_, ends in rows)
    absences = load_absences(installer.dealer_id, [installer], first, last)
    off = absences_of(absences, installer.id)
    unable = {
        job.id for booking, job, ends in rows if not _can_do(installer, booking, job, ends, off)
    }
    if during is None:
        unable |= _over_limit(installer, [b for b, *_ in rows])
    return sorted(unable)


def _over_limit(installer: Installer, open_bookings: list[Booking]) -> set[int]:
    """Return the jobs past the installer's daily job limit: on a day holding more bookings
    than the limit (started and finished visits count too), the last open visits of the day."""
    days = {b.local_date for b in open_bookings}
    held = dict(
        db.session.execute(
            select(Booking.local_date, func.count())
            .where(Booking.installer_id == installer.id, Booking.local_date.in_(days))
            .group_by(Booking.local_date)
        ).all()
    )
    over: set[int] = set()
    for day in days:
        excess = held[day] - installer.max_jobs_per_day
        if excess > 0:
            last = sorted(
                (b for b in open_bookings if b.local_date == day),
                key=lambda b: (b.sequence, b.window_start, b.id),
            )
            over.update(b.job_id for b in last[-excess:])
    return over


def _overlaps(a: Period, b: Period) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _can_do(
    installer: Installer, booking: Booking, job: Job, ends: datetime, off: list[Period]
) -> bool:
    """Tell whether the installer can still start the job in its window and finish in a shift,
    with no absence during the window or the work."""
    if not installer.active or not set(job.required_skills) <= set(installer.skills):
        return False
    if any(_overlaps((booking.window_start, ends), absence) for absence in off):
        return False
    opens, closes = int(booking.window_start.timestamp()), int(booking.window_end.timestamp())
    service = job.duration_minutes * 60
    return any(
        max(start, opens) <= closes and max(start, opens) + service <= end
        for start, end in shift_span(installer, booking.local_date)
    )
