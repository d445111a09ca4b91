"""Load one dealer's day from the database into the solver's Problem, with what is fixed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.dispatch.models import PlanLock
from app.dispatch.solver import Problem, Stop, TimeWindow, Vehicle
from app.dispatch.solver.model import StopId, VehicleId
from app.extensions import db
from app.jobs.enums import JobStatus
from app.jobs.models import Job, JobEvent
from app.network.models import Dealer, Installer
from app.scheduling.availability import (
    absences_of,
    breaks_within,
    load_absences,
    shift_span,
    travel_provider,
)
from app.scheduling.models import Booking

S = JobStatus
PLANNABLE = frozenset({S.SCHEDULED, S.DISPATCHED})
# Started or done: keeps its installer and heads that installer's route.
STARTED = frozenset({S.EN_ROUTE, S.ON_SITE, S.IN_PROGRESS, S.COMPLETED})

LatLon = tuple[float, float]


@dataclass(frozen=True)
class FixedVisit:
    """A job under way or done: where and when it was (or is expected to be) served."""

    job_id: int
    installer_id: int
    point: int
    arrival: int
    start: int
    departure: int


@dataclass(frozen=True)
class Crew:
    """An installer as planned this day: home, working period (epoch s), visits kept fixed."""

    installer_id: int
    name: str
    home: int
    working: tuple[int, int] | None  # the shift, less time off at its ends; None: off
    shift: tuple[int, int] | None  # what is left to plan after now and the fixed visits
    fixed: tuple[FixedVisit, ...] = ()
    breaks: tuple[tuple[int, int], ...] = ()  # inside `working`: shift gaps, time off


@dataclass
class DayInput:
    """Everything a solve needs and the write checks, in epoch seconds."""

    dealer_id: int
    day: date
    timezone: str
    offset: int  # epoch second of the solver's time 0
    points: list[LatLon]
    travel: npt.NDArray[np.int64]  # between points, seconds
    crews: dict[int, Crew]
    windows: dict[int, tuple[datetime, datetime]]  # open job -> booked window
    locked: dict[int, tuple[int, int | None]]  # job -> (installer, position from 1)
    problem: Problem
    fingerprint: tuple[Any, ...]
    jobs: dict[int, int] = field(default_factory=dict)  # job -> its point
    # Where the search starts: each installer's open jobs as booked (the last plan's order).
    hint: dict[VehicleId, list[StopId]] = field(default_factory=dict)
    holders: set[int] = field(default_factory=set)  # installers holding the day's bookings


def day_rows(dealer_id: int, day: date) -> list[tuple[Booking, Job]]:
    """Return the day's bookings of open and started jobs with their jobs."""
    stmt = (
        select(Booking, Job)
        .join(Job, Job.id == Booking.job_id)
        .where(
            Booking.dealer_id == dealer_id,
            Booking.local_date == day,
            Job.status.in_([str(s) for s in PLANNABLE | STARTED]),
        )
        .order_by(Booking.installer_id, Booking.sequence, Booking.id)
    )
    return [(b, j) for b, j in db.session.execute(stmt)]


def day_locks(job_ids: list[int], day: date) -> dict[int, PlanLock]:
    """Return the locks made for this day on these jobs."""
    if not job_ids:
        return {}
    stmt = select(PlanLock).where(PlanLock.job_id.in_(job_ids), PlanLock.local_date == day)
    return {lock.job_id: lock for lock in db.session.scalars(stmt)}


def day_state(dealer_id: int, day: date) -> tuple[list[tuple[Booking, Job]], dict[int, PlanLock]]:
    """The day's booked rows and the locks on its open jobs: what a plan is made from, read
    the same way when it is loaded and when the plan is written."""
    rows = day_rows(dealer_id, day)
    return rows, day_locks([j.id for _, j in rows if j.status in PLANNABLE], day)


def fingerprint(rows: list[tuple[Booking, Job]], locks: dict[int, PlanLock]) -> tuple[Any, ...]:
    """Summarise what a plan was made from, to tell later whether the day has changed."""
    return tuple(
        sorted(
            (
                job.id,
                job.status in STARTED,
                booking.installer_id if job.status in STARTED else 0,
                booking.window_start.isoformat(),
                booking.window_end.isoformat(),
                (locks[job.id].installer_id, locks[job.id].position) if job.id in locks else None,
            )
            for booking, job in rows
        )
    )


