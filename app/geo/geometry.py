"""Service-area geometry: GeoJSON in, a validated shapely (Multi)Polygon out."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping, shape
from shapely.validation import explain_validity

from app.errors import Unprocessable

MAX_VERTICES = 20_000


def _invalid(reason: str) -> Unprocessable:
    return Unprocessable(
        f"The service area is not a usable polygon: {reason}",
        code="invalid_geometry",
        fields={"geometry": [reason]},
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_array(value: Any) -> bool:
    # JSON gives lists; shapely's __geo_interface__ (the demo, other services) gives tuples.
    return isinstance(value, list | tuple)


def _check_ring(ring: Any, where: str) -> None:
    if not _is_array(ring):
        raise _invalid(f"{where} must be a list of positions")
    for position in ring:
        if not (
            _is_array(position) and len(position) in (2, 3) and all(_is_number(c) for c in position)
        ):
            raise _invalid(
                f"{where}: every position must be [lon, lat] numbers, got {position!r:.60}"
            )
        if not all(math.isfinite(c) for c in position):
            raise _invalid("coordinates must be finite numbers")
    if len(ring) < 4:
        raise _invalid(f"{where} needs at least 4 positions, got {len(ring)}")
    # shapely would close an open ring silently; GeoJSON (RFC 7946 3.1.6) requires it closed.
    if list(ring[0]) != list(ring[-1]):
        raise _invalid(f"{where} is not closed: its first and last positions differ")


def _check_polygon(rings: Any, where: str) -> None:
    if not _is_array(rings):
        raise _invalid(f"{where} must be a list of rings")
    if not rings:
        raise _invalid(f"{where} is empty")
    for n, ring in enumerate(rings, 1):
        _check_ring(ring, f"ring {n} of {where}")


def _check_structure(geojson: dict[str, Any]) -> None:
    """Check the nesting and the numbers before shapely, which coerces or ignores too much."""
    if "coordinates" not in geojson:
        raise _invalid(f"a {geojson['type']} needs coordinates")
    coordinates = geojson["coordinates"]
    if geojson["type"] == "Polygon":
        _check_polygon(coordinates, "the polygon")
        return
    if not _is_array(coordinates):
        raise _invalid("the multipolygon must be a list of polygons")
    if not coordinates:
        raise _invalid("the multipolygon is empty")
    for n, rings in enumerate(coordinates, 1):
        _check_polygon(rings, f"polygon {n}")


def parse_area(geojson: Any) -> Polygon | MultiPolygon:
    """Validate a GeoJSON Polygon/MultiPolygon (or a Feature holding one) and return it."""
    if isinstance(geojson, dict) and geojson.get("type") == "Feature":
        geojson = geojson.get("geometry")
    if not isinstance(geojson, dict) or geojson.get("type") not in {"Polygon", "MultiPolygon"}:
        raise _invalid("expected a GeoJSON object of type Polygon or MultiPolygon")
    _check_structure(geojson)
    try:
        geometry = shape(geojson)
    except (ValueError, TypeError, AttributeError, IndexError, KeyError) as error:
        raise _invalid(f"malformed coordinates ({error})") from error
    except shapely.errors.ShapelyError as error:
        raise _invalid(f"malformed coordinates ({error})") from error
    if geometry.is_empty:
        raise _invalid("the geometry is empty")
    coords = shapely.get_coordinates(geometry)
    if len(coords) > MAX_VERTICES:
        raise _invalid(f"too many vertices ({len(coords)} > {MAX_VERTICES})")
    if not np.isfinite(coords).all():
        raise _invalid("coordinates must be finite numbers")
    lons, lats = coords[:, 0], coords[:, 1]
    if (lons < -180).any() or (lons > 180).any():
        raise _invalid("longitude outside [-180, 180] (GeoJSON order is [lon, lat])")
    if (lats < -90).any() or (lats > 90).any():
        raise _invalid("latitude outside [-90, 90] (GeoJSON order is [lon, lat])")
    if not geometry.is_valid:
        raise _invalid(explain_validity(geometry))
    if geometry.area <= 0:
        raise _invalid("the polygon has no area")
    return geometry


def to_geojson(geometry: Polygon | MultiPolygon) -> dict[str, Any]:
    """Return a plain-JSON GeoJSON geometry."""
    data = mapping(geometry)
    return {"type": data["type"], "coordinates": _lists(data["coordinates"])}


def _lists(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_lists(item) for item in value]
    return float(value)
