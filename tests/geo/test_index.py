"""AreaIndex must answer exactly what shapely's covers() answers."""

from __future__ import annotations

import dataclasses
import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import numpy.typing as npt
import pytest
import shapely
from shapely import MultiPolygon, Polygon, box

from app.geo.index import Area, AreaIndex

Pairs = set[tuple[int, int]]


def brute_force(
    areas: list[tuple[int, Area]], lons: npt.NDArray[np.float64], lats: npt.NDArray[np.float64]
) -> Pairs:
    """Return (point, key) pairs by testing every point against every area."""
    points = shapely.points(lons, lats)
    pairs: Pairs = set()
    for key, geom in areas:
        pairs.update((int(i), key) for i in np.flatnonzero(shapely.covers(geom, points)))
    return pairs


def indexed(index: AreaIndex, lons: npt.ArrayLike, lats: npt.ArrayLike) -> Pairs:
    """Return the index's pairs as a set, after checking their order."""
    points, keys = index.query_points(lons, lats)
    assert points.dtype == np.int64 and keys.dtype == np.int64
    order = np.lexsort((keys, points))
    assert np.array_equal(order, np.arange(len(points))), "pairs not sorted by point, key"
    return set(zip(points.tolist(), keys.tolist(), strict=True))


def star(rng: np.random.Generator, cx: float, cy: float, radius: float, n: int) -> Polygon:
    """Return an irregular, non-convex star-shaped polygon."""
    step = 2 * math.pi / n
    angles = np.arange(n) * step + rng.uniform(0, 0.8 * step, n)
    radii = radius * rng.uniform(0.5, 1.5, n)
    return Polygon(np.column_stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)]))


def random_areas(seed: int, count: int = 40) -> list[tuple[int, Area]]:
    """Return a mix of stars, stars with holes and two-part multipolygons."""
    rng = np.random.default_rng(seed)
    areas: list[tuple[int, Area]] = []
    for i in range(count):
        cx, cy = rng.uniform(0, 10, 2)
        radius = rng.uniform(0.5, 3)
        kind = i % 3
        if kind == 0:
            geom: Area = star(rng, cx, cy, radius, 30)
        elif kind == 1:
            hole = star(rng, cx, cy, radius * 0.2, 8)
            geom = Polygon(star(rng, cx, cy, radius, 30).exterior, [hole.exterior])
        else:
            geom = MultiPolygon(
                [
                    star(rng, cx - radius, cy, radius / 3, 12),
                    star(rng, cx + radius, cy, radius / 3, 12),
                ]
            )
        areas.append((1000 * i - 7, geom))  # keys: negative, sparse, not in build order
    return [areas[i] for i in rng.permutation(len(areas))]


def adversarial_points(areas: list[tuple[int, Area]]) -> npt.NDArray[np.float64]:
    """Return vertices, exact edge midpoints where representable, hole centres and far points."""
    vertices = shapely.get_coordinates([geom for _, geom in areas])
    rings = [vertices, vertices[1:] * 0.5 + vertices[:-1] * 0.5]
    holes = [
        np.asarray(interior.centroid.coords)
        for _, geom in areas
        for part in getattr(geom, "geoms", [geom])
        for interior in part.interiors
    ]
    far = np.array([[-1e9, 5], [1e9, 5], [5, -1e9], [5, 1e9], [math.inf, 0], [0, -math.inf]])
    return np.concatenate([*rings, *holes, far])


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("cell_size", [None, 0.05, 0.7, 50.0])
def test_random_and_adversarial_points_match_brute_force(seed: int, cell_size: float | None):
    areas = random_areas(seed)
    index = AreaIndex.build(areas, cell_size=cell_size)
    rng = np.random.default_rng(seed + 100)
    points = np.concatenate([rng.uniform(-5, 15, (3000, 2)), adversarial_points(areas)])
    expected = brute_force(areas, points[:, 0], points[:, 1])
    assert len(expected) > 3000  # the fixture really overlaps
    assert indexed(index, points[:, 0], points[:, 1]) == expected


@pytest.mark.parametrize("cell_size", [1.0, 0.5, 2.0, 0.25])
def test_edges_on_cell_borders_match_brute_force(cell_size: float):
    # Integer coordinates put polygon edges exactly on cell borders, and the
    # lattice points below lie exactly on those edges and vertices.
    frame = box(0, 0, 8, 6)
    with_hole = Polygon(frame.exterior, [box(2, 2, 4, 4).exterior])
    ell = Polygon([(4, 0), (10, 0), (10, 2), (6, 2), (6, 5), (4, 5)])
    slanted = Polygon([(0, 0), (4, 2), (2, 6)])  # (2, 1) and (1, 3) lie on its edges
    parts = MultiPolygon([box(-3, -3, -1, -1), box(11, 7, 12, 8)])
    areas: list[tuple[int, Area]] = [(1, with_hole), (2, ell), (3, slanted), (4, parts)]
    index = AreaIndex.build(areas, cell_size=cell_size)
    grid = np.arange(-4, 13.25, 0.25)
    lons, lats = (axis.ravel() for axis in np.meshgrid(grid, grid))
    expected = brute_force(areas, lons, lats)
    assert indexed(index, lons, lats) == expected


