"""Time a sequence of stops for one vehicle and find the first broken constraint."""

from __future__ import annotations

from dataclasses import dataclass

from .feasibility import Screened
from .model import PlannedStop, Problem


@dataclass(frozen=True)
class Timeline:
    """A feasible timing of one vehicle's sequence."""

    stops: tuple[PlannedStop, ...]
    start: int
    end: int


@dataclass(frozen=True)
class Broken:
    """Index of the first stop that misses its windows; len(sequence) means home too late."""

    index: int


def first_violation(
    problem: Problem, screened: Screened, v: int, sequence: list[int]
) -> int | None:
    """Return the index of the first stop that breaks a rule other than time, or None."""
    vehicle = problem.vehicles[v]
    load = 0
    for i, s in enumerate(sequence):
        stop = problem.stops[s]
        load += stop.demand
        if v not in screened.options.get(s, {}):
            return i
        if stop.locked_position is not None and stop.locked_position != i:
            return i
        if load > vehicle.capacity or (vehicle.max_stops is not None and i >= vehicle.max_stops):
            return i
    return None


def time_sequence(problem: Problem, v: int, sequence: list[int], depart: int) -> Timeline | Broken:
    """Time the sequence leaving at `depart`, starting service as early as a window allows."""
    vehicle = problem.vehicles[v]
    durations = problem.durations
    here, clock = vehicle.start_location, depart
    planned: list[PlannedStop] = []
    for i, s in enumerate(sequence):
        stop = problem.stops[s]
        arrival = clock + int(durations[here, stop.location])
        start = vehicle.earliest_start(arrival, stop, stop.windows)
        if start is None:
            return Broken(i)
        clock = start + stop.service
        planned.append(PlannedStop(stop.id, arrival, start, clock))
        here = stop.location
    end = clock + int(durations[here, vehicle.end_location])
    if end > vehicle.shift_end:
        return Broken(len(sequence))
    return Timeline(tuple(planned), depart, end)


def best_timeline(problem: Problem, v: int, sequence: list[int]) -> Timeline | Broken:
    """Time the sequence with services as early as possible and no wait at the first stop."""
    vehicle = problem.vehicles[v]
    earliest = time_sequence(problem, v, sequence, vehicle.shift_start)
    # Leaving at shift start is the most permissive timing: if it fails, every departure fails.
    if isinstance(earliest, Broken) or not sequence:
        return earliest
    first = problem.stops[sequence[0]]
    # Leave just in time for the first service so the installer does not wait on a doorstep.
    just_in_time = earliest.stops[0].start - int(
        problem.durations[vehicle.start_location, first.location]
    )
    if just_in_time > vehicle.shift_start:
        timed = time_sequence(problem, v, sequence, just_in_time)
        if isinstance(timed, Timeline) and _same_starts(timed, earliest):
            return timed
    return earliest


def _same_starts(later: Timeline, earliest: Timeline) -> bool:
    """Return whether leaving later delays no service start."""
    return all(a.start == b.start for a, b in zip(later.stops, earliest.stops, strict=True))
