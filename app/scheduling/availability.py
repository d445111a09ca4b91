"""Which windows can a job be booked in, and by which installer? Read-only; no locks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.geo.travel import GreatCircleTravel, OsrmTravel, TravelTimeProvider
from app.jobs.models import Job
from app.network.models import Dealer, Installer
from app.scheduling.capacity import DayRoute, Insertion, Stop, best_insertion
from app.scheduling.models import Booking, CapacityBlock
from app.scheduling.windows import Window, days, local_today, localize, windows_for_day


def travel_provider(dealer: Dealer) -> TravelTimeProvider:
    """Return the travel-time provider for a dealer: OSRM when configured, else great circle."""
    url = current_app.config.get("OSRM_URL")
    if url:
        return OsrmTravel(url, timeout=current_app.config.get("OSRM_TIMEOUT", 5.0))
    return GreatCircleTravel(road_factor=dealer.road_factor, speed_kmh=dealer.average_speed_kmh)


@dataclass(frozen=True)
class Placement:
    """An installer who can take the job in a window, and what it costs."""

    installer_id: int
    insertion: Insertion
    local_date: date


@dataclass
class WindowOption:
    window: Window
    placements: list[Placement]

    @property
    def best(self) -> Placement:
        return self.placements[0]

    @property
    def extra_travel_minutes(self) -> int:
        return round(self.best.insertion.extra_travel / 60)


@dataclass
class _Booked:
    booking_id: int
    job_id: int
    installer_id: int
    local_date: date
    sequence: int
    window_start: datetime
    window_end: datetime
    service_seconds: int
    point: tuple[float, float]


@dataclass
class Calendar:
    """Everything needed to judge a job's windows for one dealer over some days."""

    job: Job
    dealer: Dealer
    installers: list[Installer]
    booked: dict[tuple[int, date], list[_Booked]]
    absences: dict[int | None, list[tuple[datetime, datetime]]]
    points: dict[tuple[float, float], int] = field(default_factory=dict)
    matrix: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))

    def point_index(self, point: tuple[float, float]) -> int:
        return self.points[point]


def capable_crews(dealer_ids: Iterable[int], skills: Iterable[str]) -> dict[int, list[Installer]]:
    """Active installers with every required skill, per dealer (one query for all dealers)."""
    needed = set(skills)
    ids = list(dealer_ids)
    crews: dict[int, list[Installer]] = {dealer_id: [] for dealer_id in ids}
    if not ids:
        return crews
    stmt = (
        select(Installer)
        .where(Installer.dealer_id.in_(ids), Installer.active.is_(True))
        .options(selectinload(Installer.shifts), selectinload(Installer.time_off))
        .order_by(Installer.id)
    )
    for installer in db.session.scalars(stmt):
        if needed <= set(installer.skills):
            crews[installer.dealer_id].append(installer)
    return crews


def capable_installers(dealer_id: int, skills: Iterable[str]) -> list[Installer]:
    """Active installers of a dealer who have every required skill."""
    return capable_crews([dealer_id], skills)[dealer_id]


def load_booked(
    installer_ids: Sequence[int], first: date, last: date, *, exclude_job: int | None
) -> dict[tuple[int, date], list[_Booked]]:
    """Load the bookings of some installers between two local days, by (installer, day)."""
    if not installer_ids:
        return {}
    stmt = (
        select(Booking, Job.lat, Job.lon, Job.duration_minutes)
        .join(Job, Job.id == Booking.job_id)
        .where(
            Booking.installer_id.in_(installer_ids),
            Booking.local_date >= first,
            Booking.local_date <= last,
        )
        .order_by(Booking.installer_id, Booking.local_date, Booking.sequence, Booking.id)
    )
    if exclude_job is not None:
        stmt = stmt.where(Booking.job_id != exclude_job)
    booked: dict[tuple[int, date], list[_Booked]] = defaultdict(list)
    for booking, lat, lon, minutes in db.session.execute(stmt):
        booked[(booking.installer_id, booking.local_date)].append(
            _Booked(
                booking.id,
                booking.job_id,
                booking.installer_id,
                booking.local_date,
                booking.sequence,
                booking.window_start,
                booking.window_end,
                minutes * 60,
                (lat, lon),
            )
        )
    return booked


def load_absences(
    dealer_id: int, installers: Sequence[Installer], start: datetime, end: datetime
) -> dict[int | None, list[tuple[datetime, datetime]]]:
    """Time off and capacity blocks overlapping a period, by installer (None: whole dealer)."""
    absences: dict[int | None, list[tuple[datetime, datetime]]] = defaultdict(list)
    for installer in installers:
        for off in installer.time_off:
            if off.starts_at < end and off.ends_at > start:
                absences[installer.id].append((off.starts_at, off.ends_at))
    blocks = db.session.scalars(
        select(CapacityBlock).where(
            CapacityBlock.dealer_id == dealer_id,
            CapacityBlock.starts_at < end,
            CapacityBlock.ends_at > start,
        )
    )
    for block in blocks:
        absences[block.installer_id].append((block.starts_at, block.ends_at))
    return absences


