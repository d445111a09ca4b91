"""Booking rules: reserve a window atomically, reschedule, cancel, move, block capacity.

Never overbook: a booking is decided while holding a lock on the installer's day — a row
lock on PostgreSQL (SELECT … FOR UPDATE, taken inside a savepoint so a refused candidate's
lock is released at once), the database write lock on SQLite (every write transaction
starts with BEGIN IMMEDIATE). The day's bookings are read again under the lock, so the
check and the reservation are one step. Locks are always taken job first, then one
installer-day at a time, so two bookings cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from app.auth.service import Actor
from app.db import utcnow
from app.errors import Conflict, NotFound, Unprocessable
from app.extensions import db
from app.jobs import service as jobs
from app.jobs.enums import JobStatus
from app.jobs.models import Job
from app.network.models import Dealer, Installer
from app.network.service import get_dealer
from app.scheduling import dependencies
from app.scheduling.availability import (
    Placement,
    WindowOption,
    build_calendar,
    candidate_windows,
    options,
    place,
    starts_after,
)
from app.scheduling.dependencies import Rule, rule_for
from app.scheduling.models import Booking, InstallerDay
from app.scheduling.windows import Window, local_today

BOOKABLE = frozenset({JobStatus.ASSIGNED, JobStatus.SCHEDULED, JobStatus.DISPATCHED})
BOUND_BY_CUTOFF = frozenset({"brand", "consumer"})


class WindowUnavailable(Conflict):
    code = "window_unavailable"


class _Refused(Exception):
    """The locked re-check failed for one installer; roll back to the savepoint."""


def _dealer_of(job: Job) -> Dealer:
    if job.dealer_id is None:
        raise Conflict(
            f"Job {job.id} has no dealer yet"
            + (f": {job.unassigned_reason}" if job.unassigned_reason else "."),
            code="not_assigned",
            current_status=job.status,
        )
    return get_dealer(job.dealer_id)


def check_bookable(job: Job) -> None:
    """Refuse (409) a job that cannot be booked: not yet assigned, under way or closed."""
    if job.dealer_id is None and JobStatus(job.status) is JobStatus.CREATED:
        _dealer_of(job)  # not_assigned, with the reason no dealer could take it
    if JobStatus(job.status) not in BOOKABLE:
        raise Conflict(
            f"Job {job.id} is {job.status}; only assigned, scheduled or dispatched jobs "
            "can be booked.",
            code="not_bookable",
            current_status=job.status,
        )


def windows_for_job(
    job: Job, *, first: date | None = None, count: int | None = None, now: datetime | None = None
) -> list[WindowOption]:
    """The windows a job can be booked in, in time order, each with its able installers.

    By default from today to the end of the dealer's booking horizon.
    """
    now = now or utcnow()
    dealer = _dealer_of(job)
    first = first or local_today(dealer.timezone, now)
    count = count if count is not None else dealer.horizon_days + 1
    rule = rule_for(job)
    windows = [w for w in candidate_windows(dealer, first, count, now) if rule.allows(w)]
    if not windows:
        return []
    calendar = build_calendar(
        job, dealer, windows[0].local_date, windows[-1].local_date, installers=_crew(job, rule)
    )
    return options(calendar, windows)


def _crew(job: Job, rule: Rule) -> list[Installer] | None:
    """The installers a visit may go to: the earlier visit's, when it must be the same crew."""
    if rule.installer_id is None:
        return None
    installer = db.session.get(Installer, rule.installer_id)
    return [installer] if installer is not None and installer.active else []


def _lock_job(job: Job) -> None:
    """Serialise changes to one job's booking (row lock on PostgreSQL) and refresh it, with
    the visits of its order it depends on or that depend on it (in id order: no deadlock)."""
    related = {job.id} | ({job.after_job_id} if job.after_job_id else set())
    related |= set(db.session.scalars(select(Job.id).where(Job.after_job_id == job.id)))
    jobs.lock_jobs(related)
    db.session.refresh(job)
    if job.after is not None:
        db.session.refresh(job.after)


