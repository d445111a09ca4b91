"""Travel-time providers: great-circle arithmetic and OSRM against a local fake server."""

from __future__ import annotations

import json
import math
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
import requests
from geopy.distance import great_circle

from app.geo.distance import EARTH_RADIUS_M, haversine_m
from app.geo.travel import (
    GreatCircleTravel,
    OsrmTravel,
    TravelTimeError,
    TravelTimeProvider,
    UnroutableError,
)

PEOPLES_SQUARE = (31.2304, 121.4737)  # (lat, lon), approximate
PEARL_TOWER = (31.2397, 121.4998)  # Lujiazui, approximate


# --- distance ---------------------------------------------------------------------------


def test_haversine_known_distances():
    assert haversine_m(0.0, 0.0, 1.0, 0.0) == pytest.approx(111_195.08, abs=0.01)
    assert haversine_m(30.0, 121.0, 31.0, 121.0) == pytest.approx(111_195.08, abs=0.01)
    assert haversine_m(0.0, 0.0, 0.0, 180.0) == pytest.approx(math.pi * EARTH_RADIUS_M)
    assert haversine_m(90.0, 0.0, -90.0, 0.0) == pytest.approx(math.pi * EARTH_RADIUS_M)
    # Straight line across the river: about 2.7 km (the drive is longer).
    shanghai = haversine_m(*PEOPLES_SQUARE, *PEARL_TOWER)
    assert shanghai == pytest.approx(2688.36, abs=0.01)
    # geopy's independent implementation, on its 6371.009 km sphere.
    assert shanghai == pytest.approx(great_circle(PEOPLES_SQUARE, PEARL_TOWER).m, rel=1e-6)


def test_haversine_scalar_and_array():
    scalar = haversine_m(31.0, 121.0, 31.5, 121.5)
    assert type(scalar) is float
    lats = np.array([31.0, 31.5, 32.0])
    array = haversine_m(lats, 121.0, 31.5, 121.5)
    assert isinstance(array, np.ndarray) and array.shape == (3,)
    assert array[0] == pytest.approx(scalar)
    assert array[1] == pytest.approx(haversine_m(31.5, 121.0, 31.5, 121.5))


# --- great circle -------------------------------------------------------------------------

POINTS = [PEOPLES_SQUARE, PEARL_TOWER, (31.1443, 121.8083), (31.1979, 121.3363)]


def test_great_circle_seconds_follow_the_formula():
    travel = GreatCircleTravel(road_factor=1.3, speed_kmh=30.0)
    # 2688.36 m × 1.3 ÷ (30 km/h = 8.333 m/s) = 419.4 s
    assert travel.seconds(PEOPLES_SQUARE, PEARL_TOWER) == 419
    assert GreatCircleTravel(road_factor=1.0, speed_kmh=36.0).seconds((0, 0), (1, 0)) == 11_120


def test_great_circle_matrix_symmetric_zero_diagonal_int():
    matrix = GreatCircleTravel().matrix(POINTS)
    assert matrix.dtype == np.int64 and matrix.shape == (4, 4)
    assert np.array_equal(matrix, matrix.T)
    assert np.array_equal(np.diag(matrix), np.zeros(4))
    assert matrix[0, 1] == 419
    assert (matrix[~np.eye(4, dtype=bool)] > 0).all()


def test_great_circle_matrix_between_and_min_seconds():
    travel = GreatCircleTravel(min_seconds=600)
    between = travel.matrix_between(POINTS[:2], POINTS)
    assert between.shape == (2, 4)
    assert between[0, 0] == 0  # same place: no travel, min_seconds does not apply
    assert between[0, 1] == 600  # 419 s raised to the minimum
    assert between[1, 2] == GreatCircleTravel().seconds(POINTS[1], POINTS[2]) > 600
    assert travel.matrix([]).shape == (0, 0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"road_factor": 0.9}, "road_factor"),
        ({"road_factor": math.nan}, "road_factor"),
        ({"speed_kmh": 0.0}, "speed_kmh"),
        ({"speed_kmh": -5.0}, "speed_kmh"),
        ({"speed_kmh": math.inf}, "speed_kmh"),
        ({"min_seconds": -1}, "min_seconds"),
    ],
)
def test_great_circle_rejects_bad_parameters(kwargs: dict[str, float], message: str):
    with pytest.raises(ValueError, match=message):
        GreatCircleTravel(**kwargs)  # type: ignore[arg-type]


def test_points_must_be_lat_lon():
    travel = GreatCircleTravel()
    with pytest.raises(ValueError, match=r"latitude 121.4737 .*\(lat, lon\)"):
        travel.seconds((121.4737, 31.2304), PEARL_TOWER)
    with pytest.raises(ValueError, match="finite"):
        travel.matrix([(math.nan, 0.0)])
    with pytest.raises(ValueError, match="longitude"):
        travel.matrix([(0.0, 181.0)])
    with pytest.raises(ValueError, match="pairs"):
        travel.matrix([(1.0, 2.0, 3.0)])  # type: ignore[list-item]


