"""Great-circle distances on the mean Earth sphere."""

from __future__ import annotations

from typing import Any, overload

import numpy as np
import numpy.typing as npt

# IUGG mean Earth radius; the sphere is within 0.5 % of the ellipsoid, which is
# far below the error of turning a straight line into a road trip anyway.
EARTH_RADIUS_M = 6_371_008.8


# Floats are array-likes too, so the overloads overlap; mypy picks the first
# that matches, which is the one wanted.
@overload
def haversine_m(  # type: ignore[overload-overlap]
    lat1: float, lon1: float, lat2: float, lon2: float
) -> float: ...


@overload
def haversine_m(
    lat1: npt.NDArray[Any] | float,
    lon1: npt.NDArray[Any] | float,
    lat2: npt.NDArray[Any] | float,
    lon2: npt.NDArray[Any] | float,
) -> npt.NDArray[np.float64]: ...


def haversine_m(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> float | npt.NDArray[np.float64]:
    """Return the great-circle distance in metres between points given in degrees.

    Scalars give a float; arrays broadcast against each other (pass
    ``lat[:, None]`` and ``lat[None, :]`` for a full matrix).
    """
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = (np.radians(lon2) - np.radians(lon1)) / 2
    h = np.sin(half_dphi) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(half_dlambda) ** 2
    # Rounding can push h a hair above 1 for antipodal points; arcsin would give NaN.
    distance = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(h, 1.0)))
    if np.ndim(distance) == 0:
        return float(distance)
    return np.asarray(distance, dtype=np.float64)