def release_broken(job: Job, actor: Actor) -> list[Job]:
    """After a visit's booking moved or went: release the bookings of the visits that follow
    it and no longer keep their rule (event `dependency_broken`; the consumer is asked to
    choose again). Return them."""
    broken = []
    for follower in dependencies.dependents(job):
        if follower.booking is None or dependencies.keeps(follower):
            continue
        payload = {"after_job_id": job.id, "previous": _booking_payload(follower.booking)}
        db.session.delete(follower.booking)
        follower.installer_id = None
        db.session.flush()
        db.session.refresh(follower, ["booking"])
        if JobStatus(follower.status) in {JobStatus.SCHEDULED, JobStatus.DISPATCHED}:
            jobs.transition(
                follower, JobStatus.ASSIGNED, actor, type_="dependency_broken", payload=payload
            )
        broken.append(follower)
    return broken


def _lock_installer_day(installer_id: int, day: date) -> None:
    """Take the lock that every booking decision for this installer and day must hold."""
    dialect = db.session.get_bind().dialect.name
    values = {"installer_id": installer_id, "day": day}
    if dialect == "postgresql":
        db.session.execute(postgresql.insert(InstallerDay).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        db.session.execute(sqlite.insert(InstallerDay).values(values).on_conflict_do_nothing())
    db.session.execute(
        select(InstallerDay)
        .where(InstallerDay.installer_id == installer_id, InstallerDay.day == day)
        .with_for_update()
    )


def lock_installer_days(installer_ids: Iterable[int], day: date) -> None:
    """Take the booking locks of several installers' days (in id order, so no deadlock)."""
    for installer_id in sorted(set(installer_ids)):
        _lock_installer_day(installer_id, day)


def _matching_window(dealer: Dealer, window_start: datetime, now: datetime) -> Window | None:
    day = window_start.astimezone(ZoneInfo(dealer.timezone)).date()
    for window in candidate_windows(dealer, day, 1, now):
        if window.start == window_start:
            return window
    return None


def change_cutoff(booking: Booking, dealer: Dealer) -> datetime:
    """The last moment a brand or consumer may still change or cancel this booking."""
    return booking.window_start - timedelta(hours=dealer.change_cutoff_hours)


def passed_cutoff(job: Job, now: datetime) -> datetime | None:
    """The cutoff of the job's booking when it has passed; None without booking or before."""
    if job.booking is None or job.dealer_id is None:
        return None
    cutoff = change_cutoff(job.booking, get_dealer(job.dealer_id))
    return cutoff if now >= cutoff else None


def _check_cutoff(job: Job, dealer: Dealer, actor: Actor, now: datetime) -> None:
    booking = job.booking
    if booking is None or actor.role not in BOUND_BY_CUTOFF:
        return
    cutoff = change_cutoff(booking, dealer)
    if now >= cutoff:
        raise Conflict(
            f"The booking can no longer be changed: changes close {dealer.change_cutoff_hours} h "
            f"before the window starts (cutoff was {cutoff.isoformat()}). Call the dealer.",
            code="change_cutoff_passed",
            cutoff=cutoff.isoformat(),
        )


def _not_offered(dealer: Dealer, window_start: datetime, now: datetime) -> str:
    """Say why a window start is not offered: past, too soon, too far, or not a window."""
    zone = ZoneInfo(dealer.timezone)
    local = window_start.astimezone(zone)
    at = local.strftime("%Y-%m-%d %H:%M")
    if window_start <= now:
        return f"That window ({at}) is in the past; choose one of the alternatives."
    earliest = now + timedelta(hours=dealer.lead_time_hours)
    if window_start < earliest:
        return (
            f"That window ({at}) is too soon: the dealer needs {dealer.lead_time_hours} h notice, "
            f"so windows start from {earliest.astimezone(zone).strftime('%Y-%m-%d %H:%M')}."
        )
    last_day = local_today(dealer.timezone, now) + timedelta(days=dealer.horizon_days)
    if local.date() > last_day:
        return (
            f"That window ({at}) is too far ahead: the dealer books {dealer.horizon_days} days "
            f"ahead, up to {last_day.isoformat()}."
        )
    starts = ", ".join(start for start, _ in dealer.window_template)
    return (
        f"{at} is not the start of one of the dealer's windows (they start at {starts}, "
        f"{dealer.timezone})."
    )


def _alternatives(job: Job, day: date, now: datetime) -> list[dict[str, Any]]:
    found = windows_for_job(job, first=day, count=3, now=now)[:5]
    return [
        {"start": o.window.local()[0].isoformat(), "end": o.window.local()[1].isoformat()}
        for o in found
    ]


def _reserve(job: Job, dealer: Dealer, window: Window, placement: Placement) -> Booking | None:
    """Under the installer-day lock, re-check the placement and write the booking."""
    installer = db.session.get(Installer, placement.installer_id)
    assert installer is not None
    try:
        with db.session.begin_nested():
            _lock_installer_day(installer.id, placement.local_date)
            calendar = build_calendar(
                job, dealer, placement.local_date, placement.local_date, installers=[installer]
            )
            fresh = place(calendar, installer, window)
            if fresh is None:
                raise _Refused
            day_bookings = list(
                db.session.scalars(
                    select(Booking)
                    .where(
                        Booking.installer_id == installer.id,
                        Booking.local_date == fresh.local_date,
                        Booking.job_id != job.id,
                    )
                    .order_by(Booking.sequence, Booking.id)
                )
            )
            starts = starts_after(calendar, installer, fresh, window)
            for n, other in enumerate(day_bookings):
                other.sequence = n + 1 if n >= fresh.insertion.position else n
                other.estimated_start = datetime.fromtimestamp(starts[other.sequence], tz=UTC)
            if job.booking is not None:
                db.session.delete(job.booking)
                db.session.flush()
            booking = Booking(
                job_id=job.id,
                dealer_id=dealer.id,
                installer_id=installer.id,
                local_date=fresh.local_date,
                window_start=window.start,
                window_end=window.end,
                sequence=fresh.insertion.position,
                estimated_start=datetime.fromtimestamp(starts[fresh.insertion.position], tz=UTC),
            )
            db.session.add(booking)
            db.session.flush()
            return booking
    except _Refused:
        return None


def book(
    job: Job, window_start: datetime, actor: Actor, *, now: datetime | None = None
) -> tuple[Booking, bool]:
    """Book (or re-book) a job into a window; return the booking and whether it replaced one.

    The window already booked changes nothing (no event, no SMS): the booking is returned.
    """
    now = now or utcnow()
    _lock_job(job)
    check_bookable(job)
    if job.booking is not None and job.booking.window_start == window_start:
        return job.booking, True
    dealer = _dealer_of(job)
    _check_cutoff(job, dealer, actor, now)
    rule = rule_for(job)
    window = _matching_window(dealer, window_start, now)
    if window is None:
        raise WindowUnavailable(
            _not_offered(dealer, window_start, now),
            alternatives=_alternatives(job, local_today(dealer.timezone, now), now),
        )
    if not rule.allows(window):
        raise WindowUnavailable(
            rule.why_not(),
            alternatives=_alternatives(job, rule.day or window.local_date, now),
        )
    previous = job.booking
    before = _booking_payload(previous) if previous else None
    calendar = build_calendar(
        job, dealer, window.local_date, window.local_date, installers=_crew(job, rule)
    )
    offer = options(calendar, [window])
    for placement in offer[0].placements if offer else []:
        booking = _reserve(job, dealer, window, placement)
        if booking is not None:
            break
    else:
        raise WindowUnavailable(
            "That window is no longer available.",
            alternatives=_alternatives(job, window.local_date, now),
        )
    db.session.refresh(job, ["booking"])
    job.installer_id = booking.installer_id
    payload = {**_booking_payload(booking), "previous": before}
    if JobStatus(job.status) is JobStatus.ASSIGNED:
        jobs.transition(job, JobStatus.SCHEDULED, actor, payload=payload)
    elif JobStatus(job.status) is JobStatus.DISPATCHED:
        jobs.transition(job, JobStatus.SCHEDULED, actor, type_="rescheduled", payload=payload)
    else:
        jobs.record_event(job, "rescheduled", actor, payload=payload)
        db.session.flush()
    if previous is not None:
        release_broken(job, actor)
    return booking, previous is not None


def _booking_payload(booking: Booking) -> dict[str, Any]:
    return {
        "window_start": booking.window_start.isoformat(),
        "window_end": booking.window_end.isoformat(),
        "installer_id": booking.installer_id,
        "local_date": booking.local_date.isoformat(),
    }


def _locked_booking(job: Job) -> Booking:
    """Lock the job and return its booking, which must exist and not be under way."""
    _lock_job(job)
    booking = job.booking
    if booking is None:
        raise NotFound(f"Job {job.id} has no booking.")
    if JobStatus(job.status) not in {JobStatus.SCHEDULED, JobStatus.DISPATCHED}:
        raise Conflict(f"Job {job.id} is {job.status}; the visit has started.", code="not_bookable")
    return booking


def cancel_booking(job: Job, actor: Actor, *, now: datetime | None = None) -> Job:
    """Release a job's booking; the job goes back to assigned."""
    now = now or utcnow()
    booking = _locked_booking(job)
    _check_cutoff(job, _dealer_of(job), actor, now)
    payload = _booking_payload(booking)
    db.session.delete(booking)
    job.installer_id = None
    db.session.flush()
    db.session.refresh(job, ["booking"])
    jobs.transition(job, JobStatus.ASSIGNED, actor, type_="booking_cancelled", payload=payload)
    release_broken(job, actor)
    return job


def release_booking(job: Job) -> None:
    """Free the window of a job that will not be visited as booked (cancelled, failed visit)."""
    if job.booking is not None:
        db.session.delete(job.booking)
        db.session.flush()
        db.session.refresh(job, ["booking"])


def move_booking(job: Job, installer_id: int, actor: Actor) -> Booking:
    """Give a booked job to another installer of the same dealer, in the same window."""
    booking = _locked_booking(job)
    dealer = _dealer_of(job)
    installer = db.session.get(Installer, installer_id)
    if installer is None or installer.dealer_id != dealer.id:
        raise Unprocessable(
            f"Installer {installer_id} does not work for dealer {dealer.id}.",
            fields={"installer_id": ["not an installer of this dealer"]},
        )
    if installer.id == booking.installer_id:
        return booking
    dependencies.check_same_crew(job, installer.id)
    missing = sorted(set(job.required_skills) - set(installer.skills))
    if not installer.active or missing:
        raise Conflict(
            f"Installer {installer.id} is inactive or lacks skills {missing}.",
            code="installer_unsuitable",
        )
    zone = ZoneInfo(dealer.timezone)
    window = Window(
        booking.window_start,
        booking.window_end,
        booking.local_date,
        booking.window_start.astimezone(zone).time(),
        booking.window_end.astimezone(zone).time(),
        dealer.timezone,
    )
    before = _booking_payload(booking)
    calendar = build_calendar(
        job, dealer, booking.local_date, booking.local_date, installers=[installer]
    )
    placement = place(calendar, installer, window)
    moved = _reserve(job, dealer, window, placement) if placement else None
    if moved is None:
        raise Conflict(
            f"Installer {installer.id} cannot take this job in that window (shift, time off, "
            "capacity or travel).",
            code="installer_unavailable",
        )
    db.session.refresh(job, ["booking"])
    job.installer_id = installer.id
    payload = {**_booking_payload(moved), "previous": before}
    if JobStatus(job.status) is JobStatus.DISPATCHED:
        # Off the plan until it is planned again; one event says both.
        jobs.transition(job, JobStatus.SCHEDULED, actor, type_="booking_moved", payload=payload)
    else:
        jobs.record_event(job, "booking_moved", actor, payload=payload)
    db.session.flush()
    release_broken(job, actor)
    return moved


def dealer_day(dealer: Dealer, day: date) -> list[tuple[Installer, list[Booking]]]:
    """A dealer's bookings on a local day, per installer in route order."""
    installers = list(
        db.session.scalars(
            select(Installer).where(Installer.dealer_id == dealer.id).order_by(Installer.id)
        )
    )
    bookings = db.session.scalars(
        select(Booking)
        .where(Booking.dealer_id == dealer.id, Booking.local_date == day)
        .order_by(Booking.installer_id, Booking.sequence, Booking.id)
    )
    by_installer: dict[int, list[Booking]] = {i.id: [] for i in installers}
    for booking in bookings:
        by_installer.setdefault(booking.installer_id, []).append(booking)
    return [(i, by_installer[i.id]) for i in installers if i.active or by_installer[i.id]]
