"""Benchmark matching job points to service areas with AreaIndex.

Run ``python -m bench.matching``; prints markdown and writes
``bench/results/matching.json``.  The synthetic metro is deterministic.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely import MultiPolygon, Polygon

from app.geo.index import Area, AreaIndex

# Roughly Shanghai's built-up area, in degrees.
EXTENT = (121.0, 30.9, 121.9, 31.5)
RESULTS = Path(__file__).parent / "results" / "matching.json"


def star(
    rng: np.random.Generator, cx: float, cy: float, radius: float, vertices: int
) -> npt.NDArray[np.float64]:
    """Return the ring of an irregular star-shaped polygon around (cx, cy)."""
    # Jittered angles and radii make the shape non-convex but never self-crossing.
    step = 2 * math.pi / vertices
    angles = np.arange(vertices) * step + rng.uniform(0, 0.8 * step, vertices)
    radii = radius * rng.uniform(0.55, 1.45, vertices)
    return np.column_stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)])


def unit_areas(seed: int, count: int) -> list[Area]:
    """Return unit-radius shapes around the origin: stars, stars with holes, pairs."""
    rng = np.random.default_rng(seed)
    shapes: list[Area] = []
    for i in range(count):
        if i % 10 == 8:
            hole = star(rng, 0.0, 0.0, 0.3, 8)
            shapes.append(Polygon(star(rng, 0.0, 0.0, 1.0, 30), [hole[::-1]]))
        elif i % 10 == 9:
            # Two disjoint parts: a dealer serving two separate districts.
            parts = [Polygon(star(rng, dx, 0.0, 0.5, 15)) for dx in (-0.8, 0.8)]
            shapes.append(MultiPolygon(parts))
        else:
            shapes.append(Polygon(star(rng, 0.0, 0.0, 1.0, 30)))
    return shapes


def synthetic_metro(
    seed: int = 20240601, areas: int = 2000, points: int = 100_000, coverage: float = 4.0
) -> tuple[list[tuple[int, Area]], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Return (key, area) pairs covering the extent about `coverage` times, and points."""
    rng = np.random.default_rng(seed)
    shapes = unit_areas(seed, areas)
    unit_total = float(shapely.area(np.array(shapes, dtype=object)).sum())
    minx, miny, maxx, maxy = EXTENT
    width, height = maxx - minx, maxy - miny
    # Centres spread over the extent grown by one radius, so coverage is even
    # up to the extent's edge; solve radius² · unit_total = coverage · grown area.
    radius = 0.02
    for _ in range(50):
        radius = math.sqrt(coverage * (width + 2 * radius) * (height + 2 * radius) / unit_total)
    cx = rng.uniform(minx - radius, maxx + radius, areas)
    cy = rng.uniform(miny - radius, maxy + radius, areas)
    placed: list[tuple[int, Area]] = []
    for i, shape in enumerate(shapes):
        moved = shapely.transform(shape, lambda xy, i=i: xy * radius + (cx[i], cy[i]))
        placed.append((10_000 + i, moved))
    lons = rng.uniform(minx, maxx, points)
    lats = rng.uniform(miny, maxy, points)
    return placed, lons, lats


def brute_force_pairs(
    tree: shapely.STRtree,
    keys: npt.NDArray[np.int64],
    lons: npt.NDArray[np.float64],
    lats: npt.NDArray[np.float64],
) -> set[tuple[int, int]]:
    """Return (point, key) pairs by exact intersects (for a point, covers) via an STRtree."""
    point_idx, area_idx = tree.query(shapely.points(lons, lats), predicate="intersects")
    return set(zip(point_idx.tolist(), keys[area_idx].tolist(), strict=True))


