"""Point-in-service-area index: which areas cover a point, exactly and fast.

A uniform grid is laid over the areas' extent.  Each cell lists the areas that
touch it, each flagged as either *full* (the area covers the whole cell, so any
point in the cell is covered without a test) or *edge* (the area's boundary
crosses the cell, so a point there needs shapely's exact test).  A query finds
each point's cell with arithmetic, accepts the full entries and runs the exact
test only for the edge entries, all vectorised.  Results equal shapely's
``covers``: a point on an edge or vertex is inside, a point in a hole is not.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
import shapely
from shapely import MultiPolygon, Polygon

Area: TypeAlias = Polygon | MultiPolygon
IntArray: TypeAlias = npt.NDArray[np.int64]
AreaArray: TypeAlias = npt.NDArray[np.signedinteger[Any]]
BoolArray: TypeAlias = npt.NDArray[np.bool_]
Grid: TypeAlias = tuple[float, float, float, int, int]  # x0, y0, cell size, nx, ny

# Cells per median area diameter.  Finer grids mean fewer exact tests per point
# but more entries to expand and a slower build; on the synthetic metro 32 gives
# about twice the target speed with a build near half a second.
DEFAULT_RESOLUTION = 32.0
# Bounds on memory whatever the data: the grid and the build's (area, cell) pairs.
MAX_CELLS = 4_000_000
MAX_BUILD_PAIRS = 10_000_000
# Cells are classified as if padded by this fraction of a cell on every side:
# far more than the rounding error of computing a point's cell (about 1e-11 of
# a cell), so a point that rounding puts in a neighbouring cell is still judged
# by that cell's entries correctly.
PAD_FRACTION = 1e-6


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class AreaIndex:
    """Immutable grid index answering which areas cover a point."""

    keys: IntArray  # area keys, by internal area number
    _geoms: npt.NDArray[np.object_]  # prepared geometries, by internal area number
    _x0: float
    _y0: float
    _cell: float
    _nx: int
    _ny: int
    _ptr: IntArray  # CSR offsets: cell c owns entries ptr[c]:ptr[c + 1]
    _entry_area: AreaArray  # internal area number of each entry
    _entry_edge: BoolArray  # True where the entry needs an exact test
    _entry_key: IntArray  # area key of each entry, saves a gather per query
    # GEOS prepared geometries are not thread-safe (libgeos/geos#825) and shapely
    # releases the GIL in predicates, so the exact tests take turns.
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def build(
        cls, areas: Iterable[tuple[int, Area]], *, cell_size: float | None = None
    ) -> AreaIndex:
        """Build an index over (key, polygon or multipolygon) pairs."""
        # Areas are numbered in key order so that entries sorted by area number
        # are sorted by key too.
        pairs = sorted(((int(key), geom) for key, geom in areas), key=lambda pair: pair[0])
        for key, geom in pairs:
            if not isinstance(geom, Polygon | MultiPolygon):
                raise TypeError(f"area {key}: expected Polygon or MultiPolygon, got {type(geom)}")
        key_list = [key for key, _ in pairs]
        if len(set(key_list)) != len(key_list):
            raise ValueError("area keys must be unique")
        if cell_size is not None and not (math.isfinite(cell_size) and cell_size > 0):
            raise ValueError("cell_size must be a positive finite number")

        keys = np.array(key_list, dtype=np.int64)
        geoms = np.empty(len(pairs), dtype=object)
        geoms[:] = [geom for _, geom in pairs]
        invalid = np.flatnonzero(~shapely.is_valid(geoms) & ~shapely.is_empty(geoms))
        if invalid.size:
            # covers() on an invalid polygon has no well-defined answer.
            first = int(invalid[0])
            reason = shapely.is_valid_reason(geoms[first])
            raise ValueError(f"area {key_list[first]}: invalid geometry ({reason})")
        # Private copies: preparing mutates a geometry, and the lock below only
        # guards geometries that no one outside the index can reach.
        geoms = shapely.from_wkb(shapely.to_wkb(geoms))
        shapely.prepare(geoms)
        bounds = shapely.bounds(geoms).reshape(-1, 4)
        nonempty = np.flatnonzero(~shapely.is_empty(geoms))
        if nonempty.size == 0:
            empty = (np.zeros(2, np.int64), np.empty(0, _area_dtype(0)), np.empty(0, bool))
            return cls._assemble(keys, geoms, (0.0, 0.0, 1.0, 0, 0), empty)

        minx, miny = bounds[nonempty, 0].min(), bounds[nonempty, 1].min()
        maxx, maxy = bounds[nonempty, 2].max(), bounds[nonempty, 3].max()
        cell = cell_size or _choose_cell_size(bounds[nonempty], (minx, miny, maxx, maxy))
        # One spare cell each side keeps points on the extent's edge inside the grid.
        x0, y0 = float(minx - cell), float(miny - cell)
        nx = math.floor((maxx - x0) / cell) + 2
        ny = math.floor((maxy - y0) / cell) + 2
        if nx * ny > MAX_CELLS:
            raise ValueError(f"cell_size {cell} gives {nx * ny} cells, more than {MAX_CELLS}")
        grid = (x0, y0, float(cell), nx, ny)
        return cls._assemble(keys, geoms, grid, _classify_cells(geoms, bounds, nonempty, grid))

    @classmethod
    def _assemble(
        cls,
        keys: IntArray,
        geoms: npt.NDArray[np.object_],
        grid: Grid,
        entries: tuple[IntArray, AreaArray, BoolArray],
    ) -> AreaIndex:
        """Freeze the arrays and make the instance."""
        ptr, entry_area, entry_edge = entries
        entry_key = keys[entry_area]
        for array in (keys, geoms, ptr, entry_area, entry_edge, entry_key):
            array.flags.writeable = False
        return cls(keys, geoms, *grid, ptr, entry_area, entry_edge, entry_key)

    def __repr__(self) -> str:
        """Return a short description, not the arrays."""
        return f"<AreaIndex {len(self.keys)} areas, {self._nx}x{self._ny} cells of {self._cell:g}>"

    def __len__(self) -> int:
        """Return the number of areas."""
        return len(self.keys)

    @property
    def cell_size(self) -> float:
        """Return the grid's cell size in coordinate units (degrees)."""
        return self._cell

    def stats(self) -> dict[str, float]:
        """Return the sizes that explain the index's speed and memory."""
        edge = int(self._entry_edge.sum())
        arrays = (self._ptr, self._entry_area, self._entry_edge, self._entry_key)
        return {
            "areas": len(self.keys),
            "cells": self._nx * self._ny,
            "cell_size": self._cell,
            "full_entries": len(self._entry_edge) - edge,
            "edge_entries": edge,
            "array_bytes": sum(array.nbytes for array in arrays),
        }

    def areas_containing(self, lon: float, lat: float) -> list[int]:
        """Return the keys of the areas covering (lon, lat), in ascending order."""
        if math.isnan(lon) or math.isnan(lat):
            raise ValueError("coordinates must not be NaN")
        fx = (lon - self._x0) / self._cell
        fy = (lat - self._y0) / self._cell
        if not (0.0 <= fx < self._nx and 0.0 <= fy < self._ny):
            return []
        cell = int(fy) * self._nx + int(fx)
        # Plain lists beat numpy for a handful of entries.
        start, stop = self._ptr[cell : cell + 2].tolist()
        keys = self._entry_key[start:stop].tolist()
        edges = self._entry_edge[start:stop].tolist()
        if not any(edges):
            return keys
        areas = self._entry_area[start:stop].tolist()
        tested = [area for area, edge in zip(areas, edges, strict=True) if edge]
        # One vectorised call for all candidates: each scalar call costs microseconds.
        with self._lock:
            hits = iter(shapely.intersects_xy(self._geoms[tested], lon, lat).tolist())
        return [key for key, edge in zip(keys, edges, strict=True) if not edge or next(hits)]

    def query_points(self, lons: npt.ArrayLike, lats: npt.ArrayLike) -> tuple[IntArray, IntArray]:
        """Return (point index, area key) pairs for every area covering every point.

        Pairs come sorted by point index, then by key.  Points outside every
        area (or at infinity) have no pair; NaN coordinates raise ValueError.
        """
        x = np.ascontiguousarray(lons, dtype=np.float64)
        y = np.ascontiguousarray(lats, dtype=np.float64)
        if x.ndim != 1 or x.shape != y.shape:
            raise ValueError("lons and lats must be 1-D arrays of the same length")
        if np.isnan(x).any() or np.isnan(y).any():
            raise ValueError("coordinates must not be NaN")
        if self._nx == 0 or x.size == 0:
            return np.empty(0, np.int64), np.empty(0, np.int64)

        fx = (x - self._x0) / self._cell
        fy = (y - self._y0) / self._cell
        in_grid = (fx >= 0.0) & (fx < self._nx) & (fy >= 0.0) & (fy < self._ny)
        # Clipping first keeps the int cast defined for points far outside (or inf).
        cell = np.clip(fy, 0.0, self._ny - 1).astype(np.int64) * self._nx
        cell += np.clip(fx, 0.0, self._nx - 1).astype(np.int64)
        # Points outside the grid go to the sentinel cell, which has no entries.
        cell[~in_grid] = self._nx * self._ny

        # Expand each point into its cell's entries (CSR gather without a loop).
        start = self._ptr[cell]
        count = self._ptr[cell + 1] - start
        point = np.repeat(np.arange(x.size, dtype=np.int64), count)
        entry = np.arange(point.size, dtype=np.int64)
        entry += np.repeat(start - (np.cumsum(count) - count), count)

        keep = np.ones(point.size, dtype=bool)
        edge_at = np.flatnonzero(self._entry_edge[entry])
        if edge_at.size:
            area = self._entry_area[entry[edge_at]]
            # Testing each area's points together keeps its prepared index in
            # cache, which halves the cost per test; a stable sort of int16 is
            # a radix sort, so grouping costs about a millisecond.
            by_area = np.argsort(area, kind="stable")
            edge_at, area = edge_at[by_area], area[by_area]
            edge_point = point[edge_at]
            with self._lock:
                hit = shapely.intersects_xy(self._geoms[area], x[edge_point], y[edge_point])
            keep[edge_at] = hit
        return point[keep], self._entry_key[entry[keep]]


