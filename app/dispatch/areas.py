"""The in-memory index of every service area, rebuilt only when an area changes."""

from __future__ import annotations

import threading

from shapely.geometry import shape
from sqlalchemy import func, select

from app.extensions import db
from app.geo.index import AreaIndex
from app.network.models import ServiceArea

_lock = threading.Lock()
Stamp = tuple[int, int | None, int | None]
_cached: tuple[Stamp, AreaIndex, dict[int, int]] | None = None


def _stamp() -> Stamp:
    count, last_id, versions = db.session.execute(
        select(func.count(ServiceArea.id), func.max(ServiceArea.id), func.sum(ServiceArea.version))
    ).one()
    return int(count), last_id, versions


def forget() -> None:
    """Drop the cached index (tests empty the database under it)."""
    global _cached
    _cached = None


def area_index() -> tuple[AreaIndex, dict[int, int]]:
    """Return the index over all service areas and its area-id → dealer-id map.

    One cheap query per call compares the table's stamp with the cached index, so every
    process (gunicorn worker, scheduler) sees an area change without a broadcast.
    """
    global _cached
    stamp = _stamp()
    cached = _cached
    if cached is not None and cached[0] == stamp:
        return cached[1], cached[2]
    with _lock:
        if _cached is not None and _cached[0] == stamp:
            return _cached[1], _cached[2]
        rows = db.session.execute(
            select(ServiceArea.id, ServiceArea.dealer_id, ServiceArea.geometry)
        ).all()
        index = AreaIndex.build((area_id, shape(geometry)) for area_id, _, geometry in rows)
        dealers = {area_id: dealer_id for area_id, dealer_id, _ in rows}
        _cached = (stamp, index, dealers)
        return index, dealers


def dealers_covering(lat: float, lon: float) -> list[int]:
    """Ids of the dealers whose service area covers a point (boundary included)."""
    index, dealers = area_index()
    return sorted({dealers[area_id] for area_id in index.areas_containing(lon, lat)})