def build_calendar(
    job: Job, dealer: Dealer, first: date, last: date, *, installers: list[Installer] | None = None
) -> Calendar:
    """Load installers, bookings and absences of the dealer for the job, and the travel matrix."""
    if installers is None:
        installers = capable_installers(dealer.id, job.required_skills)
    zone = ZoneInfo(dealer.timezone)
    start = datetime.combine(first - timedelta(days=1), time(), zone)
    end = datetime.combine(last + timedelta(days=2), time(), zone)
    booked = load_booked(
        [i.id for i in installers],
        first - timedelta(days=1),
        last + timedelta(days=1),
        exclude_job=job.id,
    )
    calendar = Calendar(
        job, dealer, installers, booked, load_absences(dealer.id, installers, start, end)
    )
    points = {(job.lat, job.lon)}
    points.update((i.home_lat, i.home_lon) for i in installers)
    points.update(b.point for day in booked.values() for b in day)
    ordered = sorted(points)
    calendar.points = {point: n for n, point in enumerate(ordered)}
    calendar.matrix = np.asarray(travel_provider(dealer).matrix(ordered), dtype=np.int64)
    return calendar


def shift_span(installer: Installer, day: date) -> list[tuple[int, int]]:
    """The installer's working periods on a local day, as epoch seconds."""
    zone = ZoneInfo(installer.timezone)
    spans = []
    for shift in installer.shifts:
        if shift.weekday != day.isoweekday():
            continue
        start, end = localize(day, shift.start_time, zone), localize(day, shift.end_time, zone)
        if start is not None and end is not None and end > start:
            spans.append((int(start.timestamp()), int(end.timestamp())))
    return sorted(spans)


def _overlaps(periods: Iterable[tuple[datetime, datetime]], start: datetime, end: datetime) -> bool:
    return any(a < end and b > start for a, b in periods)


def place(calendar: Calendar, installer: Installer, window: Window) -> Placement | None:
    """Return how the installer could take the job in the window, or None."""
    day = window.start.astimezone(ZoneInfo(installer.timezone)).date()
    spans = shift_span(installer, day)
    if not spans:
        return None
    if _overlaps(calendar.absences.get(installer.id, ()), window.start, window.end):
        return None
    if _overlaps(calendar.absences.get(None, ()), window.start, window.end):
        return None
    index = calendar.point_index
    matrix = calendar.matrix

    def travel(a: int, b: int) -> int:
        return int(matrix[a, b])

    stops = [
        Stop(
            b.booking_id,
            index(b.point),
            int(b.window_start.timestamp()),
            int(b.window_end.timestamp()),
            b.service_seconds,
        )
        for b in calendar.booked.get((installer.id, day), [])
    ]
    route = DayRoute(
        installer.id,
        index((installer.home_lat, installer.home_lon)),
        spans[0][0],
        spans[-1][1],
        stops,
        installer.max_jobs_per_day,
    )
    service = calendar.job.duration_minutes * 60
    job_point = index((calendar.job.lat, calendar.job.lon))
    w_start, w_end = int(window.start.timestamp()), int(window.end.timestamp())
    best: Insertion | None = None
    for span_start, span_end in spans:
        # The visit must fall inside one working period (not across a lunch break).
        earliest, latest = max(w_start, span_start), min(w_end, span_end - service)
        if earliest > latest:
            continue
        found = best_insertion(route, Stop(0, job_point, earliest, latest, service), travel)
        if found is not None and (best is None or found.extra_travel < best.extra_travel):
            best = found
    return Placement(installer.id, best, day) if best is not None else None


def candidate_windows(dealer: Dealer, first: date, count: int, now: datetime) -> list[Window]:
    """The dealer's template windows from `first` for `count` days, inside lead time and horizon."""
    today = local_today(dealer.timezone, now)
    last_allowed = today + timedelta(days=dealer.horizon_days)
    earliest_start = now + timedelta(hours=dealer.lead_time_hours)
    found = []
    for day in days(max(first, today), count):
        if day > last_allowed:
            break
        found += [
            w
            for w in windows_for_day(day, dealer.window_template, dealer.timezone)
            if w.start >= earliest_start
        ]
    return found


def options(calendar: Calendar, windows: Iterable[Window]) -> list[WindowOption]:
    """Judge each window: which installers could take the job there, cheapest extra travel first."""
    result = []
    for window in windows:
        placements = [p for i in calendar.installers if (p := place(calendar, i, window))]
        if placements:
            placements.sort(key=lambda p: (p.insertion.extra_travel, p.installer_id))
            result.append(WindowOption(window, placements))
    return result
