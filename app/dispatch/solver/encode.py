"""Translate a screened Problem into PyVRP's ProblemData."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from pyvrp import Client, ClientGroup, Depot, Location, ProblemData, VehicleType
from pyvrp.constants import MAX_VALUE

from .feasibility import Screened
from .model import Problem, TimeWindow

IntMatrix = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Encoding:
    """PyVRP data plus the maps back from its indices to the Problem's."""

    data: ProblemData
    client_stop: tuple[int, ...]
    type_vehicles: tuple[tuple[int, ...], ...]

    @property
    def num_stops(self) -> int:
        """Return how many stops the clients stand for."""
        return len(set(self.client_stop))


@dataclass(frozen=True)
class _Clients:
    """PyVRP clients: one per (stop, window) so a stop with several windows is a group."""

    stop: tuple[int, ...]
    window: tuple[TimeWindow, ...]
    of_stop: dict[int, tuple[int, ...]]


def encode(problem: Problem, screened: Screened) -> Encoding:
    """Build ProblemData; skills, locks and reach become per-vehicle forbidden edges."""
    depots = _depot_locations(problem)
    clients = _split_windows(problem, screened)
    offset = len(depots)
    locations = depots + [problem.stops[s].location for s in clients.stop]
    base = np.ascontiguousarray(problem.durations[np.ix_(locations, locations)], dtype=np.int64)
    cost = base
    if problem.costs is not None:
        cost = np.ascontiguousarray(problem.costs[np.ix_(locations, locations)], dtype=np.int64)

    vehicles = problem.vehicles
    max_travel = int(max(base.max(), cost.max())) if base.size else 0
    max_fixed = max(v.fixed_cost for v in vehicles)
    # Cost per second of travel exceeds the one unit each used vehicle costs, so fewer
    # vehicles only ever break ties in travel duration.
    per_second = len(vehicles) + 1
    # Serving a stop must always beat leaving it out, even if it needs its own vehicle.
    prize = per_second * (2 * max_travel + max_fixed) + 2
    forbidden = _forbidden_value(problem, max_travel, max_fixed, len(clients.stop))

    vehicle_types, matrices, type_members = _fleet(
        problem, screened, clients, depots, (base, cost), forbidden=forbidden, per_second=per_second
    )
    dims = _load_dimensions(problem)

    groups = [
        ClientGroup(list(members), required=False)
        for members in clients.of_stop.values()
        if len(members) > 1
    ]
    group_of = {c: g for g, group in enumerate(groups) for c in group.clients}
    pyvrp_clients = [
        Client(
            location=offset + c,
            delivery=[problem.stops[s].demand if dim == "demand" else 1 for dim in dims],
            service_duration=problem.stops[s].service,
            tw_early=clients.window[c].earliest,
            tw_late=clients.window[c].latest,
            prize=prize,
            required=False,
            group=group_of.get(c),
            name=str(problem.stops[s].id),
        )
        for c, s in enumerate(clients.stop)
    ]
    # PyVRP's stubs spell the matrix type loosely; the arrays are int64 as it expects.
    durations: list[Any] = [time for time, _ in matrices]
    # The same arrays when no costs are given, as before costs existed.
    weights: list[Any] = [weight for _, weight in matrices] if cost is not base else durations
    data = ProblemData(
        locations=[Location(0.0, 0.0) for _ in locations],
        clients=pyvrp_clients,
        depots=[Depot(location=d) for d in range(offset)],
        vehicle_types=vehicle_types,
        # The solver's "distance" is our objective: travel duration, or the costs given;
        # real distances are only reported afterwards.
        distance_matrices=weights,
        duration_matrices=durations,
        groups=groups,
    )
    return Encoding(
        data=data,
        client_stop=clients.stop,
        type_vehicles=tuple(tuple(members) for members in type_members),
    )


def _fleet(
    problem: Problem,
    screened: Screened,
    clients: _Clients,
    depots: list[int],
    bases: tuple[IntMatrix, IntMatrix],
    *,
    forbidden: int,
    per_second: int,
) -> tuple[list[VehicleType], list[tuple[IntMatrix, IntMatrix]], list[list[int]]]:
    """Group identical vehicles into types, each with the profile of what it may serve."""
    offset = len(depots)
    allowed = [_allowed_clients(screened, clients, v) for v in range(len(problem.vehicles))]
    profile_of: dict[tuple[object, ...], int] = {}
    matrices: list[tuple[IntMatrix, IntMatrix]] = []
    type_of: dict[tuple[object, ...], int] = {}
    type_members: list[list[int]] = []
    vehicle_types: list[VehicleType] = []
    dims = _load_dimensions(problem)
    for v, vehicle in enumerate(problem.vehicles):
        chain = tuple(clients.of_stop[s] for s in screened.chains.get(v, ()))
        start_depot = depots.index(vehicle.start_location)
        profile_key = (allowed[v], chain, start_depot if chain else None)
        if profile_key not in profile_of:
            profile_of[profile_key] = len(matrices)
            time, weight = (
                _profile_matrix(
                    base,
                    offset,
                    allowed=allowed[v],
                    chain=chain,
                    start_depot=start_depot,
                    forbidden=forbidden,
                )
                for base in bases
            )
            matrices.append((time, weight))
        type_key = (
            vehicle.start_location,
            vehicle.end_location,
            vehicle.shift_start,
            vehicle.shift_end,
            vehicle.max_stops,
            vehicle.capacity,
            vehicle.fixed_cost,
            profile_of[profile_key],
        )
        if type_key in type_of:
            type_members[type_of[type_key]].append(v)
            continue
        type_of[type_key] = len(vehicle_types)
        type_members.append([v])
        vehicle_types.append(
            VehicleType(
                num_available=1,
                capacity=[
                    vehicle.capacity if dim == "demand" else _stop_limit(vehicle.max_stops)
                    for dim in dims
                ],
                start_depot=start_depot,
                end_depot=depots.index(vehicle.end_location),
                fixed_cost=per_second * vehicle.fixed_cost + 1,
                tw_early=vehicle.shift_start,
                tw_late=vehicle.shift_end,
                unit_distance_cost=per_second,
                unit_duration_cost=0,
                profile=profile_of[profile_key],
                name=str(vehicle.id),
            )
        )
    vehicle_types = [
        vt.replace(num_available=len(members))
        for vt, members in zip(vehicle_types, type_members, strict=True)
    ]
    return vehicle_types, matrices, type_members


