"""Brands, dealers, authorizations, installers with shifts and time off."""

from datetime import time

import pytest

from app.network.models import (
    Brand,
    BrandDealer,
    Dealer,
    Installer,
    InstallerShift,
    InstallerTimeOff,
)
from tests import factories

# --- brands ---------------------------------------------------------------------------------


def test_create_and_read_brand(app, admin):
    response = admin.post("/api/v1/brands", json={"name": "Oakline 橡木", "code": "oakline"})
    assert response.status_code == 201, response.json
    brand = response.json
    assert set(brand) == {
        "id",
        "name",
        "code",
        "assignment_mode",
        "sla_webhook_url",
        "has_webhook_secret",
        "ops_phone",
        "created_at",
    }
    assert (brand["name"], brand["code"]) == ("Oakline 橡木", "oakline")
    assert admin.get(f"/api/v1/brands/{brand['id']}").json == brand
    assert [b.code for b in factories.rows(app, Brand)] == ["oakline"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "X", "code": "Oak Line"}, "code"),
        ({"name": "X", "code": "a"}, "code"),
        ({"name": "", "code": "xx"}, "name"),
        ({"name": "X" * 121, "code": "xx"}, "name"),
        ({"code": "xx"}, "name"),
        ({"name": "X", "code": "xx", "id": 5}, "id"),
        ({"name": "X", "code": "xx", "created_at": "2020-01-01T00:00:00Z"}, "created_at"),
    ],
)
def test_create_brand_refuses_bad_input(app, admin, body, field):
    response = admin.post("/api/v1/brands", json=body)
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == [field]
    assert factories.count(app, Brand) == 0


@pytest.mark.parametrize("field", ["name", "code"])
def test_brand_name_and_code_are_unique(app, admin, field):
    first = factories.brand(app, code="oak", name="Oak")
    body = {"name": "Other", "code": "other", field: {"name": "Oak", "code": "oak"}[field]}
    response = admin.post("/api/v1/brands", json=body)
    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == f"duplicate_{field}"
    assert error["existing_id"] == first.id
    assert error["fields"] == {field: ["already used"]}
    assert factories.count(app, Brand) == 1


def test_update_brand(app, admin):
    brand = factories.brand(app, code="oak", name="Oak")
    factories.brand(app, code="elm", name="Elm")
    response = admin.patch(f"/api/v1/brands/{brand.id}", json={"name": "Oak & Co"})
    assert response.status_code == 200
    assert response.json["name"] == "Oak & Co"
    same = admin.patch(f"/api/v1/brands/{brand.id}", json={"name": "Oak & Co"})
    assert same.status_code == 200
    taken = admin.patch(f"/api/v1/brands/{brand.id}", json={"name": "Elm"})
    assert taken.status_code == 409
    frozen = admin.patch(f"/api/v1/brands/{brand.id}", json={"code": "maple"})
    assert frozen.status_code == 422
    assert frozen.json["error"]["fields"] == {"code": ["Unknown field."]}
    assert admin.get(f"/api/v1/brands/{brand.id}").json["code"] == "oak"
    assert admin.patch("/api/v1/brands/999", json={"name": "x"}).status_code == 404


def test_list_brands_pages(app, admin):
    made = [factories.brand(app).id for _ in range(3)]
    page = admin.get("/api/v1/brands?per_page=2&page=2").json
    assert page["total"] == 3
    assert [b["id"] for b in page["items"]] == made[2:]


# --- dealers --------------------------------------------------------------------------------


def test_create_dealer_and_read_it(app, admin, as_key):
    response = admin.post(
        "/api/v1/dealers",
        json={"name": "静安安装", "timezone": "Asia/Shanghai", "phone": "+86 21 6200 0000"},
    )
    assert response.status_code == 201, response.json
    dealer = response.json
    assert dealer["phone"] == "+862162000000"
    assert dealer["active"] is True
    assert dealer["has_service_area"] is False
    key = factories.api_key(app, "dealer", dealer=factories.rows(app, Dealer)[0])
    assert as_key(key).get(f"/api/v1/dealers/{dealer['id']}").json == dealer
    listed = admin.get("/api/v1/dealers").json
    assert [d["id"] for d in listed["items"]] == [dealer["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Asia/Beijing"}, "timezone"),
        ({"timezone": "UTC+8"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"phone": "021-62000000"}, "phone"),
        ({"phone": "+1 555 0100"}, "phone"),
        ({"phone": "+86" + "1" * 30}, "phone"),
        ({"phone": 8613812345678}, "phone"),
        ({"active": False}, "active"),
    ],
)
def test_create_dealer_refuses_bad_input(app, admin, body, field):
    response = admin.post(
        "/api/v1/dealers", json={"name": "D", "timezone": "Asia/Shanghai", **body}
    )
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == [field]
    assert factories.count(app, Dealer) == 0


