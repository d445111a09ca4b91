"""Turn the solver's answer into a Plan that provably keeps every rule."""

from __future__ import annotations

from itertools import pairwise

from pyvrp import Solution

from .encode import Encoding
from .feasibility import Screened
from .model import Problem, Reason, Route, Unassigned
from .schedule import Broken, Timeline, best_timeline, first_violation


def read_sequences(encoding: Encoding, solution: Solution) -> dict[int, list[int]]:
    """Return vehicle index -> stop indices in visiting order."""
    free = [list(members) for members in encoding.type_vehicles]
    sequences: dict[int, list[int]] = {}
    for route in solution.routes():
        v = free[route.vehicle_type()].pop(0)
        sequences[v] = [encoding.client_stop[a.idx] for a in route if a.is_client()]
    return sequences


def build_plan(
    problem: Problem, screened: Screened, sequences: dict[int, list[int]]
) -> tuple[tuple[Route, ...], tuple[Unassigned, ...]]:
    """Repair and complete the sequences, then time them and list every stop left out."""
    for v in sorted(sequences):
        repair(problem, screened, v, sequences[v])
    planned = {s for sequence in sequences.values() for s in sequence}
    # The solver only tries insertions near each stop's neighbours; try every position.
    for s in sorted(screened.options):
        if s not in planned:
            _insert_cheapest(problem, screened, sequences, s)
    planned = {s for sequence in sequences.values() for s in sequence}

    routes = []
    for v in sorted(sequences):
        if sequences[v]:
            timed = best_timeline(problem, v, sequences[v])
            if not isinstance(timed, Timeline):
                raise RuntimeError(f"repaired route of vehicle {v} is not feasible")
            routes.append(_route(problem, v, sequences[v], timed))
    unassigned = list(screened.unassigned) + [
        Unassigned(
            problem.stops[s].id,
            Reason.NO_FEASIBLE_ROUTE,
            "fits no installer's route without breaking another booked window, "
            "a shift, a capacity or a lock",
        )
        for s in sorted(screened.options)
        if s not in planned
    ]
    order = {stop.id: i for i, stop in enumerate(problem.stops)}
    unassigned.sort(key=lambda item: order[item.stop_id])
    return tuple(routes), tuple(unassigned)


def repair(problem: Problem, screened: Screened, v: int, sequence: list[int]) -> None:
    """Drop stops from the sequence until it is feasible (a guard; the solver rarely needs it)."""
    while sequence:
        broken = first_violation(problem, screened, v, sequence)
        if broken is None:
            timed = best_timeline(problem, v, sequence)
            if isinstance(timed, Timeline):
                break
            broken = min(timed.index, len(sequence) - 1)
        sequence.pop(broken)


def _insert_cheapest(
    problem: Problem, screened: Screened, sequences: dict[int, list[int]], s: int
) -> None:
    """Insert stop s where it adds the least travel and keeps every rule, if anywhere."""
    best: tuple[int, int, int] | None = None
    location = problem.stops[s].location
    durations = problem.durations if problem.costs is None else problem.costs
    for v in sorted(screened.options[s]):
        vehicle = problem.vehicles[v]
        sequence = sequences.get(v, [])
        stops = [vehicle.start_location] + [problem.stops[t].location for t in sequence]
        stops.append(vehicle.end_location)
        for i in range(len(sequence) + 1):
            before, after = stops[i], stops[i + 1]
            added = int(
                durations[before, location] + durations[location, after] - durations[before, after]
            )
            if best is not None and added >= best[0]:
                continue
            trial = [*sequence[:i], s, *sequence[i:]]
            if first_violation(problem, screened, v, trial) is not None:
                continue
            if isinstance(best_timeline(problem, v, trial), Broken):
                continue
            best = (added, v, i)
    if best is not None:
        _, v, i = best
        sequences.setdefault(v, []).insert(i, s)


def _route(problem: Problem, v: int, sequence: list[int], timed: Timeline) -> Route:
    """Return the Route with travel totals for one vehicle."""
    vehicle = problem.vehicles[v]
    path = [vehicle.start_location] + [problem.stops[s].location for s in sequence]
    path.append(vehicle.end_location)
    legs = list(pairwise(path))
    travel = sum(int(problem.durations[a, b]) for a, b in legs)
    distance = None
    if problem.distances is not None:
        distance = float(sum(float(problem.distances[a, b]) for a, b in legs))
    return Route(
        vehicle_id=vehicle.id,
        stops=timed.stops,
        start=timed.start,
        end=timed.end,
        travel_duration=travel,
        distance=distance,
    )
