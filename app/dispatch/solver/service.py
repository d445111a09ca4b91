"""Plan one dealer's day: screen, solve with PyVRP, repair, report."""

from __future__ import annotations

import time
import warnings
from collections.abc import Mapping, Sequence

import pyvrp
from pyvrp import Activity, ActivityType, ProblemData, Solution
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

from .decode import build_plan, read_sequences
from .encode import Encoding, encode, require, require_all
from .feasibility import screen
from .model import Plan, Problem, SolveStats, StopId, VehicleId
from .warm import warm_start

# PyVRP search iterations per second times stops, as measured on the reference machine
# (2 cores shared with other work) on Solomon and generated days of 25-200 stops: with
# optional stops 45,000-100,000 (e.g. 680-1,600/s at 100 stops), with all stops required
# 75,000-200,000. The budget takes the low end so that the iteration count, which is
# reproducible, and not the clock normally ends the search.
OPTIONAL_RATE = 45_000
REQUIRED_RATE = 75_000

# Share of the budget for the first, prize-collecting phase. Leaving stops optional keeps an
# impossible day solvable but makes each iteration about twice as slow, so once a plan serves
# every stop the search goes on with all of them required.
FIRST_PHASE_SHARE = 0.15

# Time kept back from the limit for repair, timing and building the Plan (0.1 s measured
# for 150 stops with 40 left over).
FINISH_RESERVE = 0.15


def solve(
    problem: Problem,
    *,
    time_limit: float,
    seed: int = 0,
    initial: Mapping[VehicleId, Sequence[StopId]] | None = None,
) -> Plan:
    """Return the day plan with least travel that keeps every window, shift, skill and lock.

    `initial` (vehicle id -> stop ids in order, e.g. the day as booked) is where the search
    starts; the plan is never worse than the feasible part of it.
    """
    if time_limit <= 0:
        raise ValueError("time_limit must be positive")
    began = time.perf_counter()
    deadline = began + time_limit - min(FINISH_RESERVE, time_limit / 10)
    screened = screen(problem)
    sequences: dict[int, list[int]] = {}
    iterations, stopped_by = 0, "nothing to plan"
    start = None
    if screened.options:
        encoding = encode(problem, screened)
        start = warm_start(problem, screened, encoding, initial) if initial else None
        best, iterations, stopped_by = _search(encoding, time_limit, deadline, seed, start)
        sequences = read_sequences(encoding, best)
    routes, unassigned = build_plan(problem, screened, sequences)
    if start is not None and any(v.breaks for v in problem.vehicles):
        # The search does not see breaks; when its answer loses stops to them in the repair,
        # the starting arrangement, which keeps them, is the better plan.
        kept = build_plan(problem, screened, read_sequences(encoding, start))
        if len(kept[1]) < len(unassigned):
            routes, unassigned = kept
    distance = None
    if problem.distances is not None:
        distance = float(sum(route.distance or 0.0 for route in routes))
    return Plan(
        routes=routes,
        unassigned=unassigned,
        travel_duration=sum(route.travel_duration for route in routes),
        distance=distance,
        stats=SolveStats(iterations, time.perf_counter() - began, stopped_by),
    )


def iteration_budget(seconds: float, num_clients: int, rate: int) -> int:
    """Return how many search iterations fit in the given seconds for a day of this size."""
    return max(1, int(seconds * rate / max(num_clients, 10)))


def _search(
    encoding: Encoding, time_limit: float, deadline: float, seed: int, start: Solution | None
) -> tuple[Solution, int, str]:
    """Run both phases; return the best solution, iterations and what stopped the search."""
    data = encoding.data
    size = data.num_clients
    first = iteration_budget(time_limit * FIRST_PHASE_SHARE, size, OPTIONAL_RATE)
    if start is not None and start.is_feasible():
        # What a feasible starting arrangement serves must stay served: a cheaper plan that
        # drops one of those stops is not a better plan.
        served = [a.idx for route in start.routes() for a in route if a.is_client()]
        data = require(data, served)
        start = _same_routes(data, start)
    with warnings.catch_warnings():
        # An over-booked day drives PyVRP's penalties to their bound; dropping stops is
        # then the expected answer, not a fault.
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        result = pyvrp.solve(
            data,
            _criterion(first, deadline),
            seed=seed,
            collect_stats=False,
            initial_solution=start,
        )
        done, best = result.num_iterations, result.best
        if done < first:
            return best, done, "time"
        rate = OPTIONAL_RATE
        if best.is_feasible() and best.num_clients() == encoding.num_stops:
            data, rate = require_all(data), REQUIRED_RATE
            best = _same_routes(data, best)
        rest = iteration_budget(time_limit * (1 - FIRST_PHASE_SHARE), size, rate)
        result = pyvrp.solve(
            data, _criterion(rest, deadline), seed=seed, collect_stats=False, initial_solution=best
        )
    done += result.num_iterations
    return result.best, done, "iterations" if result.num_iterations >= rest else "time"


def _criterion(iterations: int, deadline: float) -> MultipleCriteria:
    """Stop after the iterations or at the deadline, whichever comes first."""
    remaining = max(0.0, deadline - time.perf_counter())
    return MultipleCriteria([MaxIterations(iterations), MaxRuntime(remaining)])


def _same_routes(data: ProblemData, solution: Solution) -> Solution:
    """Return the solution's routes as a solution of other data with the same clients."""
    routes = [
        pyvrp.Route(
            data,
            [Activity(ActivityType.CLIENT, a.idx) for a in route if a.is_client()],
            route.vehicle_type(),
        )
        for route in solution.routes()
    ]
    return Solution(data, routes)
