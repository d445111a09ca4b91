"""Benchmark the day-plan solver on Solomon VRPTW instances against best-known distances."""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.dispatch.solver import Plan, Problem, Stop, TimeWindow, Vehicle, solve
from tests.dispatch.checker import check_plan

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "benchdata" / "solomon"
RESULTS_DIR = Path(__file__).resolve().parent / "results"

# Solomon times are integers; ×1000 keeps rounding the travel times up to at most 0.001.
SCALE = 1000
CLASSES = ("C1", "C2", "R1", "R2", "RC1", "RC2")


@dataclass(frozen=True)
class Customer:
    """One row of the CUSTOMER section (row 0 is the depot)."""

    number: int
    x: float
    y: float
    demand: int
    ready: int
    due: int
    service: int


@dataclass(frozen=True)
class Instance:
    """A Solomon instance: name, vehicle limit, capacity, depot and customers."""

    name: str
    vehicles: int
    capacity: int
    customers: tuple[Customer, ...]

    def euclidean(self) -> np.ndarray:
        """Return the double-precision distance matrix, depot first."""
        xy = np.array([(c.x, c.y) for c in self.customers], dtype=np.float64)
        return np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))


def read_instance(path: Path) -> Instance:
    """Read a file in the Solomon format."""
    lines = [line.strip() for line in path.read_text().splitlines()]
    name = next(line for line in lines if line)
    vehicles = capacity = None
    customers: list[Customer] = []
    for i, line in enumerate(lines):
        if line.upper().startswith("NUMBER") and "CAPACITY" in line.upper():
            vehicles, capacity = (int(v) for v in lines[i + 1].split()[:2])
        fields = line.split()
        if len(fields) == 7 and all(_is_number(f) for f in fields):
            no, x, y, demand, ready, due, service = (float(f) for f in fields)
            customers.append(
                Customer(int(no), x, y, int(demand), int(ready), int(due), int(service))
            )
    if vehicles is None or capacity is None or not customers:
        raise ValueError(f"{path}: not a Solomon instance")
    return Instance(name, vehicles, capacity, tuple(customers))


def _is_number(text: str) -> bool:
    """Return whether text parses as a float."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def to_problem(instance: Instance) -> Problem:
    """Build the app's Problem: durations ×SCALE rounded up, distances kept in doubles."""
    distances = instance.euclidean()
    durations = np.ceil(distances * SCALE - 1e-9).astype(np.int64)
    depot = instance.customers[0]
    stops = tuple(
        Stop(
            id=c.number,
            location=i,
            service=c.service * SCALE,
            windows=(TimeWindow(c.ready * SCALE, c.due * SCALE),),
            demand=c.demand,
        )
        for i, c in enumerate(instance.customers)
        if i > 0
    )
    vehicles = tuple(
        Vehicle(
            id=k + 1,
            start_location=0,
            end_location=0,
            shift_start=depot.ready * SCALE,
            shift_end=depot.due * SCALE,
            capacity=instance.capacity,
        )
        for k in range(instance.vehicles)
    )
    return Problem(durations=durations, stops=stops, vehicles=vehicles, distances=distances)


def double_precision_errors(instance: Instance, plan: Plan) -> list[str]:
    """Re-time every route in doubles with the literature's rules; return what breaks."""
    distances = instance.euclidean()
    by_number = {c.number: i for i, c in enumerate(instance.customers)}
    depot = instance.customers[0]
    errors = []
    for route in plan.routes:
        here, clock = 0, float(depot.ready)
        for planned in route.stops:
            i = by_number[int(planned.stop_id)]
            customer = instance.customers[i]
            start = max(clock + distances[here, i], customer.ready)
            if start > customer.due + 1e-9:
                errors.append(f"{instance.name}: customer {customer.number} starts {start:.4f}")
            here, clock = i, start + customer.service
        if clock + distances[here, 0] > depot.due + 1e-9:
            errors.append(f"{instance.name}: vehicle {route.vehicle_id} back too late")
    return errors


