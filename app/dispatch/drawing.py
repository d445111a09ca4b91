"""Geometry of the dispatcher page's drawings: a projected map of routes and a timeline.

No map tiles: longitude and latitude are projected onto the plane (equirectangular,
scaled by the cosine of the mean latitude) and fitted into the drawing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from app.dispatch.texts import jobs as _jobs
from app.dispatch.texts import texts
from app.i18n import EN, word

COLOURS = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#17becf",
    "#8c564b",
    "#e377c2",
    "#393b79",
    "#bcbd22",
    "#637939",
    "#7f7f7f",
)
MAP_SIZE = 420
MAP_PAD = 26
KM_PER_DEGREE = 111.32


def colour(n: int) -> str:
    """Return the n-th route colour."""
    return COLOURS[n % len(COLOURS)]


@dataclass
class MapRoute:
    colour: str
    name: str
    home: tuple[float, float]
    path: str  # SVG polyline points
    stops: list[tuple[float, float, str, str]]  # x, y, label, title


@dataclass
class MapDrawing:
    width: int
    height: int
    routes: list[MapRoute] = field(default_factory=list)
    unplanned: list[tuple[float, float, str]] = field(default_factory=list)
    scale: tuple[float, float, str] | None = None  # x, width, label of a scale bar


def issue(job: dict[str, Any], lang: str) -> str:
    """Why an unplanned job is out of the plan, in words: the code's words in Chinese, the
    solver's own sentence (with its details) in English."""
    if lang == EN and job.get("message"):
        return str(job["message"])
    return word("plan_issue", job.get("code"), lang)


def day_map(view: dict[str, Any], lang: str = EN) -> MapDrawing:
    """Project homes, stops and unplanned jobs into a square drawing."""
    places = [(r["home_lat"], r["home_lon"]) for r in view["routes"]]
    places += [(s["lat"], s["lon"]) for r in view["routes"] for s in r["stops"]]
    places += [(u["lat"], u["lon"]) for u in view["unassigned"]]
    drawing = MapDrawing(MAP_SIZE, MAP_SIZE)
    if not places:
        return drawing
    lats, lons = [p[0] for p in places], [p[1] for p in places]
    mid = math.cos(math.radians((min(lats) + max(lats)) / 2))
    span_x = max((max(lons) - min(lons)) * mid, 1e-3)
    span_y = max(max(lats) - min(lats), 1e-3)
    scale = (MAP_SIZE - 2 * MAP_PAD) / max(span_x, span_y)
    off_x = (MAP_SIZE - span_x * scale) / 2
    off_y = (MAP_SIZE - span_y * scale) / 2

    def project(lat: float, lon: float) -> tuple[float, float]:
        x = off_x + (lon - min(lons)) * mid * scale
        y = off_y + (max(lats) - lat) * scale
        return round(x, 1), round(y, 1)

    for n, route in enumerate(view["routes"]):
        home = project(route["home_lat"], route["home_lon"])
        stops = [
            (
                *project(s["lat"], s["lon"]),
                str(s["sequence"] + 1),
                f"{s['external_id']} · {s['service_start']:%H:%M} · {s['address']}",
            )
            for s in route["stops"]
        ]
        points = [home, *[(x, y) for x, y, _, _ in stops], home]
        path = " ".join(f"{x},{y}" for x, y in points)
        drawing.routes.append(MapRoute(colour(n), route["installer_name"], home, path, stops))
    drawing.unplanned = [
        (*project(u["lat"], u["lon"]), f"{u['external_id']}: {issue(u, lang)}")
        for u in view["unassigned"]
    ]
    drawing.scale = _scale_bar(scale / KM_PER_DEGREE)
    return drawing


def _scale_bar(units_per_km: float) -> tuple[float, float, str]:
    """Choose a round distance whose bar is about 50-125 units long."""
    for km in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500):
        if km * units_per_km >= 50:
            return MAP_PAD, round(km * units_per_km, 1), f"{km:g} km"
    return MAP_PAD, round(500 * units_per_km, 1), "500 km"


