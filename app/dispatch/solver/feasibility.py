"""Screen out stops that no vehicle could ever serve, each with a specific reason."""

from __future__ import annotations

from dataclasses import dataclass

from .model import Problem, Reason, Stop, TimeWindow, Unassigned, Vehicle, VehicleId


@dataclass(frozen=True)
class Screened:
    """Stops worth giving to the solver and, per stop, which vehicle may take which window."""

    # stop index -> vehicle index -> windows that vehicle can reach within its shift
    options: dict[int, dict[int, tuple[TimeWindow, ...]]]
    # vehicle index -> stop indices locked to it by position, in position order
    chains: dict[int, tuple[int, ...]]
    unassigned: tuple[Unassigned, ...]


def screen(problem: Problem) -> Screened:
    """Split stops into those the solver should plan and those that cannot be planned."""
    index_of = {vehicle.id: i for i, vehicle in enumerate(problem.vehicles)}
    options: dict[int, dict[int, tuple[TimeWindow, ...]]] = {}
    rejected: dict[int, Unassigned] = {}
    for s, stop in enumerate(problem.stops):
        found = _vehicle_options(problem, stop, index_of)
        if isinstance(found, Unassigned):
            rejected[s] = found
        else:
            options[s] = found
    chains = _check_chains(problem, options, rejected, index_of)
    unassigned = tuple(rejected[s] for s in sorted(rejected))
    return Screened(options=options, chains=chains, unassigned=unassigned)


def _vehicle_options(
    problem: Problem, stop: Stop, index_of: dict[VehicleId, int]
) -> dict[int, tuple[TimeWindow, ...]] | Unassigned:
    """Return reachable windows per capable vehicle, or why there is none."""
    if stop.locked_vehicle is not None:
        if stop.locked_vehicle not in index_of:
            return Unassigned(
                stop.id,
                Reason.LOCKED_VEHICLE_UNAVAILABLE,
                f"locked to installer {stop.locked_vehicle!r}, who is not working this day",
            )
        pool = [index_of[stop.locked_vehicle]]
    else:
        pool = list(range(len(problem.vehicles)))

    if not pool:
        message = "no installer is working this day"
        return Unassigned(stop.id, Reason.NO_VEHICLE_WITH_SKILLS, message)
    skilled = [v for v in pool if stop.skills <= problem.vehicles[v].skills]
    if not skilled:
        needed = ", ".join(sorted(stop.skills))
        if stop.locked_vehicle is None:
            message = f"needs skills [{needed}]; no installer working this day has them all"
        else:
            who = repr(stop.locked_vehicle)
            message = f"needs skills [{needed}]; locked installer {who} lacks some"
        return Unassigned(stop.id, Reason.NO_VEHICLE_WITH_SKILLS, message)

    roomy = [v for v in skilled if _has_room(problem.vehicles[v], stop)]
    if not roomy:
        return Unassigned(
            stop.id,
            Reason.OVER_CAPACITY,
            f"demand {stop.demand} exceeds the capacity of every installer with the skills",
        )

    found: dict[int, tuple[TimeWindow, ...]] = {}
    for v in roomy:
        vehicle = problem.vehicles[v]
        windows = tuple(w for w in stop.windows if _reachable(problem, vehicle, stop, w))
        if windows:
            found[v] = windows
    if not found:
        return Unassigned(
            stop.id,
            Reason.WINDOW_UNREACHABLE,
            "no capable installer can reach any of its windows, clear of their breaks, and "
            "get home within the shift",
        )
    return found


def _has_room(vehicle: Vehicle, stop: Stop) -> bool:
    """Return whether the vehicle could carry this stop alone."""
    return stop.demand <= vehicle.capacity and (vehicle.max_stops is None or vehicle.max_stops > 0)


def _reachable(problem: Problem, vehicle: Vehicle, stop: Stop, window: TimeWindow) -> bool:
    """Return whether the vehicle can serve the stop alone in this window within its shift."""
    durations = problem.durations
    arrival = vehicle.shift_start + int(durations[vehicle.start_location, stop.location])
    start = vehicle.earliest_start(arrival, stop, (window,))
    if start is None:
        return False
    return start + stop.service + int(durations[stop.location, vehicle.end_location]) <= (
        vehicle.shift_end
    )


def _check_chains(
    problem: Problem,
    options: dict[int, dict[int, tuple[TimeWindow, ...]]],
    rejected: dict[int, Unassigned],
    index_of: dict[VehicleId, int],
) -> dict[int, tuple[int, ...]]:
    """Walk each pinned head of the day; reject it from the first stop that cannot be kept."""
    heads: dict[int, list[tuple[int, int]]] = {}
    for s, stop in enumerate(problem.stops):
        if stop.locked_position is not None and stop.locked_vehicle in index_of:
            heads.setdefault(index_of[stop.locked_vehicle], []).append((stop.locked_position, s))
    chains: dict[int, tuple[int, ...]] = {}
    for v, pinned in heads.items():
        order = [s for _, s in sorted(pinned)]
        kept = _feasible_prefix(problem, v, order, options)
        for s in order[kept:]:
            options.pop(s, None)
            if s not in rejected:
                rejected[s] = Unassigned(
                    problem.stops[s].id,
                    Reason.LOCK_INFEASIBLE,
                    f"locked at position {problem.stops[s].locked_position} of installer "
                    f"{problem.vehicles[v].id!r}, which cannot be kept with the stops before it",
                )
        if kept:
            chains[v] = tuple(order[:kept])
    return chains


def _feasible_prefix(
    problem: Problem,
    v: int,
    order: list[int],
    options: dict[int, dict[int, tuple[TimeWindow, ...]]],
) -> int:
    """Return how many pinned stops, from position 0, the vehicle can serve in that order."""
    vehicle = problem.vehicles[v]
    time, here, load = vehicle.shift_start, vehicle.start_location, 0
    for count, s in enumerate(order):
        stop = problem.stops[s]
        windows = options.get(s, {}).get(v, ())
        arrival = time + int(problem.durations[here, stop.location])
        start = vehicle.earliest_start(arrival, stop, windows)
        load += stop.demand
        too_many = vehicle.max_stops is not None and count + 1 > vehicle.max_stops
        if start is None or load > vehicle.capacity or too_many:
            return count
        done = start + stop.service
        if done + int(problem.durations[stop.location, vehicle.end_location]) > vehicle.shift_end:
            return count
        time, here = done, stop.location
    return len(order)
