"""Start the search from routes known to be good, such as the day as it is booked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pyvrp
from pyvrp import Activity, ActivityType, Solution

from .decode import repair
from .encode import Encoding
from .feasibility import Screened
from .model import Problem, StopId, VehicleId
from .schedule import Timeline, best_timeline


def warm_start(
    problem: Problem,
    screened: Screened,
    encoding: Encoding,
    initial: Mapping[VehicleId, Sequence[StopId]],
) -> Solution | None:
    """Return the given routes as a solution, less any stop that breaks a rule there.

    The search keeps the best solution it has seen, starting with this one, so a plan never
    serves fewer stops, or drives more, than a feasible arrangement it was given.
    """
    vehicle_of = {vehicle.id: v for v, vehicle in enumerate(problem.vehicles)}
    stop_of = {stop.id: s for s, stop in enumerate(problem.stops)}
    type_of = {v: t for t, members in enumerate(encoding.type_vehicles) for v in members}
    clients_of: dict[int, list[int]] = {}
    for c, s in enumerate(encoding.client_stop):
        clients_of.setdefault(s, []).append(c)
    clients = encoding.data.clients()
    taken: set[int] = set()
    routes = []
    for vehicle_id, stop_ids in initial.items():
        v = vehicle_of.get(vehicle_id)
        if v is None:
            continue
        sequence = [
            stop_of[s]
            for s in dict.fromkeys(stop_ids)
            if s in stop_of and stop_of[s] in screened.options and stop_of[s] not in taken
        ]
        repair(problem, screened, v, sequence)
        timed = best_timeline(problem, v, sequence) if sequence else None
        if not isinstance(timed, Timeline):
            continue
        visits = []
        for s, planned in zip(sequence, timed.stops, strict=True):
            reachable = screened.options[s][v]
            client = next(
                (
                    c
                    for c in clients_of[s]
                    if clients[c].tw_early <= planned.start <= clients[c].tw_late
                    and any(w.earliest == clients[c].tw_early for w in reachable)
                ),
                None,
            )
            if client is None:
                break
            visits.append(Activity(ActivityType.CLIENT, client))
        else:
            routes.append(pyvrp.Route(encoding.data, visits, type_of[v]))
            taken.update(sequence)
    return Solution(encoding.data, routes) if routes else None