def test_dealer_updates_itself(app, as_key):
    dealer = factories.dealer(app, name="Old")
    api = as_key(factories.api_key(app, "dealer", dealer=dealer))
    response = api.patch(
        f"/api/v1/dealers/{dealer.id}", json={"timezone": "Asia/Urumqi", "phone": None}
    )
    assert response.status_code == 200
    assert {k: response.json[k] for k in ("name", "timezone", "phone", "active")} == {
        "name": "Old",
        "timezone": "Asia/Urumqi",
        "phone": None,
        "active": True,
    }
    # Only an admin renames a dealer or switches it off (a dealer cannot undo its suspension).
    for change in ({"active": True}, {"active": False}, {"name": "New"}):
        refused = api.patch(f"/api/v1/dealers/{dealer.id}", json=change)
        assert (refused.status_code, refused.json["error"]["code"]) == (403, "admin_only_field")
    assert api.get(f"/api/v1/dealers/{dealer.id}").json["name"] == "Old"
    bad = api.patch(f"/api/v1/dealers/{dealer.id}", json={"timezone": "Mars/Base"})
    assert bad.status_code == 422
    assert bad.json["error"]["fields"] == {
        "timezone": ["Unknown time zone 'Mars/Base'; use an IANA name like Asia/Shanghai."]
    }
    assert factories.rows(app, Dealer)[0].timezone == "Asia/Urumqi"


def test_dealer_name_is_unique(app, admin):
    factories.dealer(app, name="Taken")
    other = factories.dealer(app, name="Free")
    response = admin.post("/api/v1/dealers", json={"name": "Taken", "timezone": "Asia/Shanghai"})
    assert response.status_code == 409
    assert admin.patch(f"/api/v1/dealers/{other.id}", json={"name": "Taken"}).status_code == 409
    assert factories.count(app, Dealer) == 2


# --- authorizations -------------------------------------------------------------------------


def test_authorize_replace_list_and_withdraw(app, admin, as_key):
    brand, dealer = factories.brand(app), factories.dealer(app)
    path = f"/api/v1/brands/{brand.id}/dealers/{dealer.id}"
    first = admin.put(path, json={"categories": ["furniture", "door"]})
    assert first.status_code == 200, first.json
    assert (first.json["brand_id"], first.json["dealer_id"]) == (brand.id, dealer.id)
    assert first.json["categories"] == ["door", "furniture"]
    again = admin.put(path, json={"categories": ["appliance"]})
    assert again.json["categories"] == ["appliance"]
    assert factories.count(app, BrandDealer) == 1

    brand_api = as_key(factories.api_key(app, "brand", brand=brand))
    listed = brand_api.get(f"/api/v1/brands/{brand.id}/dealers").json
    assert [(x["dealer_id"], x["categories"]) for x in listed] == [(dealer.id, ["appliance"])]

    gone = admin.delete(path)
    assert gone.status_code == 204
    assert gone.data == b""
    assert factories.count(app, BrandDealer) == 0
    assert admin.delete(path).status_code == 404
    assert brand_api.get(f"/api/v1/brands/{brand.id}/dealers").json == []


@pytest.mark.parametrize(
    "body",
    [
        {"categories": []},
        {"categories": ["cars"]},
        {"categories": ["door", "door"]},
        {"categories": "door"},
        {},
        {"categories": ["door"], "brand_id": 1},
    ],
)
def test_authorize_refuses_bad_input(app, admin, body):
    brand, dealer = factories.brand(app), factories.dealer(app)
    response = admin.put(f"/api/v1/brands/{brand.id}/dealers/{dealer.id}", json=body)
    assert response.status_code == 422
    assert response.json["error"]["fields"]
    assert factories.count(app, BrandDealer) == 0