# --- OSRM against a local fake server ------------------------------------------------------


def fake_duration(lon_a: float, lat_a: float, lon_b: float, lat_b: float) -> float:
    """Return a made-up duration that tells lon from lat and origin from destination."""
    eastbound = 3.0 if lon_b > lon_a else 0.0
    return round(10_000 * abs(lon_b - lon_a) + 20_000 * abs(lat_b - lat_a) + eastbound, 1)


@dataclass
class FakeOsrm:
    """A table service on 127.0.0.1 that answers from coordinates, or misbehaves."""

    port: int = 0
    requests: list[str] = field(default_factory=list)
    status: int = 200
    body: Any = None  # a fixed answer instead of the computed one
    null_pairs: set[tuple[int, int]] = field(default_factory=set)
    delay: float = 0.0
    release: threading.Event = field(default_factory=threading.Event)

    def answer(self, path: str) -> tuple[int, bytes]:
        """Return (status, body) for a request path."""
        self.requests.append(path)
        if self.delay:
            self.release.wait(self.delay)
        if self.body is not None:
            raw = self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()
            return self.status, raw
        url = urlsplit(path)
        coords = [tuple(map(float, c.split(","))) for c in url.path.split("/")[-1].split(";")]
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        every = ";".join(str(i) for i in range(len(coords)))
        sources = [int(i) for i in query.get("sources", every).split(";")]
        targets = [int(i) for i in query.get("destinations", every).split(";")]
        durations = [
            [
                None if (s, t) in self.null_pairs else fake_duration(*coords[s], *coords[t])
                for t in targets
            ]
            for s in sources
        ]
        return 200, json.dumps({"code": "Ok", "durations": durations}).encode()


@pytest.fixture
def osrm() -> Iterator[FakeOsrm]:
    fake = FakeOsrm()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = fake.answer(self.path)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.port = server.server_address[1]
    # A short poll interval makes shutdown() quick at teardown.
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield fake
    fake.release.set()
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def client(osrm: FakeOsrm, session: requests.Session, **kwargs: Any) -> OsrmTravel:
    return OsrmTravel(f"http://127.0.0.1:{osrm.port}/", session=session, **kwargs)


def expected_matrix(origins: list[tuple[float, float]], destinations: list[tuple[float, float]]):
    return np.array(
        [[round(fake_duration(a[1], a[0], b[1], b[0])) for b in destinations] for a in origins]
    )


def test_osrm_url_uses_lon_lat_order(osrm: FakeOsrm, session: requests.Session):
    seconds = client(osrm, session).matrix([PEOPLES_SQUARE, PEARL_TOWER])
    assert osrm.requests == [
        "/table/v1/driving/121.473700,31.230400;121.499800,31.239700?annotations=duration"
    ]
    # 10000 × 0.0261° of longitude + 20000 × 0.0093° of latitude, +3 s going east
    assert seconds.tolist() == [[0, 450], [447, 0]]
    assert seconds.dtype == np.int64


def test_osrm_rectangular_uses_sources_and_destinations(osrm: FakeOsrm, session: requests.Session):
    travel: TravelTimeProvider = client(osrm, session, profile="car")
    seconds = travel.matrix_between([PEOPLES_SQUARE], POINTS[1:])
    assert osrm.requests[0].startswith("/table/v1/car/121.473700,31.230400;121.499800,")
    assert osrm.requests[0].endswith("?annotations=duration&sources=0&destinations=1;2;3")
    assert np.array_equal(seconds, expected_matrix(POINTS[:1], POINTS[1:]))
    assert travel.seconds(PEARL_TOWER, PEOPLES_SQUARE) == 447


def coordinate_count(path: str) -> int:
    return len(urlsplit(path).path.split("/")[-1].split(";"))


@pytest.mark.parametrize(("origins", "destinations"), [(7, 7), (1, 9), (9, 1), (3, 5)])
def test_osrm_chunks_to_max_coordinates(
    osrm: FakeOsrm, session: requests.Session, origins: int, destinations: int
):
    rng = np.random.default_rng(origins * 10 + destinations)
    a = [(31 + rng.random(), 121 + rng.random()) for _ in range(origins)]
    b = [(31 + rng.random(), 121 + rng.random()) for _ in range(destinations)]
    rounded_a = [(round(lat, 6), round(lon, 6)) for lat, lon in a]
    rounded_b = [(round(lat, 6), round(lon, 6)) for lat, lon in b]
    seconds = client(osrm, session, max_coordinates=4).matrix_between(a, b)
    assert np.array_equal(seconds, expected_matrix(rounded_a, rounded_b))
    assert max(coordinate_count(path) for path in osrm.requests) <= 4
    assert (
        len(osrm.requests) == {(7, 7): 16, (1, 9): 3, (9, 1): 3, (3, 5): 6}[(origins, destinations)]
    )


