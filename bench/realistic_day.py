"""Benchmark a realistic installer day: 150 jobs, 15 installers, two-hour windows."""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import Counter

import numpy as np

from app.dispatch.solver import Plan, Problem, Stop, TimeWindow, Vehicle, solve
from tests.dispatch.checker import check_plan

CENTRE = (30.2741, 120.1551)  # Hangzhou, as a metro ~40 km across
RADIUS_KM = 20.0
ROAD_FACTOR = 1.3
SPEED_KMH = 30.0
EARTH_RADIUS_KM = 6371.0088
HOUR = 3600
SKILLS = ("doors", "furniture", "appliances", "electrical")
SKILL_WEIGHTS = (0.35, 0.3, 0.25, 0.1)


def random_points(rng: np.random.Generator, count: int) -> np.ndarray:
    """Return (lat, lon) points spread evenly over a disc around the centre."""
    radius = RADIUS_KM * np.sqrt(rng.random(count))
    angle = 2 * math.pi * rng.random(count)
    lat = CENTRE[0] + radius * np.sin(angle) / 111.32
    lon = CENTRE[1] + radius * np.cos(angle) / (111.32 * math.cos(math.radians(CENTRE[0])))
    return np.column_stack([lat, lon])


def great_circle_km(points: np.ndarray) -> np.ndarray:
    """Return the haversine distance matrix in km."""
    lat, lon = np.radians(points[:, 0]), np.radians(points[:, 1])
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def generate(seed: int = 0, jobs: int = 150, installers: int = 15) -> Problem:
    """Return a reproducible day: homes first, then job sites; times in seconds from 00:00."""
    rng = np.random.default_rng(seed)
    points = random_points(rng, installers + jobs)
    road_km = great_circle_km(points) * ROAD_FACTOR
    durations = np.ceil(road_km / SPEED_KMH * HOUR).astype(np.int64)

    vehicles = []
    for k in range(installers):
        # Every third installer lacks one trade, every fifth a second one.
        skills = set(SKILLS)
        if k % 3 == 0:
            skills.discard(SKILLS[int(rng.integers(len(SKILLS)))])
        if k % 5 == 0:
            skills.discard(SKILLS[int(rng.integers(len(SKILLS)))])
        early = k % 2 == 0
        vehicles.append(
            Vehicle(
                id=f"installer-{k + 1:02d}",
                start_location=k,
                end_location=k,
                shift_start=(8 if early else 9) * HOUR,
                shift_end=(18 if early else 19) * HOUR,
                skills=frozenset(skills),
                max_stops=12,
            )
        )

    stops = []
    for j in range(jobs):
        opens = int(rng.integers(8, 18)) * HOUR  # windows 08-10 ... 17-19
        count = 2 if rng.random() < 0.1 else 1
        needs = rng.choice(len(SKILLS), size=count, replace=False, p=SKILL_WEIGHTS)
        stops.append(
            Stop(
                id=f"job-{j + 1:03d}",
                location=installers + j,
                service=int(rng.integers(2, 9)) * 15 * 60,  # 30 to 120 minutes
                windows=(TimeWindow(opens, opens + 2 * HOUR),),
                skills=frozenset(SKILLS[i] for i in needs),
            )
        )
    return Problem(
        durations=durations,
        stops=tuple(stops),
        vehicles=tuple(vehicles),
        distances=road_km * 1000.0,
    )


def report(problem: Problem, plan: Plan, wall: float, time_limit: float) -> str:
    """Return the day's figures as markdown."""
    errors = check_plan(problem, plan)
    reasons = Counter(item.reason.value for item in plan.unassigned)
    service_h = sum(s.service for s in problem.stops) / HOUR
    shift_h = sum(v.shift_end - v.shift_start for v in problem.vehicles) / HOUR
    planned = sum(len(r.stops) for r in plan.routes)
    lines = [
        f"Realistic day: {len(problem.stops)} jobs, {len(problem.vehicles)} installers, "
        f"time limit {time_limit:g} s",
        "",
        "| figure | value |",
        "|---|---:|",
        f"| jobs planned | {planned} |",
        f"| jobs unassigned | {len(plan.unassigned)} ({dict(reasons) or 'none'}) |",
        f"| installers used | {plan.vehicles_used} |",
        f"| total travel | {plan.travel_duration / HOUR:.2f} h |",
        f"| total distance | {(plan.distance or 0.0) / 1000:.1f} km |",
        f"| service booked / shift hours | {service_h:.1f} h / {shift_h:.1f} h |",
        f"| wall time | {wall:.2f} s |",
        f"| iterations ({plan.stats.stopped_by}) | {plan.stats.iterations} |",
        f"| every window, shift, skill and limit kept | {'yes' if not errors else 'NO'} |",
    ]
    return "\n".join(lines + [f"- {e}" for e in errors[:10]])


def main(argv: list[str] | None = None) -> int:
    """Generate, plan and report the realistic day."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--time-limit", type=float, default=5.0)
    args = parser.parse_args(argv)
    problem = generate(args.seed)
    began = time.perf_counter()
    plan = solve(problem, time_limit=args.time_limit, seed=args.seed)
    wall = time.perf_counter() - began
    print(report(problem, plan, wall, args.time_limit))
    return 0 if not check_plan(problem, plan) and wall <= args.time_limit else 1


if __name__ == "__main__":
    sys.exit(main())
