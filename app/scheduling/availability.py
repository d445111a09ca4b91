"""Which windows can a job be booked in, and by which installer? Read-only; no locks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property
from itertools import pairwise
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.errors import ServiceUnavailable
from app.extensions import db
from app.geo.travel import GreatCircleTravel, OsrmTravel, TravelTimeError, TravelTimeProvider
from app.jobs.models import Job
from app.network.models import Dealer, Installer, InstallerTimeOff
from app.scheduling.capacity import (
    DayRoute,
    Insertion,
    Prepared,
    Stop,
    best_insertion,
    prepare,
    schedule,
)
from app.scheduling.models import Booking, CapacityBlock
from app.scheduling.windows import Window, days, local_today, localize, windows_for_day

# Travel not computed (never needed by the checks) reads as unreachable, never as free.
UNKNOWN_TRAVEL = 10**9


@contextmanager
def travel_provider(dealer: Dealer) -> Iterator[TravelTimeProvider]:
    """Lend the travel-time provider for a dealer: OSRM when configured, else great circle."""
    url = current_app.config.get("OSRM_URL")
    if url:
        # Unroutable pairs read as unreachable (never as free), like legs not computed.
        timeout = current_app.config.get("OSRM_TIMEOUT", 5.0)
        with OsrmTravel(url, timeout=timeout, unroutable_seconds=UNKNOWN_TRAVEL) as osrm:
            yield osrm
    else:
        yield GreatCircleTravel(road_factor=dealer.road_factor, speed_kmh=dealer.average_speed_kmh)


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


@dataclass(frozen=True)
class _Day:
    """One installer's local day with room for a job, ready for insertion checks (epoch s)."""

    route: DayRoute
    prepared: Prepared
    absences: list[tuple[int, int]]


@dataclass
class Calendar:
    """Everything needed to judge a job's windows for one dealer over some days."""

    job: Job
    dealer: Dealer
    installers: list[Installer]
    booked: dict[tuple[int, date], list[_Booked]]
    absences: dict[int | None, list[tuple[datetime, datetime]]]
    points: dict[tuple[float, float], int] = field(default_factory=dict)
    travel_rows: list[list[int]] = field(default_factory=list)
    _days: dict[tuple[int, date], _Day | None] = field(default_factory=dict)
    _weeks: dict[int, dict[int, list[tuple[time, time]]]] = field(default_factory=dict)
    _absent: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    # Most installers share a few shift patterns: their working periods are computed once.
    _spans: dict[tuple[tuple[tuple[time, time], ...], date, str], list[tuple[int, int]]] = field(
        default_factory=dict
    )

    def point_index(self, point: tuple[float, float]) -> int:
        return self.points[point]

    @cached_property
    def service(self) -> int:
        return self.job.duration_minutes * 60

    @cached_property
    def job_point(self) -> int:
        return self.points[(self.job.lat, self.job.lon)]

    def epoch(self, window: Window) -> tuple[int, int]:
        return int(window.start.timestamp()), int(window.end.timestamp())

    def local_day(self, window: Window, zone: str) -> date:
        """The local date a window falls on in a zone (installers may live in another zone)."""
        if zone == window.zone:
            return window.local_date
        return window.start.astimezone(ZoneInfo(zone)).date()

    def travel(self, a: int, b: int) -> int:
        return self.travel_rows[a][b]

    def day(self, installer: Installer, day: date) -> _Day | None:
        """The installer's day (shifts, booked route, absences), built once per calendar.

        None when the installer cannot take another job that day at all: not working, the
        day full, or the booked day itself already infeasible (e.g. a shortened shift).
        """
        key = (installer.id, day)
        if key not in self._days:
            self._days[key] = self._build_day(installer, day)
        return self._days[key]

    def _build_day(self, installer: Installer, day: date) -> _Day | None:
        week = self._weeks.get(installer.id)
        if week is None:
            week = self._weeks[installer.id] = {}
            for shift in installer.shifts:
                week.setdefault(shift.weekday, []).append((shift.start_time, shift.end_time))
        periods = tuple(week.get(day.isoweekday(), ()))
        key = (periods, day, installer.timezone)
        spans = self._spans.get(key)
        if spans is None:
            spans = self._spans[key] = _spans(periods, day, ZoneInfo(installer.timezone))
        booked = self.booked.get((installer.id, day), [])
        if not spans or len(booked) >= installer.max_jobs_per_day:
            return None
        index = self.point_index
        stops = [
            Stop(
                b.booking_id,
                index(b.point),
                int(b.window_start.timestamp()),
                int(b.window_end.timestamp()),
                b.service_seconds,
            )
            for b in booked
        ]
        absences = self._absences_of(installer.id)
        route = DayRoute(
            installer.id,
            index((installer.home_lat, installer.home_lon)),
            spans[0][0],
            spans[-1][1],
            stops,
            installer.max_jobs_per_day,
            breaks_within(spans, absences),
        )
        prepared = prepare(route, self.travel)
        if prepared is None:
            return None
        return _Day(route, prepared, absences)

    def _absences_of(self, installer_id: int) -> list[tuple[int, int]]:
        found = self._absent.get(installer_id)
        if found is None:
            found = self._absent[installer_id] = [
                (int(a.timestamp()), int(b.timestamp()))
                for a, b in absences_of(self.absences, installer_id)
            ]
        return found


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
        .options(selectinload(Installer.shifts))
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
        select(
            Booking.id,
            Booking.job_id,
            Booking.installer_id,
            Booking.local_date,
            Booking.sequence,
            Booking.window_start,
            Booking.window_end,
            Job.duration_minutes,
            Job.lat,
            Job.lon,
        )
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
    for row in db.session.execute(stmt):
        key = (row.installer_id, row.local_date)
        booked[key].append(_Booked(*row[:7], row.duration_minutes * 60, (row.lat, row.lon)))
    return booked


