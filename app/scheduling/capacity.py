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
    """A feasible day's earliest and latest service starts, computed once for many checks."""

    route: DayRoute
    earliest: list[int]
    latest: list[int]


def prepare(route: DayRoute, travel: Travel) -> Prepared | None:
    """Compute the slack of a day once; None when the day itself is infeasible."""
    earliest = schedule(route, travel)
    if earliest is None:
        return None
    return Prepared(route, earliest, _latest_starts(route, travel))


def best_insertion(
    route: DayRoute, new: Stop, travel: Travel, prepared: Prepared | None = None
) -> Insertion | None:
    """Find the feasible position that adds the least driving, or None if the job cannot fit."""
    if len(route.stops) >= route.max_jobs:
        return None
    if prepared is None:
        prepared = prepare(route, travel)
        if prepared is None:
            return None
    earliest, latest = prepared.earliest, prepared.latest
    stops = route.stops
    best: Insertion | None = None
    for position in range(len(stops) + 1):
        if position:
            before = stops[position - 1]
            prev_point, prev_depart = before.point, earliest[position - 1] + before.service
        else:
            prev_point, prev_depart = route.home, route.shift_start
        start = max(new.window_start, prev_depart + travel(prev_point, new.point))
        if start > new.window_end or start + new.service > route.shift_end:
            continue
        if position < len(stops):
            following = stops[position]
            arrival = start + new.service + travel(new.point, following.point)
            if max(arrival, following.window_start) > latest[position]:
                continue
            next_point = following.point
        else:
            next_point = route.home
        extra = (
            travel(prev_point, new.point)
            + travel(new.point, next_point)
            - travel(prev_point, next_point)
        )
        if best is None or extra < best.extra_travel:
            best = Insertion(position=position, extra_travel=extra, service_start=start)
    return best
