"""Starting the solver from known routes (the day as booked): kept, checked, never lost."""

from __future__ import annotations

import pyvrp

from app.dispatch.solver import Problem, TimeWindow, service, solve
from tests.dispatch.checker import assert_feasible
from tests.dispatch.test_solver import HOUR, job, line_durations, random_problem, van


def test_a_feasible_start_is_kept_whole_and_its_stops_are_required(monkeypatch):
    problem = random_problem(4, stops=16, vehicles=3)
    free = solve(problem, time_limit=0.5, seed=0)
    start = {route.vehicle_id: [s.stop_id for s in route.stops] for route in free.routes}
    seen = []
    real = pyvrp.solve

    def spy(data, *args, **kwargs):
        seen.append((data, kwargs.get("initial_solution")))
        return real(data, *args, **kwargs)

    monkeypatch.setattr(service.pyvrp, "solve", spy)
    hinted = solve(problem, time_limit=0.5, seed=0, initial=start)
    assert_feasible(problem, hinted)
    served = {s.stop_id for r in free.routes for s in r.stops}
    assert served <= {s.stop_id for r in hinted.routes for s in r.stops}
    assert hinted.travel_duration <= free.travel_duration
    data, initial = seen[0]
    assert initial is not None and initial.num_clients() >= len(served)
    required = {c.name for c in data.clients() if c.required}
    groups = [g for g in data.groups() if g.required]
    in_groups = {data.clients()[c].name for g in groups for c in g.clients}
    assert {str(s) for s in served} <= required | in_groups


def test_a_start_with_mistakes_is_trimmed_not_trusted():
    durations = line_durations([0, 10, 20, 30, 40])
    day = (TimeWindow(8 * HOUR, 9 * HOUR),)
    problem_stops = (
        job("a", 1, windows=day),
        job("b", 2, windows=day),
        job("c", 3, skills=frozenset({"oven"})),
        job("d", 4),
    )
    problem = Problem(durations, problem_stops, (van("v1"), van("v2")))
    start = {
        "v1": ["c", "a", "a", "ghost", "b", "d"],  # c needs a skill v1 lacks; a twice; ghost
        "v2": ["d"],  # d is also on v1: the first mention wins
        "nobody": ["b"],
    }
    plan = solve(problem, time_limit=0.3, seed=0, initial=start)
    assert_feasible(problem, plan)
    assert {u.stop_id for u in plan.unassigned} == {"c"}
    assert {s.stop_id for r in plan.routes for s in r.stops} == {"a", "b", "d"}


def test_costs_weigh_legs_that_take_no_time():
    # Home 0, jobs at 1 and 2, and a route end (3) reached in no time. Without costs the
    # route ends at the far job; costing the drive home from the end turns the route round.
    durations = line_durations([0, 10, 20, 0])
    durations[:, 3] = 0
    durations[3, :] = 0
    stops = (job("near", 1), job("far", 2))
    fleet = (van("v", 0, end_location=3),)
    plain = solve(Problem(durations, stops, fleet), time_limit=0.3, seed=0)
    assert [s.stop_id for s in plain.routes[0].stops] == ["near", "far"]
    costs = durations.copy()
    costs[:3, 3] = [0, 10 * 60, 40 * 60]  # the drive home from each place (slow from far)
    homeward = solve(Problem(durations, stops, fleet, costs=costs), time_limit=0.3, seed=0)
    assert [s.stop_id for s in homeward.routes[0].stops] == ["far", "near"]
    assert_feasible(Problem(durations, stops, fleet, costs=costs), homeward)