def test_authorize_unknown_brand_or_dealer_is_404(app, admin):
    brand, dealer = factories.brand(app), factories.dealer(app)
    body = {"categories": ["door"]}
    assert admin.put(f"/api/v1/brands/999/dealers/{dealer.id}", json=body).status_code == 404
    assert admin.put(f"/api/v1/brands/{brand.id}/dealers/999", json=body).status_code == 404
    assert factories.count(app, BrandDealer) == 0


# --- installers -----------------------------------------------------------------------------


@pytest.fixture
def dealer_api(app, as_key):
    dealer = factories.dealer(app)
    return dealer, as_key(factories.api_key(app, "dealer", dealer=dealer))


def test_create_installer_with_shifts(app, dealer_api):
    dealer, api = dealer_api
    body = factories.installer_payload(
        phone="+86 139 0000 1111",
        shifts=[
            {"weekday": 2, "start": "13:00", "end": "18:00"},
            {"weekday": 1, "start": "08:00", "end": "12:00"},
            {"weekday": 1, "start": "12:00", "end": "17:30"},
        ],
    )
    response = api.post(f"/api/v1/dealers/{dealer.id}/installers", json=body)
    assert response.status_code == 201, response.json
    installer = response.json
    assert installer["dealer_id"] == dealer.id
    assert installer["phone"] == "+8613900001111"
    assert installer["shifts"] == [
        {"weekday": 1, "start": "08:00", "end": "12:00"},
        {"weekday": 1, "start": "12:00", "end": "17:30"},
        {"weekday": 2, "start": "13:00", "end": "18:00"},
    ]
    assert installer["time_off"] == []
    assert (installer["max_jobs_per_day"], installer["active"]) == (5, True)
    assert api.get(f"/api/v1/installers/{installer['id']}").json == installer
    listed = api.get(f"/api/v1/dealers/{dealer.id}/installers").json
    assert [i["id"] for i in listed["items"]] == [installer["id"]]
    assert factories.count(app, InstallerShift) == 3


BAD_INSTALLERS = [
    ({"phone": "13900001111"}, "phone"),
    ({"timezone": "Shanghai"}, "timezone"),
    ({"skills": ["Door"]}, "skills"),
    ({"skills": ["door_install", "door_install"]}, "skills"),
    ({"home_lat": 95}, "home_lat"),
    ({"home_lon": -181}, "home_lon"),
    ({"max_jobs_per_day": 0}, "max_jobs_per_day"),
    ({"max_jobs_per_day": "5"}, "max_jobs_per_day"),
    ({"shifts": [{"weekday": 8, "start": "08:00", "end": "12:00"}]}, "shifts"),
    ({"shifts": [{"weekday": 1, "start": "8am", "end": "12:00"}]}, "shifts"),
    ({"shifts": [{"weekday": 1, "start": "12:00", "end": "08:00"}]}, "shifts"),
    (
        {
            "shifts": [
                {"weekday": 1, "start": "08:00", "end": "12:00"},
                {"weekday": 1, "start": "11:00", "end": "13:00"},
            ]
        },
        "shifts",
    ),
    ({"dealer_id": 1}, "dealer_id"),
    ({"id": 1}, "id"),
]


@pytest.mark.parametrize(("changes", "field"), BAD_INSTALLERS)
def test_create_installer_refuses_bad_input(app, dealer_api, changes, field):
    dealer, api = dealer_api
    response = api.post(
        f"/api/v1/dealers/{dealer.id}/installers", json=factories.installer_payload(**changes)
    )
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == [field]
    assert factories.count(app, Installer) == 0
    assert factories.count(app, InstallerShift) == 0


def test_installer_phone_is_unique(app, dealer_api):
    dealer, api = dealer_api
    factories.installer(app, dealer, phone="+8613900002222")
    response = api.post(
        f"/api/v1/dealers/{dealer.id}/installers",
        json=factories.installer_payload(phone="+86 139 0000 2222"),
    )
    assert response.status_code == 409
    assert response.json["error"]["code"] == "duplicate_phone"
    assert factories.count(app, Installer) == 1


