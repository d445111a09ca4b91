"""The offline gazetteer geocoder, and jobs placed by it."""

import pytest
from geopy.exc import GeocoderUnavailable

from app.errors import Unprocessable
from app.geo import geocoding
from app.geo.geocoding import OfflineGazetteer, geocode_address
from app.jobs.models import Job, JobEvent
from tests import factories

# Nanjing West Road in the gazetteer: (31.2260, 121.4480) to (31.2335, 121.4680), Nos. 1-1900.
NANJING_WEST_1266 = (
    round(31.2260 + (31.2335 - 31.2260) * 1266 / 1900, 6),
    round(121.4480 + (121.4680 - 121.4480) * 1266 / 1900, 6),
)
NANJING_WEST_MIDDLE = (round((31.2260 + 31.2335) / 2, 6), round((121.4480 + 121.4680) / 2, 6))


@pytest.fixture(scope="module")
def gazetteer():
    return OfflineGazetteer()


@pytest.mark.parametrize(
    ("address", "point"),
    [
        ("上海市南京西路1266号", NANJING_WEST_1266),
        ("上海市静安区南京西路 1266 号 恒隆广场", NANJING_WEST_1266),
        ("上海市南京西路１２６６号", NANJING_WEST_1266),
        ("1266 Nanjing West Road", NANJING_WEST_1266),
        ("1266 Nanjing West Road, Jing'an, Shanghai", NANJING_WEST_1266),
        ("No. 1266, Nanjing West Rd", NANJING_WEST_1266),
        ("1266 nanjing west rd.", NANJING_WEST_1266),
        ("南京西路", NANJING_WEST_MIDDLE),
        ("Nanjing West Road", NANJING_WEST_MIDDLE),
    ],
)
def test_known_streets_are_placed(gazetteer, address, point):
    location = gazetteer.geocode(address)
    assert location is not None
    assert (location.latitude, location.longitude) == point
    assert "Nanjing West Road" in location.address


def test_numbers_past_the_end_are_not_placed(gazetteer):
    assert gazetteer.geocode("上海市南京西路99999号") is None
    assert gazetteer.geocode("上海市南京西路0号") is None
    assert gazetteer.geocode("上海市南京西路1号") is not None


@pytest.mark.parametrize(
    "address",
    [
        "北京市朝阳区南京西路12号",
        "Nanjing West Road 5, Beijing",
        "广州市 南京西路 5 号",
        "5 Nanjing West Road, Hong Kong",
    ],
)
def test_a_known_street_in_another_city_is_not_placed(gazetteer, address):
    assert gazetteer.geocode(address) is None


def test_the_right_street_wins(gazetteer):
    east = gazetteer.geocode("100 Nanjing East Road")
    assert east.raw == {"street": "Nanjing East Road", "number": 100}
    assert gazetteer.geocode("上海市南京东路100号").raw == east.raw


@pytest.mark.parametrize(
    "address", ["北京市朝阳区建国路88号", "10 Downing Street, London", "", "号"]
)
def test_unknown_addresses_are_none(gazetteer, address):
    assert gazetteer.geocode(address) is None


def test_exactly_one_false_answers_a_list(gazetteer):
    assert len(gazetteer.geocode("南京西路1号", exactly_one=False)) == 1


def test_geocode_address_refuses_unknown_addresses(app):
    with app.app_context(), pytest.raises(Unprocessable) as raised:
        geocode_address("北京市朝阳区建国路88号")
    assert raised.value.code == "address_not_found"
    assert raised.value.fields == {"address": ["not found by the geocoder"]}


# --- jobs placed by the geocoder ----------------------------------------------------------


@pytest.mark.parametrize("address", ["上海市南京西路1266号", "1266 Nanjing West Road"])
def test_a_job_with_an_address_only_is_placed(tenant, address):
    body = factories.job_payload(address=address)
    del body["lat"], body["lon"]
    response = tenant.api.post("/api/v1/jobs", json=body)
    assert response.status_code == 201, response.json
    job = response.json
    assert (job["lat"], job["lon"]) == NANJING_WEST_1266
    assert job["location_source"] == "geocoded"
    assert job["address"] == address


def test_null_coordinates_mean_geocode(tenant):
    body = factories.job_payload(address="1266 Nanjing West Road", lat=None, lon=None)
    job = tenant.api.post("/api/v1/jobs", json=body).json
    assert (job["lat"], job["lon"], job["location_source"]) == (*NANJING_WEST_1266, "geocoded")


def test_given_coordinates_win_over_the_address(tenant):
    body = factories.job_payload(address="上海市南京西路1266号", lat=31.0, lon=121.0)
    job = tenant.api.post("/api/v1/jobs", json=body).json
    assert (job["lat"], job["lon"], job["location_source"]) == (31.0, 121.0, "provided")


def test_an_address_that_cannot_be_placed_writes_nothing(app, tenant):
    body = factories.job_payload(address="北京市朝阳区建国路88号")
    del body["lat"], body["lon"]
    response = tenant.api.post("/api/v1/jobs", json=body)
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "address_not_found"
    assert "北京市朝阳区建国路88号" in error["message"]
    assert error["fields"] == {"address": ["not found by the geocoder"]}
    assert factories.count(app, Job) == 0
    assert factories.count(app, JobEvent) == 0


@pytest.mark.parametrize(("given", "missing"), [("lat", "lon"), ("lon", "lat")])
def test_one_coordinate_without_the_other_is_422(app, tenant, given, missing):
    body = factories.job_payload()
    del body[missing]
    response = tenant.api.post("/api/v1/jobs", json=body)
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"lat": ["Send both lat and lon, or neither."]}
    assert factories.count(app, Job) == 0


def test_geocoder_outage_is_503_and_writes_nothing(app, tenant, monkeypatch):
    class Down:
        def geocode(self, *args, **kwargs):
            raise GeocoderUnavailable("no network")

    monkeypatch.setattr(geocoding, "geocoder", Down)
    body = factories.job_payload()
    del body["lat"], body["lon"]
    response = tenant.api.post("/api/v1/jobs", json=body)
    assert response.status_code == 503
    assert response.json["error"]["code"] == "geocoder_unavailable"
    assert factories.count(app, Job) == 0


def test_geocoder_is_chosen_by_configuration(app):
    with app.app_context():
        assert isinstance(geocoding.geocoder(), OfflineGazetteer)