def load_bks(name: str) -> dict[str, tuple[int, float]]:
    """Return instance -> (vehicles, distance) from a BKS table."""
    table: dict[str, tuple[int, float]] = {}
    for line in (DATA_DIR / name).read_text().splitlines()[1:]:
        fields = line.split("\t")
        if len(fields) >= 3:
            table[fields[0]] = (int(fields[1]), float(fields[2]))
    return table


def run_one(path: Path, time_limit: float, seed: int, bks: dict[str, tuple[int, float]]) -> dict:
    """Solve one instance, check the plan twice and return its figures."""
    instance = read_instance(path)
    problem = to_problem(instance)
    began = time.perf_counter()
    plan = solve(problem, time_limit=time_limit, seed=seed)
    wall = time.perf_counter() - began
    errors = check_plan(problem, plan) + double_precision_errors(instance, plan)
    distance = plan.distance or 0.0
    best = bks.get(instance.name)
    return {
        "instance": instance.name,
        "distance": round(distance, 4),
        "vehicles": plan.vehicles_used,
        "unassigned": len(plan.unassigned),
        "bks_distance": best[1] if best else None,
        "gap_pct": round(100 * (distance - best[1]) / best[1], 4) if best else None,
        "wall_s": round(wall, 3),
        "iterations": plan.stats.iterations,
        "stopped_by": plan.stats.stopped_by,
        "feasible": not errors,
        "errors": errors[:5],
    }


def summarise(rows: list[dict]) -> dict[str, float]:
    """Return the mean gap per class and overall (only instances with a BKS)."""
    means: dict[str, float] = {}
    for name in CLASSES:
        gaps = [
            r["gap_pct"]
            for r in rows
            if r["gap_pct"] is not None and _class_of(r["instance"]) == name
        ]
        if gaps:
            means[name] = round(statistics.fmean(gaps), 3)
    gaps = [r["gap_pct"] for r in rows if r["gap_pct"] is not None]
    if gaps:
        means["all"] = round(statistics.fmean(gaps), 3)
    return means


def _class_of(instance: str) -> str:
    """Return the Solomon class (C1, RC2, ...) of an instance name like RC201."""
    letters = instance.rstrip("0123456789")
    digits = instance[len(letters) :]
    return letters + digits[:1]


def markdown(rows: list[dict], means: dict[str, float], time_limit: float) -> str:
    """Return the results as a markdown table."""
    out = [
        f"Solomon VRPTW, {time_limit:g} s per instance",
        "",
        "| instance | distance | vehicles | BKS distance | gap % | wall s | feasible |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        gap = "" if r["gap_pct"] is None else f"{r['gap_pct']:.2f}"
        feasible = "yes" if r["feasible"] and not r["unassigned"] else "**no**"
        out.append(
            f"| {r['instance']} | {r['distance']:.2f} | {r['vehicles']} | "
            f"{r['bks_distance'] or ''} | {gap} | {r['wall_s']:.2f} | {feasible} |"
        )
    out += ["", "| class | mean gap % |", "|---|---:|"]
    out += [f"| {name} | {value:.2f} |" for name, value in means.items()]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="where to write JSON (default bench/results)")
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args(argv)
    files = args.files or sorted(DATA_DIR.glob("*.txt"))
    bks = load_bks("BKS_distance.tsv")
    rows = []
    for path in files:
        rows.append(run_one(path, args.time_limit, args.seed, bks))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    means = summarise(rows)
    print(markdown(rows, means, args.time_limit))
    output = args.json or RESULTS_DIR / f"solomon-{args.time_limit:g}s.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    result = {"time_limit_s": args.time_limit, "seed": args.seed, "mean_gap_pct": means}
    result["instances"] = rows
    output.write_text(json.dumps(result, indent=1) + "\n")
    ok = all(r["feasible"] and not r["unassigned"] for r in rows)
    return 0 if ok and not math.isnan(means.get("all", 0.0)) else 1


if __name__ == "__main__":
    sys.exit(main())
