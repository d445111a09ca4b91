"""Day-plan solver: which installer does which job in what order, keeping every window."""

from .model import (
    Plan,
    PlannedStop,
    Problem,
    Reason,
    Route,
    SolveStats,
    Stop,
    TimeWindow,
    Unassigned,
    Vehicle,
)
from .service import solve

__all__ = [
    "Plan",
    "PlannedStop",
    "Problem",
    "Reason",
    "Route",
    "SolveStats",
    "Stop",
    "TimeWindow",
    "Unassigned",
    "Vehicle",
    "solve",
]