def load_day(dealer: Dealer, day: date, *, now: datetime) -> DayInput:
    """Read the dealer's day and build the solver's Problem from it."""
    rows, locks = day_state(dealer.id, day)
    open_rows = [(b, j) for b, j in rows if j.status in PLANNABLE]
    started = [(b, j) for b, j in rows if j.status in STARTED]
    installers = _installers(dealer.id, {b.installer_id for b, _ in started})
    points: dict[LatLon, int] = {}

    def point(lat: float, lon: float) -> int:
        return points.setdefault((lat, lon), len(points))

    for installer in installers:
        point(installer.home_lat, installer.home_lon)
    job_points = {job.id: point(job.lat, job.lon) for _, job in rows}
    ordered = list(points)
    with travel_provider(dealer) as provider:
        travel = np.array(provider.matrix(ordered), dtype=np.int64).reshape(len(ordered), -1)
    np.fill_diagonal(travel, 0)

    zone = ZoneInfo(dealer.timezone)
    offset = int(datetime.combine(day - timedelta(days=1), time(), zone).timestamp())
    clock = int(now.timestamp())
    homes = {i.id: points[(i.home_lat, i.home_lon)] for i in installers}
    fixed = _fixed_visits(started, job_points, travel, homes, clock)
    absences = load_absences(
        dealer.id,
        installers,
        datetime.fromtimestamp(offset, UTC),
        datetime.fromtimestamp(offset + 3 * 86400, UTC),
    )
    crews = {
        i.id: _crew(i, _working_day(i, day, absences), homes[i.id], fixed.get(i.id, ()), clock)
        for i in installers
    }
    problem = _problem(crews, installers, open_rows, job_points, locks, travel, offset)
    return DayInput(
        dealer_id=dealer.id,
        day=day,
        timezone=dealer.timezone,
        offset=offset,
        points=ordered,
        travel=travel,
        crews=crews,
        windows={j.id: (b.window_start, b.window_end) for b, j in open_rows},
        locked={j: (lock.installer_id, lock.position) for j, lock in locks.items()},
        problem=problem,
        fingerprint=fingerprint(rows, locks),
        jobs=job_points,
        holders={b.installer_id for b, _ in rows},
        hint=_as_booked(open_rows, locks),
    )


def _as_booked(
    open_rows: list[tuple[Booking, Job]], locks: dict[int, PlanLock]
) -> dict[VehicleId, list[StopId]]:
    """Return each installer's open jobs in booked order; a locked job goes to its installer,
    jobs locked to a position come first in that order."""
    routes: dict[VehicleId, list[tuple[int, int, int]]] = {}
    for n, (booking, job) in enumerate(open_rows):  # ordered by installer, sequence
        lock = locks.get(job.id)
        installer = lock.installer_id if lock else booking.installer_id
        pinned = lock.position if lock and lock.position is not None else 1_000
        routes.setdefault(installer, []).append((pinned, n, job.id))
    return {who: [job_id for *_, job_id in sorted(jobs)] for who, jobs in routes.items()}


def _installers(dealer_id: int, also: set[int]) -> list[Installer]:
    """Active installers of the dealer, and any installer with a started job this day."""
    stmt = (
        select(Installer)
        .where(
            Installer.dealer_id == dealer_id,
            Installer.active.is_(True) | Installer.id.in_(also or {-1}),
        )
        .options(selectinload(Installer.shifts))
        .order_by(Installer.id)
    )
    return list(db.session.scalars(stmt))


def _working_day(
    installer: Installer, day: date, absences: dict[int | None, list[tuple[datetime, datetime]]]
) -> tuple[tuple[int, int], tuple[tuple[int, int], ...]] | None:
    """Return the installer's period of the day (first shift start to last shift end) less
    time off or blocks at either end, and the breaks inside it: gaps between shifts and time
    off in the middle, when no visit may be made. None when nothing is left."""
    spans = shift_span(installer, day)
    if not spans or not installer.active:
        return None
    start, end = spans[0][0], spans[-1][1]
    periods = sorted(
        (int(a.timestamp()), int(b.timestamp())) for a, b in absences_of(absences, installer.id)
    )
    for a, b in periods:  # absences touching the start push it later
        if a <= start < b:
            start = b
    for a, b in reversed(periods):  # and those touching the end pull it earlier
        if a < end <= b:
            end = a
    if start >= end:
        return None
    # As in booking; an absence that shortened the day at either end is no break.
    breaks = tuple((a, b) for a, b in breaks_within(spans, periods) if a < end and b > start)
    return (start, end), breaks


def _crew(
    installer: Installer,
    working: tuple[tuple[int, int], tuple[tuple[int, int], ...]] | None,
    home: int,
    fixed: tuple[FixedVisit, ...],
    clock: int,
) -> Crew:
    """Return the installer's planned day: what is left of the shift after now and fixed work."""
    period, breaks = working if working is not None else (None, ())
    left = None
    if period is not None:
        start, end = period
        start = max(start, clock, *(v.departure for v in fixed))
        left = (min(start, end), end)
    return Crew(installer.id, installer.name, home, period, left, fixed, breaks)