def test_boundary_points_count_and_holes_do_not():
    index = AreaIndex.build([(7, Polygon(box(0, 0, 4, 4).exterior, [box(1, 1, 3, 3).exterior]))])
    assert index.areas_containing(0.0, 0.0) == [7]  # outer vertex
    assert index.areas_containing(2.0, 4.0) == [7]  # outer edge
    assert index.areas_containing(1.0, 2.0) == [7]  # hole edge belongs to the area
    assert index.areas_containing(2.0, 2.0) == []  # inside the hole
    assert index.areas_containing(0.5, 0.5) == [7]
    assert index.areas_containing(4.000001, 2.0) == []


def test_multipolygon_parts_and_gap():
    parts = MultiPolygon([box(0, 0, 1, 1), box(5, 5, 6, 6)])
    index = AreaIndex.build([(3, parts), (4, box(0.5, 0.5, 5.5, 5.5))])
    assert index.areas_containing(0.2, 0.2) == [3]
    assert index.areas_containing(5.8, 5.8) == [3]
    assert index.areas_containing(5.2, 5.2) == [3, 4]
    assert index.areas_containing(3.0, 3.0) == [4]
    assert index.areas_containing(-0.1, 3.0) == []


def test_single_lookup_equals_bulk_query():
    areas = random_areas(5)
    index = AreaIndex.build(areas)
    rng = np.random.default_rng(9)
    points = np.concatenate([rng.uniform(-2, 12, (500, 2)), adversarial_points(areas)[:400]])
    bulk_points, bulk_keys = index.query_points(points[:, 0], points[:, 1])
    hits = 0
    for i, (lon, lat) in enumerate(points.tolist()):
        single = index.areas_containing(lon, lat)
        assert single == bulk_keys[bulk_points == i].tolist()
        hits += len(single)
    assert hits > 500


def test_nan_raises_and_infinity_matches_nothing():
    index = AreaIndex.build([(1, box(0, 0, 1, 1))])
    with pytest.raises(ValueError, match="NaN"):
        index.query_points(np.array([0.5, math.nan]), np.array([0.5, 0.5]))
    with pytest.raises(ValueError, match="NaN"):
        index.areas_containing(0.5, math.nan)
    assert index.areas_containing(math.inf, 0.5) == []
    points, keys = index.query_points([math.inf, -math.inf, 0.5], [0.5, 0.5, 0.5])
    assert points.tolist() == [2] and keys.tolist() == [1]


def test_empty_index_and_empty_areas():
    for areas in ([], [(1, Polygon())], [(2, MultiPolygon())]):
        index = AreaIndex.build(areas)
        assert index.areas_containing(0.0, 0.0) == []
        points, keys = index.query_points([0.0, 1.0], [0.0, 1.0])
        assert points.size == 0 and keys.size == 0
    index = AreaIndex.build([(1, Polygon()), (2, box(0, 0, 1, 1))])
    assert index.areas_containing(0.5, 0.5) == [2]
    assert len(index) == 2


def test_empty_query_arrays():
    index = AreaIndex.build([(1, box(0, 0, 1, 1))])
    points, keys = index.query_points(np.empty(0), np.empty(0))
    assert points.shape == (0,) and keys.shape == (0,)


def test_rejects_bad_input():
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    with pytest.raises(ValueError, match="area 9: invalid geometry"):
        AreaIndex.build([(1, box(0, 0, 1, 1)), (9, bowtie)])
    with pytest.raises(ValueError, match="unique"):
        AreaIndex.build([(1, box(0, 0, 1, 1)), (1, box(2, 2, 3, 3))])
    with pytest.raises(TypeError, match="Polygon or MultiPolygon"):
        AreaIndex.build([(1, shapely.Point(0, 0))])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="cell_size"):
        AreaIndex.build([(1, box(0, 0, 1, 1))], cell_size=0.0)
    with pytest.raises(ValueError, match="cells"):
        AreaIndex.build([(1, box(0, 0, 100, 100))], cell_size=1e-3)
    index = AreaIndex.build([(1, box(0, 0, 1, 1))])
    with pytest.raises(ValueError, match="same length"):
        index.query_points([0.5, 0.5], [0.5])
    with pytest.raises(ValueError, match="1-D"):
        index.query_points([[0.5]], [[0.5]])


def test_index_is_immutable():
    index = AreaIndex.build([(1, box(0, 0, 1, 1))])
    with pytest.raises(dataclasses.FrozenInstanceError):
        index._cell = 2.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        index.keys[0] = 5


def test_cell_size_comes_from_the_data():
    small = AreaIndex.build([(i, box(i, 0, i + 0.01, 0.01)) for i in range(3)])
    large = AreaIndex.build([(i, box(i, 0, i + 1, 1)) for i in range(3)])
    assert small.cell_size == pytest.approx(0.01 / 32)
    assert large.cell_size == pytest.approx(1 / 32)
    stats = large.stats()
    assert stats["full_entries"] > 0 and stats["edge_entries"] > 0


def test_caller_geometries_are_left_alone():
    area = box(0, 0, 1, 1)
    AreaIndex.build([(1, area)])
    assert not shapely.is_prepared(area)


def test_concurrent_queries_agree():
    areas = random_areas(7)
    index = AreaIndex.build(areas)
    rng = np.random.default_rng(3)
    points = rng.uniform(-2, 12, (20_000, 2))
    expected = indexed(index, points[:, 0], points[:, 1])
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: indexed(index, points[:, 0], points[:, 1]), range(8)))
    assert all(result == expected for result in results)