def run(repeats: int = 7, lookups: int = 10_000) -> dict[str, Any]:
    """Run the benchmark and return its figures."""
    areas, lons, lats = synthetic_metro()
    vertices = int(sum(shapely.get_num_coordinates(geom) for _, geom in areas))

    build_times = []
    for _ in range(3):
        start = time.perf_counter()
        index = AreaIndex.build(areas)
        build_times.append(time.perf_counter() - start)

    query_times = []
    for _ in range(repeats):
        start = time.perf_counter()
        points, keys = index.query_points(lons, lats)
        query_times.append(time.perf_counter() - start)

    single = np.empty(lookups)
    for i in range(lookups):
        lon, lat = float(lons[i]), float(lats[i])
        start_ns = time.perf_counter_ns()
        index.areas_containing(lon, lat)
        single[i] = (time.perf_counter_ns() - start_ns) / 1000

    # Cross-check every point, plus every area vertex: points exactly on boundaries.
    tree = shapely.STRtree([geom for _, geom in areas])
    area_keys = np.array([key for key, _ in areas], dtype=np.int64)
    start = time.perf_counter()
    expected = brute_force_pairs(tree, area_keys, lons, lats)
    strtree_seconds = time.perf_counter() - start
    got = set(zip(points.tolist(), keys.tolist(), strict=True))
    coords = shapely.get_coordinates([geom for _, geom in areas])
    vertex_points, vertex_keys = index.query_points(coords[:, 0], coords[:, 1])
    vertex_got = set(zip(vertex_points.tolist(), vertex_keys.tolist(), strict=True))
    vertex_expected = brute_force_pairs(tree, area_keys, coords[:, 0], coords[:, 1])
    single_mismatch = sum(
        index.areas_containing(float(lons[i]), float(lats[i])) != sorted(keys[points == i].tolist())
        for i in range(1000)
    )

    best = min(query_times)
    return {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "shapely": shapely.__version__,
            "geos": shapely.geos_version_string,
        },
        "data": {
            "areas": len(areas),
            "vertices": vertices,
            "points": len(lons),
            "mean_coverage": len(keys) / len(lons),
        },
        "index": index.stats(),
        "build_seconds": min(build_times),
        "query_seconds_best": best,
        "query_seconds_all": query_times,
        "points_per_second": len(lons) / best,
        "points_per_second_median": len(lons) / float(np.median(query_times)),
        "single_lookup_us": {
            "p50": float(np.percentile(single, 50)),
            "p99": float(np.percentile(single, 99)),
        },
        "strtree_points_per_second": len(lons) / strtree_seconds,
        "cross_check": {
            "points_checked": len(lons),
            "mismatched_pairs": len(got ^ expected),
            "vertex_points_checked": len(coords),
            "vertex_mismatched_pairs": len(vertex_got ^ vertex_expected),
            "single_lookups_checked": 1000,
            "single_lookup_mismatches": single_mismatch,
        },
    }


def markdown(result: dict[str, Any]) -> str:
    """Format the figures as a markdown table."""
    data, check = result["data"], result["cross_check"]
    rows = [
        ("areas / vertices", f"{data['areas']:,} / {data['vertices']:,}"),
        ("points", f"{data['points']:,}"),
        ("mean areas per point", f"{data['mean_coverage']:.2f}"),
        (
            "grid cells / cell size",
            f"{result['index']['cells']:,} / {result['index']['cell_size']:.5f}°",
        ),
        (
            "entries: full / edge (exact test) / index arrays",
            f"{result['index']['full_entries']:,} / {result['index']['edge_entries']:,} / "
            f"{result['index']['array_bytes'] / 1e6:.1f} MB",
        ),
        ("build (best of 3)", f"{result['build_seconds'] * 1000:.0f} ms"),
        ("bulk query (best of runs)", f"{result['query_seconds_best'] * 1000:.1f} ms"),
        (
            "points per second: best / median of runs",
            f"{result['points_per_second']:,.0f} / {result['points_per_second_median']:,.0f}",
        ),
        (
            "single lookup p50 / p99",
            f"{result['single_lookup_us']['p50']:.1f} / {result['single_lookup_us']['p99']:.1f} µs",
        ),
        (
            "STRtree `intersects` query, for comparison",
            f"{result['strtree_points_per_second']:,.0f} points/s",
        ),
        (
            "mismatches vs shapely (points, vertices, single)",
            f"{check['mismatched_pairs']}, {check['vertex_mismatched_pairs']}, "
            f"{check['single_lookup_mismatches']}",
        ),
    ]
    lines = ["| measure | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines)


def main() -> None:
    """Run from the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    result = run(repeats=args.repeats)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(result))
    failed = result["cross_check"]
    if failed["mismatched_pairs"] or failed["vertex_mismatched_pairs"]:
        raise SystemExit("results differ from shapely's exact covers")


if __name__ == "__main__":
    main()