def _choose_cell_size(
    bounds: npt.NDArray[np.float64], extent: tuple[float, float, float, float]
) -> float:
    """Pick a cell size from the areas' sizes, within the memory bounds."""
    sizes = np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1])
    width, height = extent[2] - extent[0], extent[3] - extent[1]
    typical = float(np.median(sizes)) or max(width, height) or 1.0
    cell = typical / DEFAULT_RESOLUTION
    # Coarsen until both the grid and the build's pair count fit their bounds.
    while True:
        cells = (width / cell + 3) * (height / cell + 3)
        pairs = float(
            np.sum(
                ((bounds[:, 2] - bounds[:, 0]) / cell + 3)
                * ((bounds[:, 3] - bounds[:, 1]) / cell + 3)
            )
        )
        if cells <= MAX_CELLS and pairs <= MAX_BUILD_PAIRS:
            return cell
        cell *= 1.5


def _area_dtype(areas: int) -> type[np.signedinteger[Any]]:
    """Return the narrowest area-number type; int16 makes grouping a radix sort."""
    return np.int16 if areas <= np.iinfo(np.int16).max else np.int32


def _classify_cells(
    geoms: npt.NDArray[np.object_],
    bounds: npt.NDArray[np.float64],
    nonempty: IntArray,
    grid: Grid,
) -> tuple[IntArray, AreaArray, BoolArray]:
    """Return the CSR entries: for each cell, the areas covering or crossing it."""
    x0, y0, cell, nx, ny = grid
    ncells = nx * ny
    # Every (area, cell) pair in each area's bbox, widened by one cell for the
    # padded boxes; pair ids area * ncells + cell come out sorted.
    area, cells, row_start = _cell_ranges(nonempty, bounds[nonempty], grid, margin=1)
    pair = area * ncells + cells
    edge_pairs = _edge_pairs(geoms, grid)
    at = np.searchsorted(pair, edge_pairs)
    # Every segment lies inside its area's widened bbox, so each id is found.
    assert np.array_equal(pair[at], edge_pairs)
    edge = np.zeros(pair.size, dtype=bool)
    edge[at] = True

    # A cell the boundary misses lies wholly inside or wholly outside the area,
    # and so does a run of such cells along a row (their padded boxes overlap),
    # so one centre test per run decides it; a centre is never on the boundary.
    run_start = ~edge & (row_start | np.r_[True, edge[:-1]])
    run = np.cumsum(run_start) - 1
    first = np.flatnonzero(run_start)
    inside = shapely.intersects_xy(
        geoms[area[first]],
        x0 + (cells[first] % nx + 0.5) * cell,
        y0 + (cells[first] // nx + 0.5) * cell,
    )
    full = ~edge & inside[run]
    kept = edge | full
    entry_cell, entry_area = cells[kept], area[kept]
    # Sort by cell, then by area number (areas are numbered in key order, see
    # build), so query results come out ordered by key.
    order = np.lexsort((entry_area, entry_cell))
    ptr = np.zeros(ncells + 2, dtype=np.int64)
    np.cumsum(np.bincount(entry_cell, minlength=ncells), out=ptr[1 : ncells + 1])
    ptr[-1] = ptr[-2]
    return ptr, entry_area[order].astype(_area_dtype(len(geoms))), edge[kept][order]


def _edge_pairs(geoms: npt.NDArray[np.object_], grid: Grid) -> IntArray:
    """Return sorted ids area * ncells + cell of the cells each area's boundary may cross.

    A cell is kept when some boundary segment meets the cell's box padded by
    PAD_FRACTION (a separating-axis test: the bbox axes by the cell ranges, the
    segment's normal by the cross products).  Extra cells only cost exact tests
    at query time; a cell wrongly dropped would give wrong answers, and none is,
    since the rounding error here is some 1e-11 of a cell, far below the pad.
    """
    x0, y0, cell, nx, ny = grid
    pad = cell * PAD_FRACTION
    lines, line_area = shapely.get_parts(shapely.boundary(geoms), return_index=True)
    coords, line = shapely.get_coordinates(lines, return_index=True)
    same = line[1:] == line[:-1]
    a, b = coords[:-1][same], coords[1:][same]
    low, high = np.minimum(a, b), np.maximum(a, b)
    seg, cells, _ = _cell_ranges(
        np.flatnonzero(same), np.column_stack([low - pad, high + pad]), grid, margin=0
    )
    # Corners of each candidate's padded box, relative to the segment's start,
    # so the cross products work on small numbers, not on ~121° coordinates.
    ax, ay = coords[seg, 0], coords[seg, 1]
    dx, dy = coords[seg + 1, 0] - ax, coords[seg + 1, 1] - ay
    left = x0 + (cells % nx) * cell - pad - ax
    bottom = y0 + (cells // nx) * cell - pad - ay
    right, top = left + cell + 2 * pad, bottom + cell + 2 * pad
    sides = [dx * cy - dy * cx for cx in (left, right) for cy in (bottom, top)]
    above = (sides[0] > 0) & (sides[1] > 0) & (sides[2] > 0) & (sides[3] > 0)
    below = (sides[0] < 0) & (sides[1] < 0) & (sides[2] < 0) & (sides[3] < 0)
    ids = line_area[line[seg]] * (nx * ny) + cells
    ids = np.sort(ids[~(above | below)])
    return ids[np.r_[True, ids[1:] != ids[:-1]]]


def _cell_ranges(
    owner: IntArray,
    boxes: npt.NDArray[np.float64],
    grid: Grid,
    *,
    margin: int,
) -> tuple[IntArray, IntArray, BoolArray]:
    """Return (owner, cell, starts a row) for every cell under each bbox, row-major."""
    x0, y0, cell, nx, ny = grid
    i0 = np.clip(np.floor((boxes[:, 0] - x0) / cell).astype(np.int64) - margin, 0, nx - 1)
    j0 = np.clip(np.floor((boxes[:, 1] - y0) / cell).astype(np.int64) - margin, 0, ny - 1)
    i1 = np.clip(np.floor((boxes[:, 2] - x0) / cell).astype(np.int64) + margin, 0, nx - 1)
    j1 = np.clip(np.floor((boxes[:, 3] - y0) / cell).astype(np.int64) + margin, 0, ny - 1)
    width = i1 - i0 + 1
    count = width * (j1 - j0 + 1)
    local = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    span = np.repeat(width, count)
    column = local % span
    cells = (np.repeat(j0, count) + local // span) * nx + np.repeat(i0, count) + column
    return np.repeat(owner, count), cells, column == 0