@dataclass
class Bar:
    x: float
    width: float
    kind: str  # travel, wait, service, shift
    title: str
    label: str = ""


@dataclass
class Row:
    name: str
    colour: str
    y: float
    bars: list[Bar] = field(default_factory=list)
    windows: list[Bar] = field(default_factory=list)
    note: str = ""


@dataclass
class Timeline:
    width: int
    height: int
    left: int
    ticks: list[tuple[float, str]] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    row_height: int = 40


def timeline(
    view: dict[str, Any], lang: str = EN, *, width: int = 960, left: int = 130
) -> Timeline:
    """Lay out each route as bars on a shared hour axis, with each job's window above it."""
    t = texts(lang)
    routes, unplanned = view["routes"], view["unassigned"]
    moments = [t for r in routes for t in (r["shift_start"], r["shift_end"], r["leaves_at"])]
    moments += [r["returns_at"] for r in routes]
    moments += [t for u in unplanned for t in (u["window_start"], u["window_end"])]
    drawing = Timeline(width, 60, left)
    if not moments:
        return drawing
    first = min(moments).replace(minute=0, second=0, microsecond=0)
    last = max(moments)
    hours = max(1, math.ceil((last - first).total_seconds() / 3600))
    per_second = (width - left - 12) / (hours * 3600)

    def x(moment: datetime) -> float:
        return round(left + (moment - first).total_seconds() * per_second, 1)

    def bar(a: datetime, b: datetime, kind: str, title: str, label: str = "") -> Bar:
        return Bar(x(a), max(round(x(b) - x(a), 1), 0.0), kind, title, label)

    drawing.ticks = [
        (x(first + timedelta(hours=h)), f"{first + timedelta(hours=h):%H:%M}")
        for h in range(hours + 1)
    ]
    y = 28.0
    for n, route in enumerate(routes):
        row = Row(route["installer_name"], colour(n), y)
        row.bars.append(bar(route["shift_start"], route["shift_end"], "shift", t["shift"]))
        previous = route["leaves_at"]
        for stop in route["stops"]:
            name = stop["external_id"]
            leaves = max(previous, stop["arrival"] - timedelta(seconds=stop["travel_seconds"]))
            if leaves > previous:
                row.bars.append(bar(previous, leaves, "wait", t["wait_leave"]))
            row.bars.append(bar(leaves, stop["arrival"], "travel", t["drive_to"].format(job=name)))
            if stop["wait_seconds"]:
                row.bars.append(bar(stop["arrival"], stop["service_start"], "wait", t["wait"]))
            row.bars.append(
                bar(
                    stop["service_start"],
                    stop["departure"],
                    "fixed" if stop["fixed"] else "service",
                    f"{name} {stop['service_start']:%H:%M}–{stop['departure']:%H:%M}",
                    str(stop["sequence"] + 1),
                )
            )
            row.windows.append(
                bar(
                    stop["window_start"],
                    stop["window_end"],
                    "window",
                    t["window_of"].format(job=name),
                )
            )
            previous = stop["departure"]
        row.bars.append(bar(previous, route["returns_at"], "travel", t["drive_home"]))
        hours_driven = route["travel_seconds"] / 3600
        row.note = t["row_note"].format(
            jobs=_jobs(len(route["stops"]), lang), h=f"{hours_driven:.1f}"
        )
        drawing.rows.append(row)
        y += drawing.row_height
    if unplanned:
        row = Row(t["not_planned_row"], "#b3261e", y)
        row.windows = [
            bar(
                u["window_start"],
                u["window_end"],
                "window",
                f"{u['external_id']}: {issue(u, lang)}",
            )
            for u in unplanned
        ]
        row.note = _jobs(len(unplanned), lang)
        drawing.rows.append(row)
        y += drawing.row_height
    drawing.height = int(y + 8)
    return drawing
