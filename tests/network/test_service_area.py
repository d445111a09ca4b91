"""Service areas: GeoJSON in, validated by shapely, stored and read back."""

import pytest

from app.network.models import ServiceArea
from tests import factories

SQUARE = [[121.40, 31.20], [121.50, 31.20], [121.50, 31.30], [121.40, 31.30], [121.40, 31.20]]
HOLE = [[121.44, 31.24], [121.44, 31.26], [121.46, 31.26], [121.46, 31.24], [121.44, 31.24]]
EAST = [[121.60, 31.20], [121.70, 31.20], [121.70, 31.30], [121.60, 31.30], [121.60, 31.20]]


@pytest.fixture
def dealer(app):
    return factories.dealer(app, area=False)


@pytest.fixture
def api(app, as_key, dealer):
    return as_key(factories.api_key(app, "dealer", dealer=dealer))


def _put(api, dealer, body):
    return api.put(f"/api/v1/dealers/{dealer.id}/service-area", json=body)


VALID = [
    ({"type": "Polygon", "coordinates": [SQUARE]}, "Polygon", 1),
    ({"type": "Polygon", "coordinates": [SQUARE, HOLE]}, "Polygon", 1),
    ({"type": "MultiPolygon", "coordinates": [[SQUARE], [EAST]]}, "MultiPolygon", 2),
    (
        {
            "type": "Feature",
            "properties": {"name": "静安"},
            "geometry": {"type": "Polygon", "coordinates": [SQUARE]},
        },
        "Polygon",
        1,
    ),
    (
        {"type": "Feature", "geometry": {"type": "MultiPolygon", "coordinates": [[SQUARE]]}},
        "MultiPolygon",
        1,
    ),
    (
        {"type": "Polygon", "coordinates": [SQUARE], "bbox": [121.4, 31.2, 121.5, 31.3]},
        "Polygon",
        1,
    ),
]


@pytest.mark.parametrize(("body", "kind", "parts"), VALID)
def test_valid_areas_are_stored_and_read_back(app, api, dealer, body, kind, parts):
    response = _put(api, dealer, body)
    assert response.status_code == 200, response.json
    area = response.json
    assert area["dealer_id"] == dealer.id
    assert area["geometry"]["type"] == kind
    polygons = area["geometry"]["coordinates"]
    assert len(polygons if kind == "MultiPolygon" else [polygons]) == parts
    assert area["area_km2"] > 0
    assert api.get(f"/api/v1/dealers/{dealer.id}/service-area").json == area
    stored = factories.rows(app, ServiceArea)
    assert len(stored) == 1
    assert stored[0].geometry == area["geometry"]
    assert api.get(f"/api/v1/dealers/{dealer.id}").json["has_service_area"] is True


def test_area_km2_is_computed(api, dealer):
    area = _put(api, dealer, {"type": "Polygon", "coordinates": [SQUARE]}).json
    # 0.1° of latitude is 11.132 km; 0.1° of longitude at 31.25° N is 9.517 km.
    assert area["area_km2"] == pytest.approx(11.132 * 9.517, rel=0.002)
    holed = _put(api, dealer, {"type": "Polygon", "coordinates": [SQUARE, HOLE]}).json
    assert holed["area_km2"] == pytest.approx(11.132 * 9.517 * 0.96, rel=0.002)


def test_put_replaces_the_area(app, api, dealer):
    _put(api, dealer, {"type": "Polygon", "coordinates": [SQUARE]})
    first = factories.rows(app, ServiceArea)[0]
    response = _put(api, dealer, {"type": "Polygon", "coordinates": [EAST]})
    assert response.status_code == 200
    stored = factories.rows(app, ServiceArea)
    assert len(stored) == 1
    assert stored[0].id == first.id
    assert stored[0].geometry == {"type": "Polygon", "coordinates": [EAST]}
    assert stored[0].updated_at >= first.updated_at


def test_no_area_yet_is_404(api, dealer):
    response = api.get(f"/api/v1/dealers/{dealer.id}/service-area")
    assert response.status_code == 404
    assert response.json["error"]["message"] == f"Dealer {dealer.id} has no service area yet."