def _depot_locations(problem: Problem) -> list[int]:
    """Return each distinct start or end location once, in order of first use."""
    found: list[int] = []
    for vehicle in problem.vehicles:
        for location in (vehicle.start_location, vehicle.end_location):
            if location not in found:
                found.append(location)
    return found


def _split_windows(problem: Problem, screened: Screened) -> _Clients:
    """Make one client per stop and reachable window, in stop order."""
    stop: list[int] = []
    window: list[TimeWindow] = []
    of_stop: dict[int, tuple[int, ...]] = {}
    for s in sorted(screened.options):
        reachable = {w for windows in screened.options[s].values() for w in windows}
        members = []
        for w in dict.fromkeys(problem.stops[s].windows):
            if w in reachable:
                members.append(len(stop))
                stop.append(s)
                window.append(w)
        of_stop[s] = tuple(members)
    return _Clients(stop=tuple(stop), window=tuple(window), of_stop=of_stop)


def _allowed_clients(screened: Screened, clients: _Clients, v: int) -> frozenset[int]:
    """Return the clients vehicle v may serve: skills, locks, capacity and reach allow it."""
    return frozenset(
        c for c, s in enumerate(clients.stop) if clients.window[c] in screened.options[s].get(v, ())
    )


def _load_dimensions(problem: Problem) -> list[str]:
    """Return the load dimensions needed: demand, and a stop count for max stops."""
    dims = []
    if any(stop.demand for stop in problem.stops):
        dims.append("demand")
    if any(vehicle.max_stops is not None for vehicle in problem.vehicles):
        dims.append("stops")
    return dims


def _stop_limit(max_stops: int | None) -> int:
    """Return the capacity of the stop-count dimension."""
    return max_stops if max_stops is not None else 1_000_000


def _forbidden_value(problem: Problem, max_travel: int, max_fixed: int, num_clients: int) -> int:
    """Return an edge length that is always late and never worth its prizes."""
    latest = max(
        [v.shift_end for v in problem.vehicles]
        + [w.latest for s in problem.stops for w in s.windows]
    )
    longest_service = max((s.service for s in problem.stops), default=0)
    value = latest + longest_service + max_travel + num_clients * (2 * max_travel + max_fixed + 2)
    if value > MAX_VALUE:
        raise ValueError("durations or times are too large for the solver; use seconds")
    return value


def _profile_matrix(
    base: IntMatrix,
    offset: int,
    *,
    allowed: frozenset[int],
    chain: tuple[tuple[int, ...], ...],
    start_depot: int,
    forbidden: int,
) -> IntMatrix:
    """Return the travel matrix one vehicle sees: edges into clients it may not serve are cut."""
    matrix = base.copy()
    barred = [offset + c for c in range(base.shape[0] - offset) if c not in allowed]
    matrix[:, barred] = forbidden
    # A pinned head of the day: each pinned stop may only be entered from the one before it,
    # so if it is served at all it sits at exactly its position.
    previous = [start_depot]
    for members in chain:
        columns = [offset + c for c in members]
        keep = matrix[np.ix_(previous, columns)].copy()
        matrix[:, columns] = forbidden
        matrix[np.ix_(previous, columns)] = keep
        previous = columns
    np.fill_diagonal(matrix, 0)
    return matrix


def require_all(data: ProblemData) -> ProblemData:
    """Return the same data with every stop required, for searching once all fit."""
    return require(data, range(data.num_clients))


def require(data: ProblemData, chosen: Iterable[int]) -> ProblemData:
    """Return the same data with the stops of the chosen clients required (others unchanged)."""
    picked = set(chosen)
    groups = [
        ClientGroup(list(g.clients), required=g.required or bool(picked & set(g.clients)))
        for g in data.groups()
    ]
    grouped = {n for n, g in enumerate(groups) if g.required}
    clients = []
    for n, c in enumerate(data.clients()):
        # A stop with several windows stays an optional member of a required group.
        required = c.required or (c.group is None and n in picked)
        clients.append(
            Client(
                location=c.location,
                delivery=c.delivery,
                service_duration=c.service_duration,
                tw_early=c.tw_early,
                tw_late=c.tw_late,
                prize=0 if required or c.group in grouped else c.prize,
                required=required,
                group=c.group,
                name=c.name,
            )
        )
    return data.replace(clients=clients, groups=groups)
