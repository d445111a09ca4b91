"""Cheapest feasible insertion: unit cases and a brute-force property check."""

import itertools
import random

from app.scheduling.capacity import DayRoute, Stop, best_insertion, schedule


def line_travel(a: int, b: int) -> int:
    """Points on a line, 600 s apart per index."""
    return abs(a - b) * 600


def route(stops, *, max_jobs=8, start=0, end=36_000, home=0, breaks=()):
    return DayRoute(1, home, start, end, stops, max_jobs, tuple(breaks))


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


def random_stops(rng, n):
    """n booked stops with random places, two-hour-ish windows and durations, in window order."""
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
    return sorted(stops, key=lambda s: s.window_start)


def test_matches_brute_force_on_random_days():
    rng = random.Random(7)
    for _ in range(400):
        n = rng.randint(0, 5)
        stops = random_stops(rng, n)
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


LUNCH = (12_000, 15_600)


def test_a_visit_may_not_run_into_a_break():
    # One hour of work in [10_800, 14_400]: 10_800 would run into lunch, so it waits to 15_600,
    # which is after the window closes.
    assert (
        best_insertion(route([], breaks=[LUNCH]), Stop(0, 1, 10_800, 14_400, 3600), line_travel)
        is None
    )
    found = best_insertion(route([], breaks=[LUNCH]), Stop(0, 1, 10_800, 16_000, 3600), line_travel)
    assert found is not None and found.service_start == 15_600


def test_an_insertion_may_not_push_a_booked_visit_into_a_break():
    # Booked: an hour at point 1 in [7_200, 10_800]. A 1.5 h job there from 5_400 would push
    # it to 10_800, into lunch and so past its window: the new job goes after it, and itself
    # waits out lunch.
    booked = [Stop(1, 1, 7_200, 10_800, 3600)]
    new = Stop(0, 1, 5_400, 36_000, 5_400)
    found = best_insertion(route(booked, breaks=[LUNCH]), new, line_travel)
    assert found is not None
    assert (found.position, found.service_start) == (1, LUNCH[1])
    assert best_insertion(route(booked), new, line_travel).position == 0  # without lunch


def naive_schedule(stops, breaks, start, end):
    """An independent oracle: wait minute by minute until a visit clears every break."""
    clock, here = start, 0
    for stop in stops:
        begin = max(stop.window_start, clock + line_travel(here, stop.point))
        while any(begin < b and begin + stop.service > a for a, b in breaks):
            begin += 60
        if begin > stop.window_end or begin + stop.service > end:
            return False
        clock, here = begin + stop.service, stop.point
    return True


def test_matches_a_naive_oracle_on_random_days_with_breaks():
    rng = random.Random(11)
    checked = 0
    for _ in range(600):
        pauses = sorted(rng.sample(range(3_600, 32_400, 1_200), rng.randint(1, 3)))
        breaks = [(a, a + rng.choice([600, 1_800, 3_600])) for a in pauses]
        breaks = [b for n, b in enumerate(breaks) if n == 0 or b[0] > breaks[n - 1][1]]
        n = rng.randint(0, 4)
        stops = random_stops(rng, n)
        day = route(stops, breaks=breaks)
        assert (schedule(day, line_travel) is not None) == naive_schedule(stops, breaks, 0, 36_000)
        if schedule(day, line_travel) is None:
            continue
        start = rng.randrange(0, 30_000, 600)
        new = Stop(0, rng.randint(0, 8), start, start + 7200, rng.choice([600, 1800, 3600]))
        found = best_insertion(day, new, line_travel)
        possible = [
            position
            for position in range(n + 1)
            if naive_schedule([*stops[:position], new, *stops[position:]], breaks, 0, 36_000)
        ]
        assert (found is not None) == bool(possible)
        if found is not None:
            assert found.position in possible
            checked += 1
    assert checked > 100
