"""Travel-time providers: seconds to drive from one place to another.

Every point here is a ``(lat, lon)`` tuple in WGS 84 degrees, latitude first,
as geocoders and people write it.  OSRM's URLs want ``lon,lat``; OsrmTravel
does the swap, so callers never do.  Matrices are int64 seconds, row = origin,
column = destination.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol, TypeAlias

import numpy as np
import numpy.typing as npt
import requests

from app.geo.distance import haversine_m

LatLon: TypeAlias = tuple[float, float]
Seconds: TypeAlias = npt.NDArray[np.int64]


class TravelTimeError(Exception):
    """A travel time could not be had (server down, bad answer, timeout)."""


class UnroutableError(TravelTimeError):
    """The router found no route for some (origin, destination) pairs."""

    def __init__(self, pairs: list[tuple[int, int]]) -> None:
        self.pairs = pairs
        shown = ", ".join(f"{i}->{j}" for i, j in pairs[:10])
        more = f" and {len(pairs) - 10} more" if len(pairs) > 10 else ""
        super().__init__(f"no route for origin->destination pairs {shown}{more}")


class TravelTimeProvider(Protocol):
    """Anything that can say how many seconds separate (lat, lon) points."""

    def matrix(self, points: Sequence[LatLon]) -> Seconds:
        """Return the square matrix of seconds from each point to each other."""
        ...

    def matrix_between(self, origins: Sequence[LatLon], destinations: Sequence[LatLon]) -> Seconds:
        """Return the (origins × destinations) matrix of seconds."""
        ...

    def seconds(self, a: LatLon, b: LatLon) -> int:
        """Return the seconds from a to b."""
        ...

    def pairs(self, origins: Sequence[LatLon], destinations: Sequence[LatLon]) -> Seconds:
        """Return the seconds from origins[i] to destinations[i], for each i."""
        ...


def as_latlon_array(points: Sequence[LatLon]) -> npt.NDArray[np.float64]:
    """Return points as an (n, 2) array of (lat, lon), refusing anything not a coordinate."""
    array = np.asarray(points, dtype=np.float64)
    if array.size == 0:
        return np.empty((0, 2), dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError("points must be a sequence of (lat, lon) pairs")
    if not np.isfinite(array).all():
        raise ValueError("coordinates must be finite numbers")
    bad_lat = np.flatnonzero(np.abs(array[:, 0]) > 90)
    if bad_lat.size:
        lat = array[bad_lat[0], 0]
        # The usual cause is a (lon, lat) pair, so say which order is expected.
        raise ValueError(f"latitude {lat} is outside [-90, 90]; points are (lat, lon)")
    if (np.abs(array[:, 1]) > 180).any():
        raise ValueError("longitude outside [-180, 180]")
    return array


class GreatCircleTravel:
    """Estimate travel time as straight-line distance × road factor ÷ average speed."""

    def __init__(self, road_factor: float = 1.3, speed_kmh: float = 30.0, min_seconds: int = 0):
        if not (np.isfinite(road_factor) and road_factor >= 1.0):
            raise ValueError("road_factor must be a finite number >= 1 (roads are never shorter)")
        if not (np.isfinite(speed_kmh) and speed_kmh > 0):
            raise ValueError("speed_kmh must be a finite number > 0")
        if min_seconds < 0:
            raise ValueError("min_seconds must be >= 0")
        self.road_factor = float(road_factor)
        self.speed_kmh = float(speed_kmh)
        self.min_seconds = int(min_seconds)

    def __repr__(self) -> str:
        """Return the constructor call that makes this provider."""
        return (
            f"GreatCircleTravel(road_factor={self.road_factor}, speed_kmh={self.speed_kmh}, "
            f"min_seconds={self.min_seconds})"
        )

    def matrix(self, points: Sequence[LatLon]) -> Seconds:
        """Return the square matrix of seconds; the diagonal is zero."""
        return self.matrix_between(points, points)

    def matrix_between(self, origins: Sequence[LatLon], destinations: Sequence[LatLon]) -> Seconds:
        """Return the (origins × destinations) matrix of seconds.

        Distinct places take at least ``min_seconds`` (parking, walking to the
        door); the same place takes zero.
        """
        a, b = as_latlon_array(origins), as_latlon_array(destinations)
        metres = haversine_m(a[:, None, 0], a[:, None, 1], b[None, :, 0], b[None, :, 1])
        seconds = np.rint(metres * self.road_factor / (self.speed_kmh / 3.6))
        seconds = np.where(metres > 0, np.maximum(seconds, self.min_seconds), 0)
        return seconds.astype(np.int64)

    def seconds(self, a: LatLon, b: LatLon) -> int:
        """Return the seconds from a to b."""
        return int(self.matrix_between([a], [b])[0, 0])

    def pairs(self, origins: Sequence[LatLon], destinations: Sequence[LatLon]) -> Seconds:
        """Return the seconds from each origin to the destination at the same position."""
        a, b = as_latlon_array(origins), as_latlon_array(destinations)
        if len(a) != len(b):
            raise ValueError("origins and destinations must have the same length")
        metres = haversine_m(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
        seconds = np.rint(np.asarray(metres) * self.road_factor / (self.speed_kmh / 3.6))
        seconds = np.where(np.asarray(metres) > 0, np.maximum(seconds, self.min_seconds), 0)
        return np.asarray(seconds, dtype=np.int64).reshape(len(a))


_PROFILE = re.compile(r"^[A-Za-z0-9_-]+$")


class OsrmTravel:
    """Travel times from an OSRM server's table service.

    Unroutable pairs (OSRM answers ``null``) raise UnroutableError unless
    ``unroutable_seconds`` is given, in which case they take that value.
    Requests carry at most ``max_coordinates`` points (osrm-routed's
    ``--max-table-size`` defaults to 100); bigger matrices are split into
    blocks.  Any network failure, timeout, HTTP error or non-"Ok" answer
    raises TravelTimeError.
    """

    def __init__(
        self,
        base_url: str,
        profile: str = "driving",
        timeout: float = 5.0,
        session: requests.Session | None = None,
        *,
        max_coordinates: int = 100,
        unroutable_seconds: int | None = None,
    ):
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("base_url must be an http:// or https:// URL")
        if not _PROFILE.match(profile):
            raise ValueError("profile must be letters, digits, '_' or '-'")
        if not timeout > 0:
            raise ValueError("timeout must be > 0 seconds")
        if max_coordinates < 2:
            raise ValueError("max_coordinates must be >= 2 (one origin, one destination)")
        if unroutable_seconds is not None and unroutable_seconds < 0:
            raise ValueError("unroutable_seconds must be >= 0")
        self.base_url = base_url.rstrip("/")
        self.profile = profile
        self.timeout = timeout
        self.max_coordinates = max_coordinates
        self.unroutable_seconds = unroutable_seconds
        self._owns_session = session is None
        self.session = session or requests.Session()

    def close(self) -> None:
        """Close the HTTP session if this provider made it."""
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> OsrmTravel:
        """Return self, to close the session on leaving a with-block."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the session."""
        self.close()

    def matrix(self, points: Sequence[LatLon]) -> Seconds:
        """Return the square matrix of seconds."""
        array = as_latlon_array(points)
        if 0 < len(array) <= self.max_coordinates:
            # One request with every point as both source and destination.
            return self._finish(self._table(array, None, None))
        return self.matrix_between(points, points)

    def matrix_between(self, origins: Sequence[LatLon], destinations: Sequence[LatLon]) -> Seconds:
        """Return the (origins × destinations) matrix of seconds."""
        a, b = as_latlon_array(origins), as_latlon_array(destinations)
        durations = np.empty((len(a), len(b)), dtype=np.float64)
        if durations.size == 0:
            return durations.astype(np.int64)
        rows, cols = self._block_shape(len(a), len(b))
        for i in range(0, len(a), rows):
            for j in range(0, len(b), cols):
                origin, destination = a[i : i + rows], b[j : j + cols]
                n = len(origin)
                block = self._table(
                    np.concatenate([origin, destination]),
                    range(n),
                    range(n, n + len(destination)),
                )
                durations[i : i + n, j : j + len(destination)] = block
        return self._finish(durations)

    def seconds(self, a: LatLon, b: LatLon) -> int:
        """Return the seconds from a to b."""
        return int(self.matrix_between([a], [b])[0, 0])

    def pairs(self, origins: Sequence[LatLon], destinations: Sequence[LatLon]) -> Seconds:
        """Return the seconds from origins[i] to destinations[i] (one table over the places)."""
        if len(origins) != len(destinations):
            raise ValueError("origins and destinations must have the same length")
        places = sorted({*map(tuple, origins), *map(tuple, destinations)})
        if not places:
            return np.empty(0, dtype=np.int64)
        where = {place: n for n, place in enumerate(places)}
        table = self.matrix(places)  # type: ignore[arg-type]
        return np.asarray(
            [
                table[where[tuple(o)], where[tuple(d)]]
                for o, d in zip(origins, destinations, strict=True)
            ],
            dtype=np.int64,
        )

    def _block_shape(self, origins: int, destinations: int) -> tuple[int, int]:
        """Return (origins, destinations) per request, keeping their sum within the limit."""
        limit = self.max_coordinates
        if origins + destinations <= limit:
            return origins, destinations
        # Give the short side all it needs, so a one-to-many matrix stays a few calls.
        if origins <= limit // 2:
            return origins, limit - origins
        if destinations <= limit // 2:
            return limit - destinations, destinations
        return limit // 2, limit - limit // 2

    def _finish(self, durations: npt.NDArray[np.float64]) -> Seconds:
        """Round to whole seconds and deal with unroutable (NaN) pairs."""
        missing = np.isnan(durations)
        if missing.any():
            if self.unroutable_seconds is None:
                pairs = [(int(i), int(j)) for i, j in np.argwhere(missing)]
                raise UnroutableError(pairs)
            durations = np.where(missing, self.unroutable_seconds, durations)
        return np.rint(durations).astype(np.int64)

    def _table(
        self,
        points: npt.NDArray[np.float64],
        sources: range | None,
        destinations: range | None,
    ) -> npt.NDArray[np.float64]:
        """Call the table service once; return durations with NaN where OSRM said null."""
        coordinates = ";".join(f"{lon:.6f},{lat:.6f}" for lat, lon in points.tolist())
        query = "annotations=duration"
        if sources is not None and destinations is not None:
            query += f"&sources={_indices(sources)}&destinations={_indices(destinations)}"
        url = f"{self.base_url}/table/v1/{self.profile}/{coordinates}?{query}"
        try:
            response = self.session.get(url, timeout=self.timeout)
        except requests.Timeout as error:
            raise TravelTimeError(f"OSRM did not answer within {self.timeout} s") from error
        except requests.RequestException as error:
            raise TravelTimeError(f"OSRM request failed: {error}") from error
        body = _json_or_none(response)
        if body is None:
            raise TravelTimeError(
                f"OSRM answered HTTP {response.status_code} without a JSON object"
            )
        code = body.get("code")
        if code != "Ok" or response.status_code != 200:
            message = body.get("message", "")
            raise TravelTimeError(
                f"OSRM answered {code!r} (HTTP {response.status_code}): {message}".rstrip(": ")
            )
        rows = len(sources) if sources is not None else len(points)
        cols = len(destinations) if destinations is not None else len(points)
        return _parse_durations(body.get("durations"), rows, cols)


def _indices(indices: range) -> str:
    """Return OSRM's ';'-separated index list."""
    return ";".join(str(i) for i in indices)


def _json_or_none(response: requests.Response) -> dict[str, Any] | None:
    """Return the JSON object in a response, or None if it holds none."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _parse_durations(durations: object, rows: int, cols: int) -> npt.NDArray[np.float64]:
    """Return OSRM's durations as floats, NaN for null, refusing a malformed table."""
    if not isinstance(durations, list) or len(durations) != rows:
        raise TravelTimeError(f"OSRM durations are not a list of {rows} rows")
    table = np.empty((rows, cols), dtype=np.float64)
    for i, row in enumerate(durations):
        if not isinstance(row, list) or len(row) != cols:
            raise TravelTimeError(f"OSRM durations row {i} does not have {cols} entries")
        for j, value in enumerate(row):
            if value is None:
                table[i, j] = np.nan
            elif isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
                table[i, j] = value
            else:
                raise TravelTimeError(f"OSRM duration [{i}][{j}] is not a number of seconds")
    if np.isinf(table).any():
        raise TravelTimeError("OSRM durations contain infinity")
    return table
