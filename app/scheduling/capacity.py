"""Can an installer take one more job? Cheapest feasible insertion into their day, with travel.

Times are integer seconds (epoch); a day route leaves home at shift start, serves each stop
with its service starting inside that stop's window (waiting when early), and must finish
every service by the shift end, and no visit may overlap a break (a gap between shifts,
time off; the installer may drive through one). A new stop fits when, inserted somewhere in
the sequence, its own window is kept and every later stop can still start inside its window.
Waiting out a break keeps the start times monotone in the arrival, so one latest start per
stop still decides whether the rest of the day can be kept.
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
    # Sorted, disjoint periods with no service inside the shift (a lunch gap between two
    # shifts, time off): the installer may drive through one, but no visit may overlap it.
    breaks: Sequence[tuple[int, int]] = ()


def clear_of_breaks(start: int, service: int, breaks: Sequence[tuple[int, int]]) -> int:
    """The earliest start at or after `start` whose visit overlaps no break (waits them out)."""
    for pause_start, pause_end in breaks:
        if start < pause_end and start + service > pause_start:
            start = pause_end
    return start


def _latest_clear(start: int, service: int, breaks: Sequence[tuple[int, int]]) -> int:
    """The latest start at or before `start` whose visit overlaps no break."""
    for pause_start, pause_end in reversed(breaks):
        if start < pause_end and start + service > pause_start:
            start = pause_start - service
    return start


@dataclass(frozen=True, slots=True)
class Insertion:
    position: int
    extra_travel: int  # seconds of driving added to the day
    service_start: int  # when the new job's service would start


def schedule(route: DayRoute, travel: Travel) -> list[int] | None:
    """Return the earliest service start of every stop, or None if the day is infeasible."""
    starts, clock, here, breaks = [], route.shift_start, route.home, route.breaks
    for stop in route.stops:
        start = max(stop.window_start, clock + travel(here, stop.point))
        if breaks:
            start = clear_of_breaks(start, stop.service, breaks)
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
        if route.breaks:
            bound = _latest_clear(bound, stop.service, route.breaks)
        latest[i] = bound
    return latest


@dataclass(frozen=True, slots=True)
class Prepared:
    """A feasible day's slack, computed once for many insertion checks.

    Plain lists (points, departures, window starts, latest starts) keep the inner loop of
    best_insertion free of attribute lookups: it runs for every installer and window.
    """

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
    home, point, service, breaks = route.home, new.point, new.service, route.breaks
    w_start, w_end, last_start = new.window_start, new.window_end, route.shift_end - new.service
    best_extra, best_position, best_start = -1, -1, 0
    prev_point, prev_depart = home, route.shift_start
    for position in range(count + 1):
        if position:
            prev_point, prev_depart = points[position - 1], departs[position - 1]
            if prev_depart > w_end or prev_depart > last_start:
                break  # departures only grow: no later position can start in time either
        if position < count and max(prev_depart, w_start) + service > latest[position]:
            continue  # even without driving, the next stop would start too late
        to_new = travel(prev_point, point)
        start = prev_depart + to_new
        start = max(start, w_start)
        if breaks:
            start = clear_of_breaks(start, service, breaks)
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
