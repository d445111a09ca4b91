"""Day-plan solver: hard constraints, reasons for unplanned jobs, locks, determinism."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.dispatch.solver import (
    Plan,
    PlannedStop,
    Problem,
    Reason,
    Stop,
    TimeWindow,
    Vehicle,
    service,
    solve,
)
from bench.solomon import read_instance, to_problem
from tests.dispatch.checker import assert_feasible, check_plan

HOUR = 3600
DAY = (TimeWindow(8 * HOUR, 18 * HOUR),)
# A copy of Solomon's C101 (public VRPTW benchmark) so the tests never depend on ../shared.
C101 = Path(__file__).parent / "data" / "C101.txt"


def line_durations(points: list[float], seconds_per_unit: int = 60) -> np.ndarray:
    """Return travel durations between points on a line."""
    xs = np.array(points, dtype=float)
    return (np.abs(xs[:, None] - xs[None, :]) * seconds_per_unit).astype(np.int64)


def van(vehicle_id: str, home: int = 0, **changes: Any) -> Vehicle:
    """Return an 08:00-18:00 vehicle based at `home`."""
    vehicle = Vehicle(vehicle_id, home, home, 8 * HOUR, 18 * HOUR)
    return dataclasses.replace(vehicle, **changes)


def job(stop_id: str, location: int, **changes: Any) -> Stop:
    """Return a 30-minute job that may start any time in the working day."""
    return dataclasses.replace(Stop(stop_id, location, 30 * 60, DAY), **changes)


def random_problem(seed: int, stops: int = 24, vehicles: int = 4) -> Problem:
    """Return a day with skills, one- and two-window jobs, demands, limits and locks."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 20, size=(vehicles + stops, 2))  # km
    km = np.sqrt(((xy[:, None] - xy[None, :]) ** 2).sum(axis=2))
    durations = np.ceil(km * 120).astype(np.int64)  # 30 km/h
    skills = ("doors", "sofas", "ovens")
    fleet = [
        Vehicle(
            id=f"v{k}",
            start_location=k,
            end_location=(k + 1) % vehicles if k == 0 else k,
            shift_start=(8 + k % 2) * HOUR,
            shift_end=(17 + k % 2) * HOUR,
            skills=frozenset(skills[: 2 + k % 2]),
            max_stops=7,
            capacity=12,
        )
        for k in range(vehicles)
    ]
    jobs = []
    for j in range(stops):
        opens = int(rng.integers(8, 15)) * HOUR
        windows = [TimeWindow(opens, opens + 2 * HOUR)]
        if j % 4 == 0:
            windows.append(TimeWindow(opens + 3 * HOUR, opens + 4 * HOUR))
        jobs.append(
            Stop(
                id=f"s{j}",
                location=vehicles + j,
                service=int(rng.integers(2, 5)) * 15 * 60,
                windows=tuple(windows),
                skills=frozenset({skills[j % 3]}) if j % 2 else frozenset(),
                demand=int(rng.integers(0, 4)),
            )
        )
    # Pin two jobs as v1's first and second, and one job to v2 anywhere.
    for position in (0, 1):
        jobs[position] = dataclasses.replace(
            jobs[position], locked_vehicle="v1", locked_position=position, skills=frozenset()
        )
    jobs[2] = dataclasses.replace(jobs[2], locked_vehicle="v2")
    return Problem(durations=durations, stops=tuple(jobs), vehicles=tuple(fleet), distances=km)


def route_of(plan: Plan, stop_id: str) -> tuple[object, int] | None:
    """Return (vehicle id, position) of a planned stop, or None."""
    for route in plan.routes:
        for position, planned in enumerate(route.stops):
            if planned.stop_id == stop_id:
                return route.vehicle_id, position
    return None