def _fixed_visits(
    started: list[tuple[Booking, Job]],
    job_points: dict[int, int],
    travel: npt.NDArray[np.int64],
    homes: dict[int, int],
    clock: int,
) -> dict[int, tuple[FixedVisit, ...]]:
    """Estimate when each started job was (or will be) served, per installer, in time order."""
    if not started:
        return {}
    seen: dict[tuple[int, str], int] = {}
    events = select(JobEvent.job_id, JobEvent.to_status, JobEvent.occurred_at).where(
        JobEvent.job_id.in_([j.id for _, j in started]),
        JobEvent.to_status.in_([str(s) for s in STARTED]),
    )
    for job_id, status, at in db.session.execute(events):
        if status is None:
            continue
        seen[(job_id, status)] = max(seen.get((job_id, status), 0), int(at.timestamp()))
    visits: dict[int, list[FixedVisit]] = {}
    for booking, job in sorted(started, key=lambda row: (row[0].sequence, row[0].id)):
        done = visits.setdefault(booking.installer_id, [])
        where = job_points[job.id]
        here = done[-1].point if done else homes.get(booking.installer_id, where)
        times = {s: seen.get((job.id, str(s))) for s in STARTED}
        planned = int(booking.estimated_start.timestamp())
        service = job.duration_minutes * 60
        window_start = int(booking.window_start.timestamp())
        if job.status == S.EN_ROUTE:
            left = times[S.EN_ROUTE] or clock
            arrival = max(clock, left + int(travel[here, where]))
        else:
            arrival = times[S.ON_SITE] or times[S.IN_PROGRESS] or planned
        start = times[S.IN_PROGRESS] or max(arrival, window_start)
        end = times[S.COMPLETED] or max(clock, start + service)
        start = max(start, arrival)
        done.append(
            FixedVisit(job.id, booking.installer_id, where, arrival, start, max(end, start))
        )
    return {
        installer_id: tuple(sorted(found, key=lambda v: (v.start, v.job_id)))
        for installer_id, found in visits.items()
    }


def _problem(
    crews: dict[int, Crew],
    installers: list[Installer],
    open_rows: list[tuple[Booking, Job]],
    job_points: dict[int, int],
    locks: dict[int, PlanLock],
    travel: npt.NDArray[np.int64],
    offset: int,
) -> Problem:
    """Build the Problem: installers are vehicles; a route's time ends with its last job.

    Like booking, the last service must end by the shift end and the drive home is not
    working time: each installer's route ends at a place of its own, reached from anywhere
    in no time, but the drive home still counts as travel to minimise (the costs).
    """
    working = [crew for crew in crews.values() if crew.shift is not None]
    size = travel.shape[0]
    total = size + len(working)
    durations = np.zeros((total, total), dtype=np.int64)
    durations[:size, :size] = travel
    costs = durations.copy()
    by_id = {i.id: i for i in installers}
    vehicles = []
    for n, crew in enumerate(working):
        assert crew.shift is not None
        end = size + n
        costs[:size, end] = travel[:, crew.home]
        installer = by_id[crew.installer_id]
        vehicles.append(
            Vehicle(
                id=crew.installer_id,
                start_location=crew.fixed[-1].point if crew.fixed else crew.home,
                end_location=end,
                shift_start=crew.shift[0] - offset,
                shift_end=crew.shift[1] - offset,
                skills=frozenset(installer.skills),
                max_stops=max(0, installer.max_jobs_per_day - len(crew.fixed)),
                breaks=tuple(TimeWindow(a - offset, b - offset) for a, b in crew.breaks),
            )
        )
    positions = _solver_positions(locks)
    stops = [
        Stop(
            id=job.id,
            location=job_points[job.id],
            service=job.duration_minutes * 60,
            windows=(
                TimeWindow(
                    int(booking.window_start.timestamp()) - offset,
                    int(booking.window_end.timestamp()) - offset,
                ),
            ),
            skills=frozenset(job.required_skills),
            locked_vehicle=locks[job.id].installer_id if job.id in locks else None,
            locked_position=positions.get(job.id),
        )
        for booking, job in sorted(open_rows, key=lambda row: row[1].id)
    ]
    return Problem(durations=durations, stops=tuple(stops), vehicles=tuple(vehicles), costs=costs)


def _solver_positions(locks: dict[int, PlanLock]) -> dict[int, int]:
    """Number each installer's position locks 0..k-1 in the order asked (gaps close up)."""
    heads: dict[int, list[tuple[int, int]]] = {}
    for lock in locks.values():
        if lock.position is not None:
            heads.setdefault(lock.installer_id, []).append((lock.position, lock.job_id))
    return {job_id: n for pinned in heads.values() for n, (_, job_id) in enumerate(sorted(pinned))}
