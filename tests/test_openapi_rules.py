"""The rules the OpenAPI document states are the ones the API applies (found by schemathesis)."""

import re

import pytest

from app.fields import PHONE_PATTERN
from tests import factories


@pytest.fixture
def document(client):
    return client.get("/api/openapi.json").json


def component(document, name):
    return document["components"]["schemas"][name]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("patch", "/api/v1/brands/{brand_id}"),
        ("patch", "/api/v1/dealers/{dealer_id}"),
        ("patch", "/api/v1/installers/{installer_id}"),
        ("patch", "/api/v1/jobs/{job_id}"),
        ("post", "/api/v1/brands/{brand_id}/sla-policies"),
        ("put", "/api/v1/brands/{brand_id}/sla-policies/{policy_id}"),
        ("post", "/api/v1/installers/{installer_id}/invite"),
        ("post", "/api/v1/jobs/{job_id}/assign"),
    ],
)
def test_a_body_of_optional_fields_is_optional(document, method, path):
    # These answer 200 without a body; the document said the body was required.
    assert document["paths"][path][method]["requestBody"]["required"] is False


def test_a_patch_without_a_body_changes_nothing(app, admin):
    brand = factories.brand(app, code="oak", name="Oak")
    response = admin.request("PATCH", f"/api/v1/brands/{brand.id}")
    assert response.status_code == 200
    assert response.json["name"] == "Oak"


def test_owner_by_role_and_coordinates_together_are_stated(document):
    for name in ("ApiKeyCreate", "UserCreate"):
        roles = [b["properties"]["role"]["enum"] for b in component(document, name)["oneOf"]]
        assert roles == [["admin"], ["brand"], ["dealer"]]
    for name in ("JobCreate", "JobUpdate"):
        both, neither = component(document, name)["anyOf"]
        assert both["required"] == ["lat", "lon"]
        assert set(neither["properties"]) == {"lat", "lon"}


def test_formats_name_what_no_pattern_can(document):
    dealer = component(document, "DealerCreate")["properties"]
    assert dealer["phone"]["format"] == "phone"
    assert dealer["phone"]["pattern"] == PHONE_PATTERN
    assert dealer["timezone"]["format"] == "time-zone"
    weekdays = component(document, "WeekHours")
    assert sorted(weekdays["properties"]) == [str(day) for day in range(1, 8)]
    assert weekdays["additionalProperties"] is False
    template = document["paths"]["/api/v1/brands/{brand_id}/sms-templates/{template_key}/{locale}"]
    keys = {p["name"]: p["schema"] for p in template["parameters"]}
    assert "nudge" in keys["template_key"]["enum"]
    assert keys["locale"]["enum"] == ["zh-CN", "en"]


@pytest.mark.parametrize("phone", ["+6767715123*", "+86-138-1234-5678", "(+86)13812345678"])
def test_a_phone_outside_the_documented_form_is_refused(admin, phone):
    assert not re.fullmatch(PHONE_PATTERN, phone)
    response = admin.post(
        "/api/v1/dealers", json={"name": "静安", "timezone": "Asia/Shanghai", "phone": phone}
    )
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["phone"]


def test_a_phone_with_spaces_is_the_documented_form(admin):
    phone = "+86 21 6200 0000"
    assert re.fullmatch(PHONE_PATTERN, phone)
    response = admin.post(
        "/api/v1/dealers", json={"name": "静安", "timezone": "Asia/Shanghai", "phone": phone}
    )
    assert response.status_code == 201
    assert response.json["phone"] == "+862162000000"


@pytest.mark.parametrize(
    "body",
    [{"active": 0}, {"active": "yes"}, {"road_factor": "1.5"}, {"average_speed_kmh": "30"}],
)
def test_booleans_and_numbers_are_json_ones(app, admin, body):
    dealer = factories.dealer(app)
    response = admin.patch(f"/api/v1/dealers/{dealer.id}", json=body)
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == list(body)


def test_business_hours_take_iso_weekdays_only(app, admin):
    brand = factories.brand(app, code="oak", name="Oak")
    body = {"timezone": "Asia/Shanghai", "hours": {"1": [["09:00", "18:00"]], "8": []}}
    response = admin.put(f"/api/v1/brands/{brand.id}/business-calendar", json=body)
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {
        "hours": {"8": ["Not an ISO weekday; use 1 (Monday) … 7 (Sunday)."]}
    }


def test_installer_coordinates_are_json_numbers(app, admin):
    installer = factories.installer(app, factories.dealer(app))
    response = admin.patch(f"/api/v1/installers/{installer.id}", json={"home_lat": "31.2"})
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == ["home_lat"]


def test_inviting_an_inactive_installer_is_a_conflict(app, admin):
    # It answered 410 Gone, a status a client takes for a resource that is gone for good.
    installer = factories.installer(app, factories.dealer(app), active=False)
    response = admin.post(f"/api/v1/installers/{installer.id}/invite", json={})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "installer_inactive"
