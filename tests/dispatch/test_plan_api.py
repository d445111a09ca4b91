"""Plan endpoints: tenant walls, roles, input errors, and the OpenAPI document."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.fields import YEARS
from tests import factories
from tests.dispatch.plans import DAY, NOW, book_day, plan_now
from tests.factories import Metro


@pytest.fixture
def two(app, clock):
    clock.set(NOW)
    return Metro(app, installers=2), Metro(app, installers=1)


def test_dealers_cannot_plan_or_see_each_others_days(app, client, as_key, two):
    a, b = two
    [job] = book_day(a, client, as_key, 1)
    plan_now(app, as_key(a.dealer_key), a.dealer.id)
    intruder = as_key(b.dealer_key)
    path = f"/api/v1/dealers/{a.dealer.id}/plans/{DAY}"
    for response in (
        intruder.post(path),
        intruder.get(path),
        intruder.get(path, query_string={"version": 1}),
        intruder.put(f"/api/v1/jobs/{job}/plan-lock", json={"installer_id": a.installers[0].id}),
        intruder.delete(f"/api/v1/jobs/{job}/plan-lock"),
    ):
        assert response.status_code == 404, response.json
        assert response.json["error"]["code"] == "not_found"
    # B's own day has no plan yet: 404 with a hint, not an empty plan.
    own = intruder.get(f"/api/v1/dealers/{b.dealer.id}/plans/{DAY}")
    assert own.status_code == 404 and "POST" in own.json["error"]["message"]


def test_brands_cannot_use_dispatcher_endpoints_but_see_issues(app, client, as_key, two):
    a, _ = two
    [job] = book_day(a, client, as_key, 1)
    brand = as_key(a.brand_key)
    path = f"/api/v1/dealers/{a.dealer.id}/plans/{DAY}"
    for response in (
        brand.post(path),
        brand.get(path),
        brand.put(f"/api/v1/jobs/{job}/plan-lock", json={"installer_id": a.installers[0].id}),
        brand.delete(f"/api/v1/jobs/{job}/plan-lock"),
    ):
        assert response.status_code == 403, response.json
        assert response.json["error"]["code"] == "wrong_role"
    assert brand.get(f"/api/v1/jobs/{job}").json["plan_issue"] is None
    assert as_key(None).get(path).status_code == 401


def test_an_admin_may_plan_any_dealer(app, client, as_key, admin, two):
    a, _ = two
    book_day(a, client, as_key, 2)
    shown = plan_now(app, admin, a.dealer.id)
    assert shown["request"]["requested_by"].startswith("admin:")
    assert admin.get(f"/api/v1/dealers/999999/plans/{DAY}").status_code == 404


def test_bad_dates_and_versions(app, as_key, two):
    a, _ = two
    api = as_key(a.dealer_key)
    base = f"/api/v1/dealers/{a.dealer.id}/plans"
    for day in ("tomorrow", "2026-1-1", "20261203"):
        assert api.post(f"{base}/{day}").status_code == 404, day
        assert api.get(f"{base}/{day}").json["error"]["code"] == "not_found"
    for day in ("2026-13-01", "2026-02-30"):
        for answer in (api.post(f"{base}/{day}"), api.get(f"{base}/{day}")):
            assert answer.status_code == 422, day
            assert answer.json["error"]["fields"] == {
                "day": [
                    f"{day} is not a calendar day in the years 1970–2099. "
                    "Expected a date like 2026-12-08 (YYYY-MM-DD)."
                ]
            }
    today = NOW.date()
    for day in (today - timedelta(days=1), today + timedelta(days=61)):
        refused = api.post(f"{base}/{day}")
        assert refused.status_code == 422, day
        assert "date" in refused.json["error"]["fields"]
    assert api.post(f"{base}/{today}").status_code == 202
    assert api.post(f"{base}/{today + timedelta(days=60)}").status_code == 202
    for version in ("0", "-1", "x", "1.5"):
        answer = api.get(f"{base}/{DAY}", query_string={"version": version})
        assert answer.status_code == 422, version
    waiting = api.get(f"{base}/{today}")
    assert waiting.status_code == 200
    assert (waiting.json["status"], waiting.json["version"], waiting.json["routes"]) == (
        "pending", None, [],
    )  # fmt: skip


def test_the_api_document_describes_the_plan_endpoints(client):
    document = client.get("/api/openapi.json").json
    day = document["paths"]["/api/v1/dealers/{dealer_id}/plans/{day}"]
    assert set(day) >= {"get", "post"}
    parameter = next(p for p in day["parameters"] if p["name"] == "day")
    assert parameter["schema"] == {"type": "string", "format": "date", "pattern": YEARS}
    assert "202" in day["post"]["responses"]
    lock = document["paths"]["/api/v1/jobs/{job_id}/plan-lock"]
    assert set(lock) >= {"put", "delete"}
    assert "plan_issue" in document["components"]["schemas"]["Job"]["properties"]
    assert "plan_at" in document["components"]["schemas"]["Dealer"]["properties"]


def test_plan_at_is_a_dealer_setting(app, admin):
    dealer = factories.dealer(app)
    path = f"/api/v1/dealers/{dealer.id}"
    assert admin.get(path).json["plan_at"] == "18:00"
    changed = admin.patch(path, json={"plan_at": "19:30"})
    assert changed.status_code == 200 and changed.json["plan_at"] == "19:30"
    for bad in ("7pm", "24:00", "19:3"):
        assert admin.patch(path, json={"plan_at": bad}).status_code == 422