def reasons(plan: Plan) -> dict[object, Reason]:
    """Return stop id -> reason for every unassigned stop."""
    return {item.stop_id: item.reason for item in plan.unassigned}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_days_keep_every_hard_constraint(seed: int) -> None:
    problem = random_problem(seed)
    plan = solve(problem, time_limit=0.5, seed=seed)
    assert_feasible(problem, plan)
    planned = sum(len(route.stops) for route in plan.routes)
    assert planned >= 15, plan.unassigned
    for item in plan.unassigned:
        assert item.message


def test_locks_hold_in_generated_day() -> None:
    problem = random_problem(4)
    plan = solve(problem, time_limit=0.5, seed=0)
    assert_feasible(problem, plan)
    for stop_id, expected in (("s0", ("v1", 0)), ("s1", ("v1", 1))):
        place = route_of(plan, stop_id)
        if place is None:
            assert reasons(plan)[stop_id] in {Reason.LOCK_INFEASIBLE, Reason.NO_FEASIBLE_ROUTE}
        else:
            assert place == expected
    place = route_of(plan, "s2")
    assert place is None or place[0] == "v2"


def test_same_seed_gives_same_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    # A quarter of the usual budget, so a busy test machine cannot let the clock end the search.
    monkeypatch.setattr(service, "OPTIONAL_RATE", service.OPTIONAL_RATE // 4)
    monkeypatch.setattr(service, "REQUIRED_RATE", service.REQUIRED_RATE // 4)
    problem = random_problem(5, stops=10, vehicles=3)
    first = solve(problem, time_limit=1.0, seed=7)
    second = solve(problem, time_limit=1.0, seed=7)
    assert first.stats.stopped_by == second.stats.stopped_by == "iterations"
    assert first.stats.iterations == second.stats.iterations
    assert first == second
    assert first.routes


def test_four_stops_on_a_line_take_the_shortest_drive_with_one_vehicle() -> None:
    # Depot at 0, stops at 1..4: the optimum drives out to 4 and back, 8 units of 60 s.
    problem = Problem(
        durations=line_durations([0, 1, 2, 3, 4]),
        stops=tuple(job(f"s{x}", x) for x in (3, 1, 4, 2)),
        vehicles=(van("a"), van("b")),
    )
    plan = solve(problem, time_limit=0.3)
    assert_feasible(problem, plan)
    assert plan.travel_duration == 480
    assert plan.vehicles_used == 1  # a second vehicle would not shorten the drive
    assert plan.unassigned == ()


def test_two_bases_split_the_line_when_windows_demand_it() -> None:
    # Bases at 0 and 5; s1 and s4 both must start at 08:30, so one van cannot do both.
    problem = Problem(
        durations=line_durations([0, 5, 1, 2, 3, 4]),
        stops=(
            job("s1", 2, windows=(TimeWindow(8 * HOUR + 1800, 8 * HOUR + 1800),)),
            job("s2", 3),
            job("s3", 4),
            job("s4", 5, windows=(TimeWindow(8 * HOUR + 1800, 8 * HOUR + 1800),)),
        ),
        vehicles=(van("west", 0), van("east", 1)),
    )
    plan = solve(problem, time_limit=0.3)
    assert_feasible(problem, plan)
    assert plan.travel_duration == 480  # west 0-1-2-0 and east 5-4-3-5, 4 units each
    assert route_of(plan, "s1") == ("west", 0)
    assert route_of(plan, "s4") == ("east", 0)


def test_impossible_jobs_get_specific_reasons_and_the_rest_is_planned() -> None:
    durations = line_durations([0, 1, 2, 60, 3], seconds_per_unit=60)
    problem = Problem(
        durations=durations,
        stops=(
            job("fine", 1),
            job("gas", 2, skills=frozenset({"gas"})),
            # An hour away, but must start by 08:30.
            job("far", 3, windows=(TimeWindow(8 * HOUR, 8 * HOUR + 1800),)),
            job("heavy", 4, demand=50),
            job("ghost", 4, locked_vehicle="nobody"),
            job("also-fine", 4),
        ),
        vehicles=(van("a", skills=frozenset({"doors"}), capacity=10),),
    )
    plan = solve(problem, time_limit=0.3)
    assert_feasible(problem, plan)
    assert reasons(plan) == {
        "gas": Reason.NO_VEHICLE_WITH_SKILLS,
        "far": Reason.WINDOW_UNREACHABLE,
        "heavy": Reason.OVER_CAPACITY,
        "ghost": Reason.LOCKED_VEHICLE_UNAVAILABLE,
    }
    assert {p.stop_id for r in plan.routes for p in r.stops} == {"fine", "also-fine"}


def test_more_jobs_than_capacity_leaves_some_unplanned_but_plans_the_rest() -> None:
    problem = Problem(
        durations=line_durations([0, 1, 2, 3, 4, 5]),
        stops=tuple(job(f"s{x}", x, demand=1) for x in range(1, 6)),
        vehicles=(van("a", capacity=3),),
    )
    plan = solve(problem, time_limit=0.3)
    assert_feasible(problem, plan)
    assert len(plan.routes[0].stops) == 3
    assert sorted(reasons(plan).values()) == [Reason.NO_FEASIBLE_ROUTE] * 2
    # The three nearest jobs are the cheap ones to keep.
    assert {p.stop_id for p in plan.routes[0].stops} == {"s1", "s2", "s3"}


def test_max_stops_limits_a_route() -> None:
    problem = Problem(
        durations=line_durations([0, 1, 2, 3]),
        stops=tuple(job(f"s{x}", x) for x in (1, 2, 3)),
        vehicles=(van("a", max_stops=2),),
    )
    plan = solve(problem, time_limit=0.3)
    assert_feasible(problem, plan)
    assert len(plan.routes[0].stops) == 2
    assert reasons(plan) == {"s3": Reason.NO_FEASIBLE_ROUTE}


def test_job_locked_to_a_vehicle_lands_on_it_even_when_another_is_closer() -> None:
    problem = Problem(
        durations=line_durations([0, 10, 1, 9]),
        stops=(job("near-west", 2, locked_vehicle="east"), job("near-east", 3)),
        vehicles=(van("west", 0), van("east", 1)),
    )
    plan = solve(problem, time_limit=0.3)
    assert_feasible(problem, plan)
    # East drives 10 -> 9 -> 1 -> 10; west, which would have been closer, stays home.
    assert [route.vehicle_id for route in plan.routes] == ["east"]
    assert [p.stop_id for p in plan.routes[0].stops] == ["near-east", "near-west"]
    assert plan.travel_duration == 18 * 60


def test_locked_positions_are_kept_even_when_another_order_is_shorter() -> None:
    # The shortest tour is 1, 2, 3; the pins demand 3 first and 1 second.
    problem = Problem(
        durations=line_durations([0, 1, 2, 3]),
        stops=(
            job("one", 1, locked_vehicle="a", locked_position=1),
            job("two", 2),
            job("three", 3, locked_vehicle="a", locked_position=0),
        ),
        vehicles=(van("a"),),
    )
    plan = solve(problem, time_limit=0.3)
    assert_feasible(problem, plan)
    assert [p.stop_id for p in plan.routes[0].stops] == ["three", "one", "two"]
    assert plan.travel_duration == (3 + 2 + 1 + 2) * 60


def test_pinned_order_that_breaks_a_window_is_reported() -> None:
    problem = Problem(
        durations=line_durations([0, 1, 2]),
        stops=(
            job(
                "noon",
                1,
                windows=(TimeWindow(12 * HOUR, 12 * HOUR),),
                locked_vehicle="a",
                locked_position=0,
            ),
            job(
                "early",
                2,
                windows=(TimeWindow(8 * HOUR, 9 * HOUR),),
                locked_vehicle="a",
                locked_position=1,
            ),
        ),
        vehicles=(van("a"),),
    )
    plan = solve(problem, time_limit=0.3)
    assert_feasible(problem, plan)
    assert route_of(plan, "noon") == ("a", 0)
    assert reasons(plan) == {"early": Reason.LOCK_INFEASIBLE}


def test_second_window_is_used_when_the_first_is_taken() -> None:
    # Both jobs take an hour at the same place; "fixed" must start at 08:05.
    problem = Problem(
        durations=line_durations([0, 5]),
        stops=(
            job("fixed", 1, service=HOUR, windows=(TimeWindow(8 * HOUR + 300, 8 * HOUR + 300),)),
            job(
                "flexible",
                1,
                service=HOUR,
                windows=(
                    TimeWindow(8 * HOUR, 8 * HOUR + 1800),
                    TimeWindow(14 * HOUR, 15 * HOUR),
                ),
            ),
        ),
        vehicles=(van("a"),),
    )
    plan = solve(problem, time_limit=0.3)
    assert_feasible(problem, plan)
    starts = {p.stop_id: p.start for p in plan.routes[0].stops}
    assert starts == {"fixed": 8 * HOUR + 300, "flexible": 14 * HOUR}


LUNCH = TimeWindow(12 * HOUR, 13 * HOUR)


def test_a_visit_waits_out_a_break_when_its_window_allows() -> None:
    # An hour's job in 11:30-13:30 cannot run into lunch: it starts at 13:00, not 11:30.
    problem = Problem(
        durations=line_durations([0, 2]),
        stops=(
            job("j", 1, service=HOUR, windows=(TimeWindow(11 * HOUR + 1800, 13 * HOUR + 1800),)),
        ),
        vehicles=(van("a", breaks=(LUNCH,)),),
    )
    plan = solve(problem, time_limit=0.3)
    assert_feasible(problem, plan)
    assert [p.start for p in plan.routes[0].stops] == [13 * HOUR]


def test_a_job_that_only_fits_in_a_break_goes_to_an_installer_without_one() -> None:
    # 11:30-12:00 for an hour's job: only an installer working through midday can do it, even
    # though the one with the lunch break lives next door.
    problem = Problem(
        durations=line_durations([0, 1, 30]),
        stops=(job("noon", 1, service=HOUR, windows=(TimeWindow(11 * HOUR + 1800, 12 * HOUR),)),),
        vehicles=(van("near", 0, breaks=(LUNCH,)), van("far", 2)),
    )
    plan = solve(problem, time_limit=0.3, initial={"near": ["noon"]})
    assert_feasible(problem, plan)
    assert route_of(plan, "noon") == ("far", 0)
    alone = dataclasses.replace(problem, vehicles=problem.vehicles[:1])
    plan = solve(alone, time_limit=0.3)
    assert reasons(plan) == {"noon": Reason.WINDOW_UNREACHABLE}
    assert "clear of their breaks" in plan.unassigned[0].message


@pytest.mark.parametrize("seed", [5, 6])
def test_generated_days_with_breaks_keep_every_visit_out_of_them(seed: int) -> None:
    problem = random_problem(seed)
    pauses = (LUNCH, TimeWindow(15 * HOUR, 15 * HOUR + 1800))
    vehicles = tuple(dataclasses.replace(v, breaks=pauses) for v in problem.vehicles)
    problem = dataclasses.replace(problem, vehicles=vehicles)
    plan = solve(problem, time_limit=0.5, seed=seed)
    assert_feasible(problem, plan)
    assert sum(len(route.stops) for route in plan.routes) >= 10, plan.unassigned


def test_checker_catches_a_visit_in_a_break() -> None:
    problem = Problem(
        durations=line_durations([0, 1]),
        stops=(job("j", 1, windows=(TimeWindow(11 * HOUR, 12 * HOUR),)),),
        vehicles=(van("a", breaks=(LUNCH,)),),
    )
    plan = solve(problem, time_limit=0.3)
    assert check_plan(problem, plan) == []
    route = plan.routes[0]
    inside = dataclasses.replace(route.stops[0], start=11 * HOUR + 3000, departure=12 * HOUR + 1200)
    errors = check_plan(
        problem, dataclasses.replace(plan, routes=(dataclasses.replace(route, stops=(inside,)),))
    )
    assert any("in TimeWindow" in error for error in errors)


def test_route_leaves_just_in_time_and_reports_distance() -> None:
    durations = line_durations([0, 2])
    problem = Problem(
        durations=durations,
        stops=(job("late", 1, windows=(TimeWindow(10 * HOUR, 11 * HOUR),)),),
        vehicles=(van("a"),),
        distances=durations * 8.5,
    )
    plan = solve(problem, time_limit=0.3)
    assert_feasible(problem, plan)
    route = plan.routes[0]
    assert route.stops == (PlannedStop("late", 10 * HOUR, 10 * HOUR, 10 * HOUR + 1800),)
    assert (route.start, route.end) == (10 * HOUR - 120, 10 * HOUR + 1800 + 120)
    assert plan.distance == pytest.approx(240 * 8.5)


def test_checker_catches_a_broken_plan() -> None:
    problem = Problem(
        durations=line_durations([0, 1, 2]),
        stops=(job("s1", 1, skills=frozenset({"doors"})), job("s2", 2)),
        vehicles=(van("a", skills=frozenset({"doors"})), van("b")),
    )
    plan = solve(problem, time_limit=0.3)
    assert check_plan(problem, plan) == []
    route = plan.routes[0]
    late = dataclasses.replace(route.stops[0], start=20 * HOUR, departure=20 * HOUR + 1800)
    broken = dataclasses.replace(route, stops=(late, *route.stops[1:]))
    errors = check_plan(problem, dataclasses.replace(plan, routes=(broken,)))
    assert any("outside" in error for error in errors)
    stolen = dataclasses.replace(route, vehicle_id="b")
    errors = check_plan(problem, dataclasses.replace(plan, routes=(stolen,)))
    assert any("lacks skills" in error for error in errors)
    errors = check_plan(problem, dataclasses.replace(plan, routes=()))
    assert any("appears 0 times" in error for error in errors)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="square"):
        Problem(durations=np.zeros((2, 3), dtype=np.int64), stops=(), vehicles=())
    with pytest.raises(ValueError, match="duplicate stop"):
        twice = (job("x", 1), job("x", 1))
        Problem(durations=np.zeros((2, 2), dtype=np.int64), stops=twice, vehicles=())
    with pytest.raises(ValueError, match="without gaps"):
        Problem(
            durations=np.zeros((2, 2), dtype=np.int64),
            stops=(job("x", 1, locked_vehicle="a", locked_position=1),),
            vehicles=(van("a"),),
        )
    with pytest.raises(ValueError, match="window"):
        job("x", 1, windows=(TimeWindow(10, 5),))
    with pytest.raises(ValueError, match="break must end after"):
        van("a", breaks=(TimeWindow(13 * HOUR, 12 * HOUR),))


def test_solomon_parser_reads_c101() -> None:
    instance = read_instance(C101)
    assert (instance.name, instance.vehicles, instance.capacity) == ("C101", 25, 200)
    assert len(instance.customers) == 101
    depot, first, last = instance.customers[0], instance.customers[1], instance.customers[-1]
    assert (depot.x, depot.y, depot.ready, depot.due) == (40, 50, 0, 1236)
    assert (first.number, first.x, first.y, first.demand) == (1, 45, 68, 10)
    assert (first.ready, first.due, first.service) == (912, 967, 90)
    assert (last.number, last.x, last.y, last.demand, last.ready, last.due) == (
        100,
        55,
        85,
        20,
        647,
        726,
    )
    problem = to_problem(instance)
    assert problem.durations[0, 1] == 18682  # ceil(1000 * sqrt(5² + 18²))
    assert problem.stops[0].windows == (TimeWindow(912_000, 967_000),)
    assert len(problem.vehicles) == 25 and problem.vehicles[0].capacity == 200


def test_solomon_c101_reaches_the_best_known_distance() -> None:
    problem = to_problem(read_instance(C101))
    plan = solve(problem, time_limit=2.0)
    assert_feasible(problem, plan)
    assert plan.unassigned == ()
    assert plan.distance == pytest.approx(828.94, abs=0.01)