BOW_TIE = [[121.40, 31.20], [121.50, 31.30], [121.50, 31.20], [121.40, 31.30], [121.40, 31.20]]
UNCLOSED = SQUARE[:-1]
SWAPPED = [[lat, lon] for lon, lat in SQUARE]
INVALID = [
    ("bow-tie", {"type": "Polygon", "coordinates": [BOW_TIE]}, "Self-intersection"),
    ("unclosed ring", {"type": "Polygon", "coordinates": [UNCLOSED]}, "not closed"),
    ("lon/lat swapped", {"type": "Polygon", "coordinates": [SWAPPED]}, "latitude outside"),
    (
        "lon out of range",
        {"type": "Polygon", "coordinates": [[[x + 100, y] for x, y in SQUARE]]},
        "longitude outside",
    ),
    ("empty coordinates", {"type": "Polygon", "coordinates": []}, "empty"),
    ("empty ring", {"type": "Polygon", "coordinates": [[]]}, "at least 4 positions"),
    ("empty multipolygon", {"type": "MultiPolygon", "coordinates": []}, "empty"),
    (
        "too few positions",
        {"type": "Polygon", "coordinates": [SQUARE[:2] + SQUARE[:1]]},
        "at least 4 positions",
    ),
    ("no area", {"type": "Polygon", "coordinates": [[[121.4, 31.2]] * 4]}, ""),
    ("point", {"type": "Point", "coordinates": [121.4, 31.2]}, "type"),
    ("line", {"type": "LineString", "coordinates": SQUARE}, "type"),
    (
        "feature of a point",
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}},
        "Polygon or MultiPolygon",
    ),
    ("feature without geometry", {"type": "Feature"}, "Polygon or MultiPolygon"),
    ("feature with null geometry", {"type": "Feature", "geometry": None}, "null"),
    ("missing coordinates", {"type": "Polygon"}, "coordinates"),
    ("coordinates not a list", {"type": "Polygon", "coordinates": "121.4,31.2"}, "list"),
    (
        "strings in coordinates",
        {"type": "Polygon", "coordinates": [[[str(x), str(y)] for x, y in SQUARE]]},
        "numbers",
    ),
    (
        "words in coordinates",
        {"type": "Polygon", "coordinates": [[["east", "north"]] * 5]},
        "numbers",
    ),
    (
        "booleans in coordinates",
        {"type": "Polygon", "coordinates": [[[True, 31.2], *SQUARE[1:4], [True, 31.2]]]},
        "numbers",
    ),
    ("nulls in coordinates", {"type": "Polygon", "coordinates": [[[None, None]] * 5]}, "numbers"),
    ("one number per position", {"type": "Polygon", "coordinates": [[[121.4]] * 5]}, "numbers"),
    ("positions too deep", {"type": "Polygon", "coordinates": [[[SQUARE]]]}, "numbers"),
    ("rings not nested", {"type": "Polygon", "coordinates": SQUARE}, "numbers"),
    ("polygon as multipolygon", {"type": "MultiPolygon", "coordinates": [SQUARE]}, "numbers"),
    ("hole outside the shell", {"type": "Polygon", "coordinates": [SQUARE, EAST]}, "Hole"),
    ("overlapping multipolygon", {"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE]]}, ""),
    ("no type", {"coordinates": [SQUARE]}, "type"),
]


@pytest.mark.parametrize(
    ("body", "reason"), [pytest.param(b, r, id=name) for name, b, r in INVALID]
)
def test_invalid_areas_are_422_with_the_reason(app, api, dealer, body, reason):
    response = _put(api, dealer, body)
    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["code"] in {"invalid_geometry", "validation_error"}
    assert error["fields"]
    assert reason.lower() in repr(error).lower()
    assert factories.count(app, ServiceArea) == 0


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_coordinates_are_422(app, api, dealer, literal):
    ring = ",".join(f"[{x}, {y}]" for x, y in SQUARE[1:4])
    body = f'{{"type": "Polygon", "coordinates": [[[{literal}, 31.2], {ring}, [{literal}, 31.2]]]}}'
    response = api.put(
        f"/api/v1/dealers/{dealer.id}/service-area",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422
    assert "finite" in response.json["error"]["message"]
    assert factories.count(app, ServiceArea) == 0


def test_an_invalid_area_keeps_the_old_one(app, api, dealer):
    _put(api, dealer, {"type": "Polygon", "coordinates": [SQUARE]})
    assert _put(api, dealer, {"type": "Polygon", "coordinates": [BOW_TIE]}).status_code == 422
    assert factories.rows(app, ServiceArea)[0].geometry["coordinates"] == [SQUARE]
