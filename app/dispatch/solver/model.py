"""Input and output of the day-plan solver: plain frozen dataclasses, no Flask, no database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

StopId = str | int
VehicleId = str | int

# Large enough for any real load, small enough to stay far from int64 overflow in the solver.
UNLIMITED_CAPACITY = 1_000_000_000


class TimeWindow(NamedTuple):
    """Interval in which service at a stop may start, in seconds since the day's reference."""

    earliest: int
    latest: int


@dataclass(frozen=True)
class Stop:
    """One job to be done at a location, within one of its time windows."""

    id: StopId
    location: int
    service: int
    windows: tuple[TimeWindow, ...]
    skills: frozenset[str] = frozenset()
    locked_vehicle: VehicleId | None = None
    locked_position: int | None = None
    demand: int = 0

    def __post_init__(self) -> None:
        windows = tuple(TimeWindow(int(a), int(b)) for a, b in self.windows)
        object.__setattr__(self, "windows", windows)
        object.__setattr__(self, "skills", frozenset(self.skills))
        if not windows:
            raise ValueError(f"stop {self.id!r}: at least one time window is required")
        if any(not 0 <= w.earliest <= w.latest for w in windows):
            raise ValueError(f"stop {self.id!r}: a window must satisfy 0 <= earliest <= latest")
        if self.service < 0 or self.demand < 0 or self.location < 0:
            raise ValueError(f"stop {self.id!r}: service, demand and location must be >= 0")
        if self.locked_position is not None:
            if self.locked_vehicle is None:
                raise ValueError(f"stop {self.id!r}: locked_position needs locked_vehicle")
            if self.locked_position < 0:
                raise ValueError(f"stop {self.id!r}: locked_position must be >= 0")


@dataclass(frozen=True)
class Vehicle:
    """One installer's working day: where it starts and ends, when, and what it can do."""

    id: VehicleId
    start_location: int
    end_location: int
    shift_start: int
    shift_end: int
    skills: frozenset[str] = frozenset()
    max_stops: int | None = None
    capacity: int = UNLIMITED_CAPACITY
    fixed_cost: int = 0
    # Periods inside the shift with no service (a lunch gap between shifts, time off): the
    # installer may drive through them, but no visit may overlap one.
    breaks: tuple[TimeWindow, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "skills", frozenset(self.skills))
        breaks = tuple(sorted(TimeWindow(int(a), int(b)) for a, b in self.breaks))
        object.__setattr__(self, "breaks", breaks)
        if any(b.earliest >= b.latest for b in breaks):
            raise ValueError(f"vehicle {self.id!r}: a break must end after it starts")
        if not 0 <= self.shift_start <= self.shift_end:
            raise ValueError(f"vehicle {self.id!r}: shift must satisfy 0 <= start <= end")
        if min(self.start_location, self.end_location, self.capacity, self.fixed_cost) < 0:
            raise ValueError(f"vehicle {self.id!r}: locations, capacity, fixed cost must be >= 0")
        if self.max_stops is not None and self.max_stops < 0:
            raise ValueError(f"vehicle {self.id!r}: max_stops must be >= 0")

    def earliest_start(self, arrival: int, stop: Stop, windows: Iterable[TimeWindow]) -> int | None:
        """The earliest service start, arriving at `arrival`, inside one of the windows and
        with the whole visit clear of every break (waiting one out); None when none is."""
        best = None
        for window in windows:
            if arrival > window.latest:
                continue
            start = max(arrival, window.earliest)
            for pause in self.breaks:  # in time order: waiting one out may meet the next
                if start < pause.latest and start + stop.service > pause.earliest:
                    start = pause.latest
            if start <= window.latest and (best is None or start < best):
                best = start
        return best


def _frozen_matrix(values: npt.ArrayLike, dtype: type, name: str) -> npt.NDArray[np.generic]:
    """Return a read-only square copy of a matrix, refusing negative entries."""
    matrix: npt.NDArray[np.generic] = np.array(values, dtype=dtype)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"{name} must be a square matrix")
    if matrix.size and matrix.min() < 0:
        raise ValueError(f"{name} must not be negative")
    if np.any(np.diagonal(matrix) != 0):
        raise ValueError(f"{name} must be zero from a location to itself")
    matrix.setflags(write=False)
    return matrix