def load_absences(
    dealer_id: int, installers: Sequence[Installer], start: datetime, end: datetime
) -> dict[int | None, list[tuple[datetime, datetime]]]:
    """Time off and capacity blocks overlapping a period, by installer (None: whole dealer)."""
    absences: dict[int | None, list[tuple[datetime, datetime]]] = defaultdict(list)
    time_off = select(
        InstallerTimeOff.installer_id, InstallerTimeOff.starts_at, InstallerTimeOff.ends_at
    ).where(
        InstallerTimeOff.installer_id.in_([i.id for i in installers]),
        InstallerTimeOff.starts_at < end,
        InstallerTimeOff.ends_at > start,
    )
    blocks = select(
        CapacityBlock.installer_id, CapacityBlock.starts_at, CapacityBlock.ends_at
    ).where(
        CapacityBlock.dealer_id == dealer_id,
        CapacityBlock.starts_at < end,
        CapacityBlock.ends_at > start,
    )
    for installer_id, starts_at, ends_at in db.session.execute(time_off.union_all(blocks)):
        absences[installer_id].append((starts_at, ends_at))
    return absences


def absences_of(
    absences: Mapping[int | None, Sequence[tuple[datetime, datetime]]], installer_id: int
) -> list[tuple[datetime, datetime]]:
    """An installer's own absences followed by the whole dealer's."""
    return [*absences.get(installer_id, ()), *absences.get(None, ())]


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
    try:
        with travel_provider(dealer) as provider:
            calendar.travel_rows = _travel_rows(provider, ordered, calendar, installers)
    except TravelTimeError as error:
        raise ServiceUnavailable(
            "Travel times are unavailable right now (routing server); try again shortly.",
            code="travel_unavailable",
        ) from error
    return calendar


def _travel_rows(
    provider: TravelTimeProvider,
    ordered: list[tuple[float, float]],
    calendar: Calendar,
    installers: list[Installer],
) -> list[list[int]]:
    """Travel seconds the insertion checks read: to and from the job, and along each booked day.

    A full matrix of every place would cost O(n²); the checks only ever read legs that
    touch the new job and legs between consecutive stops of a day (home first and last).
    """
    n = len(ordered)
    rows = [[UNKNOWN_TRAVEL] * n for _ in range(n)]
    for i in range(n):
        rows[i][i] = 0
    job = calendar.job_point
    job_place = [ordered[job]]
    for i, seconds in enumerate(provider.matrix_between(job_place, ordered)[0].tolist()):
        rows[job][i] = seconds
    for i, seconds in enumerate(provider.matrix_between(ordered, job_place)[:, 0].tolist()):
        rows[i][job] = seconds
    homes = {i.id: (i.home_lat, i.home_lon) for i in installers}
    legs: set[tuple[tuple[float, float], tuple[float, float]]] = set()
    for (installer_id, _day), stops in calendar.booked.items():
        home = homes.get(installer_id)
        if home is None:
            continue
        path = [home, *(b.point for b in stops), home]
        legs.update(pairwise(path))
    if legs:
        pairs = sorted(legs)
        seconds = provider.pairs([a for a, _ in pairs], [b for _, b in pairs]).tolist()
        index = calendar.points
        for (a, b), value in zip(pairs, seconds, strict=True):
            rows[index[a]][index[b]] = value
    return rows


