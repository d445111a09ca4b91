"""Independent feasibility checker for day plans; shares no code with the solver."""

from __future__ import annotations

import math
from collections import Counter

from app.dispatch.solver.model import Plan, Problem, Reason, Route, Stop, Vehicle


def check_plan(problem: Problem, plan: Plan) -> list[str]:
    """Return every rule the plan breaks, as sentences; an empty list means feasible."""
    errors: list[str] = []
    stops = {stop.id: stop for stop in problem.stops}
    vehicles = {vehicle.id: vehicle for vehicle in problem.vehicles}

    seen = Counter(ps.stop_id for route in plan.routes for ps in route.stops)
    seen.update(item.stop_id for item in plan.unassigned)
    for stop_id in stops:
        if seen[stop_id] != 1:
            errors.append(f"stop {stop_id!r} appears {seen[stop_id]} times in the plan")
    errors += [f"unknown stop {stop_id!r} in the plan" for stop_id in seen if stop_id not in stops]
    for item in plan.unassigned:
        if not isinstance(item.reason, Reason) or not item.message:
            errors.append(f"stop {item.stop_id!r}: unassigned without a reason code and message")

    used = Counter(route.vehicle_id for route in plan.routes)
    for vehicle_id, count in used.items():
        if vehicle_id not in vehicles:
            errors.append(f"route for unknown vehicle {vehicle_id!r}")
        elif count > 1:
            errors.append(f"vehicle {vehicle_id!r} has {count} routes")
    for route in plan.routes:
        if route.vehicle_id in vehicles:
            errors += _check_route(problem, vehicles[route.vehicle_id], route, stops)

    for stop in problem.stops:
        errors += _check_lock(stop, plan)

    total = sum(route.travel_duration for route in plan.routes)
    if plan.travel_duration != total:
        errors.append(f"plan travel {plan.travel_duration} != sum of routes {total}")
    if problem.distances is None:
        if plan.distance is not None:
            errors.append("plan distance reported without a distance matrix")
    else:
        length = sum(route.distance or 0.0 for route in plan.routes)
        if plan.distance is None or not math.isclose(plan.distance, length, abs_tol=1e-6):
            errors.append(f"plan distance {plan.distance} != sum of routes {length}")
    return errors


def _check_route(problem: Problem, vehicle: Vehicle, route: Route, stops: dict) -> list[str]:
    """Check one route's timing, skills, limits and reported totals."""
    errors: list[str] = []
    name = f"vehicle {vehicle.id!r}"
    matrix = problem.durations
    if not route.stops:
        errors.append(f"{name}: empty route reported")
    if route.start < vehicle.shift_start:
        errors.append(f"{name}: leaves at {route.start}, before shift start {vehicle.shift_start}")
    here, clock = vehicle.start_location, route.start
    travel, distance, load = 0, 0.0, 0
    for planned in route.stops:
        stop: Stop | None = stops.get(planned.stop_id)
        if stop is None:
            continue
        leg = int(matrix[here][stop.location])
        travel += leg
        if problem.distances is not None:
            distance += float(problem.distances[here][stop.location])
        where = f"{name}, stop {stop.id!r}"
        if planned.arrival != clock + leg:
            errors.append(f"{where}: arrival {planned.arrival} != {clock} + travel {leg}")
        if planned.start < planned.arrival:
            errors.append(f"{where}: service starts {planned.start} before arrival")
        if not any(lo <= planned.start <= hi for lo, hi in stop.windows):
            errors.append(f"{where}: service start {planned.start} outside {stop.windows}")
        if planned.departure != planned.start + stop.service:
            errors.append(f"{where}: departure {planned.departure} != start + {stop.service}")
        for pause in vehicle.breaks:
            if planned.start < pause.latest and planned.departure > pause.earliest:
                errors.append(f"{where}: visit {planned.start}-{planned.departure} in {pause}")
        if not stop.skills <= vehicle.skills:
            errors.append(f"{where}: lacks skills {sorted(stop.skills - vehicle.skills)}")
        load += stop.demand
        here, clock = stop.location, planned.departure
    leg = int(matrix[here][vehicle.end_location])
    travel += leg
    if problem.distances is not None:
        distance += float(problem.distances[here][vehicle.end_location])
    if route.end != clock + leg:
        errors.append(f"{name}: end {route.end} != last departure {clock} + travel {leg}")
    if clock + leg > vehicle.shift_end:
        errors.append(f"{name}: home at {clock + leg}, after shift end {vehicle.shift_end}")
    if vehicle.max_stops is not None and len(route.stops) > vehicle.max_stops:
        errors.append(f"{name}: {len(route.stops)} stops > max {vehicle.max_stops}")
    if load > vehicle.capacity:
        errors.append(f"{name}: load {load} > capacity {vehicle.capacity}")
    if route.travel_duration != travel:
        errors.append(f"{name}: reported travel {route.travel_duration} != {travel}")
    if problem.distances is None:
        if route.distance is not None:
            errors.append(f"{name}: distance reported without a distance matrix")
    elif route.distance is None or not math.isclose(route.distance, distance, rel_tol=1e-9):
        errors.append(f"{name}: reported distance {route.distance} != {distance}")
    return errors


def _check_lock(stop: Stop, plan: Plan) -> list[str]:
    """Check that a planned locked stop is on its vehicle, at its position if pinned."""
    if stop.locked_vehicle is None:
        return []
    for route in plan.routes:
        ids = [planned.stop_id for planned in route.stops]
        if stop.id not in ids:
            continue
        if route.vehicle_id != stop.locked_vehicle:
            where = route.vehicle_id
            return [f"stop {stop.id!r} locked to {stop.locked_vehicle!r} is on {where!r}"]
        position = ids.index(stop.id)
        if stop.locked_position is not None and position != stop.locked_position:
            return [f"stop {stop.id!r} at position {position}, locked to {stop.locked_position}"]
    return []


def assert_feasible(problem: Problem, plan: Plan) -> None:
    """Raise AssertionError listing every broken rule."""
    errors = check_plan(problem, plan)
    assert not errors, "plan breaks rules:\n" + "\n".join(errors)