@dataclass(frozen=True, eq=False)
class Problem:
    """One dealer's day: travel durations between locations, the jobs and the installers.

    `costs`, when given, is what each leg weighs in the objective instead of its duration
    (e.g. a route that ends at a place reached in no time, but whose drive home still counts).
    """

    durations: npt.NDArray[np.int64]
    stops: tuple[Stop, ...]
    vehicles: tuple[Vehicle, ...]
    distances: npt.NDArray[np.float64] | None = None
    costs: npt.NDArray[np.int64] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "durations", _frozen_matrix(self.durations, np.int64, "durations"))
        if self.costs is not None:
            costs = _frozen_matrix(self.costs, np.int64, "costs")
            if costs.shape != self.durations.shape:
                raise ValueError("costs must have the same shape as durations")
            object.__setattr__(self, "costs", costs)
        if self.distances is not None:
            distances = _frozen_matrix(self.distances, np.float64, "distances")
            if distances.shape != self.durations.shape:
                raise ValueError("distances must have the same shape as durations")
            object.__setattr__(self, "distances", distances)
        object.__setattr__(self, "stops", tuple(self.stops))
        object.__setattr__(self, "vehicles", tuple(self.vehicles))
        self._check_references()

    def _check_references(self) -> None:
        """Refuse unknown locations, duplicate ids and lock positions with gaps."""
        n = self.durations.shape[0]
        _refuse_duplicates("stop", (s.id for s in self.stops))
        _refuse_duplicates("vehicle", (v.id for v in self.vehicles))
        for stop in self.stops:
            if stop.location >= n:
                raise ValueError(f"stop {stop.id!r}: location {stop.location} outside the matrix")
        for vehicle in self.vehicles:
            if max(vehicle.start_location, vehicle.end_location) >= n:
                raise ValueError(f"vehicle {vehicle.id!r}: location outside the matrix")
        positions: dict[VehicleId, list[int]] = {}
        for stop in self.stops:
            if stop.locked_vehicle is not None and stop.locked_position is not None:
                positions.setdefault(stop.locked_vehicle, []).append(stop.locked_position)
        for vehicle_id, taken in positions.items():
            # Only a pinned head of the day (positions 0..k-1) can be enforced exactly.
            if sorted(taken) != list(range(len(taken))):
                raise ValueError(
                    f"vehicle {vehicle_id!r}: locked positions must be 0..k-1 without gaps "
                    f"or repeats, got {sorted(taken)}"
                )


def _refuse_duplicates(kind: str, ids: Iterable[StopId]) -> None:
    """Raise ValueError when an id occurs twice."""
    seen: set[StopId] = set()
    for item in ids:
        if item in seen:
            raise ValueError(f"duplicate {kind} id {item!r}")
        seen.add(item)


class Reason(StrEnum):
    """Why a stop is not in the plan."""

    NO_VEHICLE_WITH_SKILLS = "no_vehicle_with_skills"
    LOCKED_VEHICLE_UNAVAILABLE = "locked_vehicle_unavailable"
    OVER_CAPACITY = "over_capacity"
    WINDOW_UNREACHABLE = "window_unreachable"
    LOCK_INFEASIBLE = "lock_infeasible"
    NO_FEASIBLE_ROUTE = "no_feasible_route"


@dataclass(frozen=True)
class Unassigned:
    """A stop left out of the plan, with a machine code and a sentence for the dispatcher."""

    stop_id: StopId
    reason: Reason
    message: str


@dataclass(frozen=True)
class PlannedStop:
    """A stop on a route with its times in seconds."""

    stop_id: StopId
    arrival: int
    start: int
    departure: int


@dataclass(frozen=True)
class Route:
    """One vehicle's ordered stops, from leaving its start location to reaching its end."""

    vehicle_id: VehicleId
    stops: tuple[PlannedStop, ...]
    start: int
    end: int
    travel_duration: int
    distance: float | None


@dataclass(frozen=True)
class SolveStats:
    """How the search ended; `stopped_by` is 'iterations' when the plan is reproducible."""

    iterations: int
    runtime: float
    stopped_by: str


@dataclass(frozen=True)
class Plan:
    """The day plan: routes of used vehicles and every stop that could not be planned."""

    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    travel_duration: int
    distance: float | None
    stats: SolveStats = field(compare=False)

    @property
    def vehicles_used(self) -> int:
        """Return the number of vehicles with at least one stop."""
        return len(self.routes)
