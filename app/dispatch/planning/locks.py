"""Dispatcher locks: keep a job with an installer (or at a place in their day) when re-planning."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.auth.service import Actor
from app.db import utcnow
from app.dispatch.models import PlanLock, PlanRequest
from app.dispatch.planning.day import PLANNABLE
from app.dispatch.planning.queue import request_plan
from app.errors import Conflict, NotFound, Unprocessable
from app.extensions import db
from app.jobs.models import Job
from app.network.models import Dealer, Installer
from app.scheduling.models import Booking
from app.scheduling.windows import local_today


def _booking(job: Job) -> Booking:
    booking = job.booking
    if booking is None:
        raise Conflict(
            f"Job {job.id} has no booking; only a booked job can be locked.", code="not_booked"
        )
    if job.status not in PLANNABLE:
        raise Conflict(
            f"Job {job.id} is {job.status}; only scheduled or dispatched jobs can be locked "
            "(a started job already stays with its installer).",
            code="not_lockable",
            current_status=job.status,
        )
    return booking


def _installer(booking: Booking, job: Job, installer_id: int) -> Installer:
    installer = db.session.get(Installer, installer_id)
    if installer is None or installer.dealer_id != booking.dealer_id:
        raise Unprocessable(
            f"Installer {installer_id} does not work for dealer {booking.dealer_id}.",
            fields={"installer_id": ["not an installer of this dealer"]},
        )
    missing = sorted(set(job.required_skills) - set(installer.skills))
    if not installer.active or missing:
        raise Conflict(
            f"Installer {installer.id} is inactive or lacks skills {missing}.",
            code="installer_unsuitable",
        )
    return installer


def _check_position(booking: Booking, job: Job, installer_id: int, position: int) -> None:
    """Positions pin the start of the day: position N needs positions 1..N-1 locked already."""
    rows = db.session.execute(
        select(PlanLock.position, PlanLock.job_id)
        .join(Booking, Booking.job_id == PlanLock.job_id)
        .where(
            PlanLock.installer_id == installer_id,
            PlanLock.local_date == booking.local_date,
            Booking.local_date == booking.local_date,
            PlanLock.position.is_not(None),
            PlanLock.job_id != job.id,
        )
    )
    taken = {p: job_id for p, job_id in rows if p is not None}
    if position in taken:
        raise Conflict(
            f"Position {position} of installer {installer_id} on {booking.local_date} is "
            f"already locked for job {taken[position]}.",
            code="position_taken",
            job_id=taken[position],
        )
    missing = [p for p in range(1, position) if p not in taken]
    if missing:
        raise Unprocessable(
            "Position locks pin the start of the installer's day: lock positions "
            f"{', '.join(map(str, missing))} first.",
            fields={"position": [f"positions {missing} are not locked"]},
        )


def _replan(booking: Booking, reason: str, actor: Actor) -> PlanRequest | None:
    """Queue a re-plan of the booking's day, unless that day is over."""
    dealer = db.session.get(Dealer, booking.dealer_id)
    if dealer is None or booking.local_date < local_today(dealer.timezone, utcnow()):
        return None
    return request_plan(
        booking.dealer_id,
        booking.local_date,
        reason=reason,
        requested_by=actor.label,
    )


def set_lock(
    job: Job, *, installer_id: int, position: int | None, actor: Actor
) -> tuple[PlanLock, PlanRequest | None]:
    """Lock a booked job to an installer (and a position) and queue a re-plan of its day."""
    booking = _booking(job)
    _installer(booking, job, installer_id)
    if position is not None:
        _check_position(booking, job, installer_id, position)
    lock = put_lock(
        job,
        current=lock_of(job),
        dealer_id=booking.dealer_id,
        installer_id=installer_id,
        position=position,
        local_date=booking.local_date,
        created_by=actor.label,
    )
    return lock, _replan(booking, f"lock job {job.id}", actor)


def put_lock(
    job: Job,
    *,
    current: PlanLock | None,
    dealer_id: int,
    installer_id: int,
    position: int | None,
    local_date: date,
    created_by: str,
) -> PlanLock:
    """Create or change the job's lock; `current` is the lock as already read (lock_of)."""
    lock = current
    if lock is None:
        lock = PlanLock(job_id=job.id)
        db.session.add(lock)
    lock.dealer_id = dealer_id
    lock.installer_id = installer_id
    lock.position = position
    lock.local_date = local_date
    lock.created_by = created_by
    db.session.flush()
    return lock


def delete_lock(job: Job, *, actor: Actor) -> PlanRequest | None:
    """Remove a job's lock and queue a re-plan of its day."""
    lock = lock_of(job)
    if lock is None:
        raise NotFound(f"Job {job.id} has no plan lock.")
    db.session.delete(lock)
    db.session.flush()
    booking = job.booking
    return _replan(booking, f"unlock job {job.id}", actor) if booking else None


def lock_of(job: Job) -> PlanLock | None:
    """Return the job's lock, if any."""
    return db.session.scalar(select(PlanLock).where(PlanLock.job_id == job.id))