def test_update_installer(app, dealer_api):
    dealer, api = dealer_api
    installer = factories.installer(app, dealer)
    response = api.patch(
        f"/api/v1/installers/{installer.id}",
        json={"skills": ["electrical"], "active": False, "max_jobs_per_day": 3},
    )
    assert response.status_code == 200
    assert (response.json["skills"], response.json["active"]) == (["electrical"], False)
    assert response.json["max_jobs_per_day"] == 3
    for body in ({"dealer_id": 2}, {"shifts": []}, {"home_lat": "x"}):
        bad = api.patch(f"/api/v1/installers/{installer.id}", json=body)
        assert bad.status_code == 422
    row = factories.rows(app, Installer)[0]
    assert (row.dealer_id, row.skills) == (dealer.id, ["electrical"])
    assert api.patch("/api/v1/installers/999", json={"active": True}).status_code == 404


def test_replace_shifts(app, dealer_api):
    dealer, api = dealer_api
    installer = factories.installer(
        app,
        dealer,
        shifts=[{"weekday": 1, "start_time": time(8), "end_time": time(12)}],
    )
    path = f"/api/v1/installers/{installer.id}/shifts"
    week = [{"weekday": d, "start": "09:00", "end": "18:00"} for d in (1, 2, 3, 4, 5)]
    response = api.put(path, json={"shifts": week})
    assert response.status_code == 200
    assert response.json["shifts"] == week
    assert factories.count(app, InstallerShift) == 5

    overlap = [*week, {"weekday": 5, "start": "17:00", "end": "20:00"}]
    bad = api.put(path, json={"shifts": overlap})
    assert bad.status_code == 422
    assert bad.json["error"]["fields"] == {"shifts": ["Shifts on the same weekday overlap."]}
    assert factories.count(app, InstallerShift) == 5
    assert api.put(path, json={}).status_code == 422

    cleared = api.put(path, json={"shifts": []})
    assert cleared.json["shifts"] == []
    assert factories.count(app, InstallerShift) == 0


def test_time_off(app, dealer_api):
    dealer, api = dealer_api
    installer = factories.installer(app, dealer)
    path = f"/api/v1/installers/{installer.id}/time-off"
    response = api.post(
        path,
        json={
            "starts_at": "2026-12-24T00:00:00+08:00",
            "ends_at": "2026-12-26T00:00:00+08:00",
            "reason": "年假",
        },
    )
    assert response.status_code == 201, response.json
    absence = response.json
    assert absence["starts_at"] == "2026-12-23T16:00:00+00:00"
    assert absence["ends_at"] == "2026-12-25T16:00:00+00:00"
    assert absence["reason"] == "年假"
    assert absence.pop("jobs_at_risk") == [], "nothing booked"
    assert api.get(f"/api/v1/installers/{installer.id}").json["time_off"] == [absence]

    assert api.delete(f"{path}/{absence['id']}").status_code == 204
    assert factories.count(app, InstallerTimeOff) == 0
    assert api.delete(f"{path}/{absence['id']}").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"starts_at": "2026-12-24T00:00:00", "ends_at": "2026-12-25T00:00:00+08:00"}, "starts_at"),
        ({"starts_at": "2026-12-24T00:00:00+08:00", "ends_at": "2026-12-25"}, "ends_at"),
        ({"starts_at": "2026-12-24T00:00:00Z", "ends_at": "2026-12-24T00:00:00Z"}, "ends_at"),
        ({"starts_at": "2026-12-24T00:00:00Z", "ends_at": "2026-12-23T00:00:00Z"}, "ends_at"),
        ({"starts_at": "2026-01-01T00:00:00Z", "ends_at": "2027-01-03T00:00:00Z"}, "ends_at"),
        ({"starts_at": "yesterday", "ends_at": "2026-12-23T00:00:00Z"}, "starts_at"),
        ({"ends_at": "2026-12-23T00:00:00Z"}, "starts_at"),
    ],
)
def test_time_off_refuses_bad_input(app, dealer_api, body, field):
    dealer, api = dealer_api
    installer = factories.installer(app, dealer)
    response = api.post(f"/api/v1/installers/{installer.id}/time-off", json=body)
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == [field]
    assert factories.count(app, InstallerTimeOff) == 0