def test_osrm_square_matrix_over_the_limit_is_chunked(osrm: FakeOsrm, session: requests.Session):
    seconds = client(osrm, session, max_coordinates=3).matrix(POINTS)
    assert np.array_equal(seconds, expected_matrix(POINTS, POINTS))
    assert all(coordinate_count(path) <= 3 for path in osrm.requests)


def test_osrm_error_code_raises(osrm: FakeOsrm, session: requests.Session):
    osrm.status, osrm.body = 400, {"code": "InvalidQuery", "message": "Query string malformed"}
    with pytest.raises(TravelTimeError, match=r"'InvalidQuery' \(HTTP 400\): Query string"):
        client(osrm, session).matrix(POINTS)
    osrm.status, osrm.body = 200, {"code": "NoTable"}
    with pytest.raises(TravelTimeError, match=r"'NoTable' \(HTTP 200\)"):
        client(osrm, session).matrix(POINTS)


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (502, b"<html>Bad gateway</html>", "HTTP 502 without a JSON object"),
        (200, b"[1, 2]", "HTTP 200 without a JSON object"),
        (200, {"code": "Ok"}, "not a list of 2 rows"),
        (200, {"code": "Ok", "durations": [[0, 1], [2]]}, "row 1 does not have 2"),
        (200, {"code": "Ok", "durations": [[0, "9"], [1, 0]]}, r"\[0\]\[1\] is not a number"),
        (200, {"code": "Ok", "durations": [[0, -4], [1, 0]]}, r"\[0\]\[1\] is not a number"),
    ],
)
def test_osrm_bad_answers_raise(
    osrm: FakeOsrm, session: requests.Session, status: int, body: Any, message: str
):
    osrm.status, osrm.body = status, body
    with pytest.raises(TravelTimeError, match=message):
        client(osrm, session).matrix(POINTS[:2])


def test_osrm_null_durations(osrm: FakeOsrm, session: requests.Session):
    osrm.null_pairs = {(0, 2), (3, 1)}
    with pytest.raises(UnroutableError, match=r"0->2, 3->1") as raised:
        client(osrm, session).matrix(POINTS)
    assert raised.value.pairs == [(0, 2), (3, 1)]
    seconds = client(osrm, session, unroutable_seconds=86_400).matrix(POINTS)
    expected = expected_matrix(POINTS, POINTS)
    expected[0, 2] = expected[3, 1] = 86_400
    assert np.array_equal(seconds, expected)


def test_osrm_timeout(osrm: FakeOsrm, session: requests.Session):
    osrm.delay = 5.0
    with pytest.raises(TravelTimeError, match=r"within 0.2 s"):
        client(osrm, session, timeout=0.2).matrix(POINTS[:2])


def test_osrm_connection_refused(session: requests.Session):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))  # bound but not listening: connections are refused
        port = unused.getsockname()[1]
        travel = OsrmTravel(f"http://127.0.0.1:{port}", session=session, timeout=1.0)
        with pytest.raises(TravelTimeError, match="request failed"):
            travel.seconds(PEOPLES_SQUARE, PEARL_TOWER)


def test_osrm_empty_input_makes_no_request(osrm: FakeOsrm, session: requests.Session):
    travel = client(osrm, session)
    assert travel.matrix([]).shape == (0, 0)
    assert travel.matrix_between([PEOPLES_SQUARE], []).shape == (1, 0)
    assert osrm.requests == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"base_url": "127.0.0.1:5000"}, "http"),
        ({"profile": "car/../x"}, "profile"),
        ({"timeout": 0}, "timeout"),
        ({"max_coordinates": 1}, "max_coordinates"),
        ({"unroutable_seconds": -1}, "unroutable_seconds"),
    ],
)
def test_osrm_rejects_bad_parameters(kwargs: dict[str, Any], message: str):
    arguments: dict[str, Any] = {"base_url": "http://127.0.0.1:5000", **kwargs}
    with pytest.raises(ValueError, match=message):
        OsrmTravel(**arguments)


def test_osrm_owns_and_closes_its_session():
    with OsrmTravel("http://127.0.0.1:5000") as travel:
        assert isinstance(travel.session, requests.Session)


def test_pairs_match_the_matrix_for_both_providers(osrm: FakeOsrm, session: requests.Session):
    places = [(31.23, 121.47), (31.24, 121.50), (31.20, 121.44)]
    origins = [places[0], places[1], places[2], places[0]]
    destinations = [places[1], places[2], places[0], places[0]]
    for provider in (GreatCircleTravel(), client(osrm, session)):
        full = provider.matrix(places)
        index = {p: n for n, p in enumerate(places)}
        expected = [full[index[a], index[b]] for a, b in zip(origins, destinations, strict=True)]
        assert provider.pairs(origins, destinations).tolist() == expected
    with pytest.raises(ValueError, match="same length"):
        GreatCircleTravel().pairs(places, places[:2])