def shift_span(installer: Installer, day: date) -> list[tuple[int, int]]:
    """The installer's working periods on a local day, as epoch seconds."""
    periods = [
        (s.start_time, s.end_time) for s in installer.shifts if s.weekday == day.isoweekday()
    ]
    return _spans(periods, day, ZoneInfo(installer.timezone))


def breaks_within(
    spans: list[tuple[int, int]], absences: list[tuple[int, int]]
) -> tuple[tuple[int, int], ...]:
    """The periods inside a working day with no visits: gaps between its working periods
    and absences, clipped to the day and merged, in time order."""
    first, last = spans[0][0], spans[-1][1]
    gaps = [(end, start) for (_, end), (start, _) in pairwise(spans) if end < start]
    inside = sorted(
        (max(a, first), min(b, last)) for a, b in [*gaps, *absences] if a < last and b > first
    )
    merged: list[tuple[int, int]] = []
    for a, b in inside:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return tuple(merged)


def _spans(
    periods: Iterable[tuple[time, time]], day: date, zone: ZoneInfo
) -> list[tuple[int, int]]:
    spans = []
    for start_clock, end_clock in periods:
        start, end = localize(day, start_clock, zone), localize(day, end_clock, zone)
        if start is not None and end is not None and end > start:
            spans.append((int(start.timestamp()), int(end.timestamp())))
    return sorted(spans)


def place(calendar: Calendar, installer: Installer, window: Window) -> Placement | None:
    """Return how the installer could take the job in the window, or None."""
    day = calendar.local_day(window, installer.timezone)
    working = calendar.day(installer, day)
    if working is None:
        return None
    insertion = _fit(calendar, working, *calendar.epoch(window))
    return Placement(installer.id, insertion, day) if insertion is not None else None


def starts_after(
    calendar: Calendar, installer: Installer, fit: Placement, window: Window
) -> list[int]:
    """The earliest service starts of the installer's day (epoch s, in visiting order) with
    the job inserted where `fit` puts it: every later visit may have moved."""
    working = calendar.day(installer, fit.local_date)
    assert working is not None
    stops = list(working.route.stops)
    stops.insert(
        fit.insertion.position,
        Stop(0, calendar.job_point, *calendar.epoch(window), calendar.service),
    )
    starts = schedule(replace(working.route, stops=stops), calendar.travel)
    assert starts is not None, "a placement always leaves a feasible day"
    return starts


def _fit(calendar: Calendar, working: _Day, w_start: int, w_end: int) -> Insertion | None:
    """The cheapest way to fit the job into a working day with its arrival in [w_start, w_end]."""
    if working.absences and any(a < w_end and b > w_start for a, b in working.absences):
        return None
    # The route's breaks keep the visit inside one working period (not across lunch).
    new = Stop(0, calendar.job_point, w_start, w_end, calendar.service)
    return best_insertion(working.route, new, calendar.travel, working.prepared)


def candidate_windows(dealer: Dealer, first: date, count: int, now: datetime) -> list[Window]:
    """The dealer's template windows from `first` for `count` days, inside lead time and horizon."""
    today = local_today(dealer.timezone, now)
    last_allowed = today + timedelta(days=dealer.horizon_days)
    earliest_start = now + timedelta(hours=dealer.lead_time_hours)
    found = []
    for day in days(first, count):
        if day < today:
            continue
        if day > last_allowed:
            break
        found += [
            w
            for w in windows_for_day(day, dealer.window_template, dealer.timezone)
            if w.start >= earliest_start
        ]
    return found


def options(calendar: Calendar, windows: Iterable[Window]) -> list[WindowOption]:
    """Judge each window: which installers could take the job there, cheapest extra travel first.

    Installer by installer, so each working day is looked up once for all its windows.
    """
    windows = list(windows)
    epochs = [calendar.epoch(window) for window in windows]
    local_days: dict[str, list[date]] = {}
    found: list[list[Placement]] = [[] for _ in windows]
    for installer in calendar.installers:
        zone = installer.timezone
        if zone not in local_days:
            local_days[zone] = [calendar.local_day(window, zone) for window in windows]
        last_day, working = None, None
        for n, day in enumerate(local_days[zone]):
            if day != last_day:
                last_day, working = day, calendar.day(installer, day)
            if working is None:
                continue
            insertion = _fit(calendar, working, *epochs[n])
            if insertion is not None:
                found[n].append(Placement(installer.id, insertion, day))
    result = []
    for window, placements in zip(windows, found, strict=True):
        if placements:
            placements.sort(key=lambda p: (p.insertion.extra_travel, p.installer_id))
            result.append(WindowOption(window, placements))
    return result
