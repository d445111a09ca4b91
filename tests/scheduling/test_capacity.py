"""Cheapest feasible insertion: unit cases and a brute-force property check."""

import itertools
import random

from app.scheduling.capacity import DayRoute, Stop, best_insertion, schedule


def line_travel(a: int, b: int) -> int:
    """Points on a line, 600 s apart per index."""
    return abs(a - b) * 600


def route(stops, *, max_jobs=8, start=0, end=36_000, home=0):
    return DayRoute(1, home, start, end, stops, max_jobs)


def test_empty_day_accepts_a_reachable_window():
    found = best_insertion(route([]), Stop(0, 3, 3600, 7200, 1800), line_travel)
    assert found is not None
    assert found.position == 0
    assert found.service_start == 3600  # waits for the window
    assert found.extra_travel == 2 * 1800  # there and back


def test_window_unreachable_from_home_is_refused():
    # 5 points away = 3000 s of driving; the window closes at 2000 s.
    assert best_insertion(route([]), Stop(0, 5, 0, 2000, 600), line_travel) is None


def test_service_must_end_inside_the_shift():
    assert best_insertion(route([], end=4000), Stop(0, 1, 3000, 3500, 1800), line_travel) is None


def test_full_day_is_refused():
    stops = [Stop(i, 1, 0, 36_000, 60) for i in range(3)]
    assert best_insertion(route(stops, max_jobs=3), Stop(9, 1, 0, 36_000, 60), line_travel) is None


def test_insertion_may_not_push_a_later_job_out_of_its_window():
    # Booked: point 1 in [3600, 3700]. New job at point 4 in [0, 36000], 1 h of work.
    booked = [Stop(1, 1, 3600, 3700, 600)]
    found = best_insertion(route(booked), Stop(0, 4, 0, 36_000, 3600), line_travel)
    assert found is not None
    assert found.position == 1  # before it would make the booked job late


def test_cheapest_position_wins():
    booked = [Stop(1, 2, 0, 36_000, 60), Stop(2, 6, 0, 36_000, 60)]
    found = best_insertion(route(booked), Stop(0, 4, 0, 36_000, 60), line_travel)
    assert found is not None
    assert (found.position, found.extra_travel) == (1, 0)  # on the way


def test_matches_brute_force_on_random_days():
    rng = random.Random(7)
    for _ in range(400):
        n = rng.randint(0, 5)
        stops = []
        for key in range(n):
            start = rng.randrange(0, 30_000, 600)
            stops.append(
                Stop(
                    key + 1,
                    rng.randint(0, 8),
                    start,
                    start + rng.choice([1800, 3600, 7200]),
                    rng.choice([600, 1800, 3600]),
                )
            )
        stops.sort(key=lambda s: s.window_start)
        day = route(stops, max_jobs=rng.randint(n, n + 2))
        if schedule(day, line_travel) is None:
            continue
        start = rng.randrange(0, 30_000, 600)
        new = Stop(0, rng.randint(0, 8), start, start + 7200, rng.choice([600, 1800, 3600]))
        found = best_insertion(day, new, line_travel)
        feasible = []
        if n < day.max_jobs:
            for position in range(n + 1):
                trial = DayRoute(
                    1,
                    0,
                    day.shift_start,
                    day.shift_end,
                    [*stops[:position], new, *stops[position:]],
                    day.max_jobs,
                )
                if schedule(trial, line_travel) is not None:
                    points = [0, *(s.point for s in trial.stops), 0]
                    before = [0, *(s.point for s in stops), 0]
                    cost = sum(line_travel(a, b) for a, b in itertools.pairwise(points)) - sum(
                        line_travel(a, b) for a, b in itertools.pairwise(before)
                    )
                    feasible.append(cost)
        if not feasible:
            assert found is None
        else:
            assert found is not None
            assert found.extra_travel == min(feasible)
