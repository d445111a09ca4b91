"""Can an installer take one more job? Cheapest feasible insertion into their day, with travel.

Times are integer seconds (epoch); a day route leaves home at shift start, serves each stop
with its service starting inside that stop's window (waiting when early), and must finish
every service by the shift end. A new stop fits when, inserted somewhere in the sequence,
its own window is kept and every later stop can still start inside its window.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

Travel = Callable[[int, int], int]


@dataclass(frozen=True, slots=True)
class Stop:
    key: int
    point: int  # index into the travel matrix
    window_start: int
    window_end: int
    service: int


@dataclass(frozen=True, slots=True)
class DayRoute:
    installer_id: int
    home: int
    shift_start: int
    shift_end: int
    stops: Sequence[Stop]
    max_jobs: int


@dataclass(frozen=True, slots=True)
class Insertion:
    position: int
    extra_travel: int  # seconds of driving added to the day
    service_start: int  # when the new job's service would start


def schedule(route: DayRoute, travel: Travel) -> list[int] | None:
    """Return the earliest service start of every stop, or None if the day is infeasible."""
    starts, clock, here = [], route.shift_start, route.home
    for stop in route.stops:
        start = max(stop.window_start, clock + travel(here, stop.point))
        if start > stop.window_end or start + stop.service > route.shift_end:
            return None
        starts.append(start)
        clock, here = start + stop.service, stop.point
    return starts


def _latest_starts(route: DayRoute, travel: Travel) -> list[int]:
    """Latest service start of each stop that still keeps every later stop inside its window."""
    stops = route.stops
    latest = [0] * len(stops)
    for i in range(len(stops) - 1, -1, -1):
        stop = stops[i]
        bound = min(stop.window_end, route.shift_end - stop.service)
        if i + 1 < len(stops):
            bound = min(
                bound, latest[i + 1] - stop.service - travel(stop.point, stops[i + 1].point)
            )
        latest[i] = bound
    return latest


@dataclass(frozen=True, slots=True)
class Prepared:
    """A feasible day's slack, computed once for many insertion checks.

    Plain lists (points, departures, window starts, latest starts) keep the inner loop of
    best_insertion free of attribute lookups: it runs for every installer and window.
    """

    route: DayRoute
    earliest: list[int]
    latest: list[int]
    points: list[int]
    departs: list[int]
    window_starts: list[int]


def prepare(route: DayRoute, travel: Travel) -> Prepared | None:
    """Compute the slack of a day once; None when the day itself is infeasible."""
    earliest = schedule(route, travel)
    if earliest is None:
        return None
    stops = route.stops
    return Prepared(
        route,
        earliest,
        _latest_starts(route, travel),
        [s.point for s in stops],
        [start + s.service for start, s in zip(earliest, stops, strict=True)],
        [s.window_start for s in stops],
    )


def best_insertion(
    route: DayRoute, new: Stop, travel: Travel, prepared: Prepared | None = None
) -> Insertion | None:
    """Find the feasible position that adds the least driving, or None if the job cannot fit."""
    count = len(route.stops)
    if count >= route.max_jobs:
        return None
    if prepared is None:
        prepared = prepare(route, travel)
        if prepared is None:
            return None
    points, departs, opens, latest = (
        prepared.points,
        prepared.departs,
        prepared.window_starts,
        prepared.latest,
    )
    home, point, service = route.home, new.point, new.service
    w_start, w_end, last_start = new.window_start, new.window_end, route.shift_end - new.service
    best_extra, best_position, best_start = -1, -1, 0
    prev_point, prev_depart = home, route.shift_start
    for position in range(count + 1):
        if position:
            prev_point, prev_depart = points[position - 1], departs[position - 1]
        to_new = travel(prev_point, point)
        start = prev_depart + to_new
        start = max(start, w_start)
        if start > w_end or start > last_start:
            continue
        if position < count:
            next_point = points[position]
            arrival = start + service + travel(point, next_point)
            arrival = max(arrival, opens[position])
            if arrival > latest[position]:
                continue
        else:
            next_point = home
        extra = to_new + travel(point, next_point) - travel(prev_point, next_point)
        if best_position < 0 or extra < best_extra:
            best_extra, best_position, best_start = extra, position, start
    if best_position < 0:
        return None
    return Insertion(position=best_position, extra_travel=best_extra, service_start=best_start)
