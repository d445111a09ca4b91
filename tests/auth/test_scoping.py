"""Who may call what: credentials (401), roles (403), tenant walls (404)."""

import re
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from app.db import Base
from app.extensions import db
from tests import factories

ADMIN, BRAND, DEALER = "admin", "brand", "dealer"
ROLES = (ADMIN, BRAND, DEALER)

# Every endpoint under /api/v1 and the roles allowed to call it.
ENDPOINTS = [
    ("POST", "/api/v1/brands", {ADMIN}),
    ("GET", "/api/v1/brands", {ADMIN}),
    ("GET", "/api/v1/brands/{brand}", {ADMIN, BRAND}),
    ("PATCH", "/api/v1/brands/{brand}", {ADMIN}),
    ("GET", "/api/v1/brands/{brand}/dealers", {ADMIN, BRAND}),
    ("PUT", "/api/v1/brands/{brand}/dealers/{dealer}", {ADMIN}),
    ("DELETE", "/api/v1/brands/{brand}/dealers/{dealer}", {ADMIN}),
    ("POST", "/api/v1/dealers", {ADMIN}),
    ("GET", "/api/v1/dealers", {ADMIN}),
    ("GET", "/api/v1/dealers/{dealer}", {ADMIN, DEALER}),
    ("PATCH", "/api/v1/dealers/{dealer}", {ADMIN, DEALER}),
    ("PUT", "/api/v1/dealers/{dealer}/service-area", {ADMIN, DEALER}),
    ("GET", "/api/v1/dealers/{dealer}/service-area", {ADMIN, DEALER}),
    ("POST", "/api/v1/dealers/{dealer}/installers", {ADMIN, DEALER}),
    ("GET", "/api/v1/dealers/{dealer}/installers", {ADMIN, DEALER}),
    ("GET", "/api/v1/installers/{installer}", {ADMIN, DEALER}),
    ("PATCH", "/api/v1/installers/{installer}", {ADMIN, DEALER}),
    ("PUT", "/api/v1/installers/{installer}/shifts", {ADMIN, DEALER}),
    ("POST", "/api/v1/installers/{installer}/time-off", {ADMIN, DEALER}),
    ("DELETE", "/api/v1/installers/{installer}/time-off/{time_off}", {ADMIN, DEALER}),
    ("POST", "/api/v1/jobs", {BRAND}),
    ("POST", "/api/v1/orders", {BRAND}),
    ("GET", "/api/v1/orders", {ADMIN, BRAND, DEALER}),
    ("GET", "/api/v1/orders/{order}", {ADMIN, BRAND, DEALER}),
    ("POST", "/api/v1/orders/{order}/visits", {BRAND}),
    ("PATCH", "/api/v1/orders/{order}/goods", {BRAND}),
    ("POST", "/api/v1/orders/{order}/goods-received", {ADMIN, DEALER}),
    ("GET", "/api/v1/jobs", {ADMIN, BRAND, DEALER}),
    ("GET", "/api/v1/jobs/{job}", {ADMIN, BRAND, DEALER}),
    ("PATCH", "/api/v1/jobs/{job}", {ADMIN, BRAND}),
    ("POST", "/api/v1/jobs/{job}/cancel", {ADMIN, BRAND}),
    ("GET", "/api/v1/jobs/{job}/events", {ADMIN, BRAND, DEALER}),
    ("GET", "/api/v1/jobs/{job}/candidates", {ADMIN, BRAND}),
    ("POST", "/api/v1/jobs/{job}/assign", {ADMIN, BRAND}),
    ("POST", "/api/v1/jobs/{job}/decline", {DEALER}),
    ("GET", "/api/v1/jobs/{job}/windows", {ADMIN, BRAND, DEALER}),
    ("POST", "/api/v1/jobs/{job}/booking", {ADMIN, BRAND, DEALER}),
    ("GET", "/api/v1/jobs/{job}/booking", {ADMIN, BRAND, DEALER}),
    ("DELETE", "/api/v1/jobs/{job}/booking", {ADMIN, BRAND, DEALER}),
    ("POST", "/api/v1/jobs/{job}/booking/move", {ADMIN, DEALER}),
    ("GET", "/api/v1/dealers/{dealer}/bookings", {ADMIN, DEALER}),
    ("POST", "/api/v1/dealers/{dealer}/blocks", {ADMIN, DEALER}),
    ("GET", "/api/v1/dealers/{dealer}/blocks", {ADMIN, DEALER}),
    ("DELETE", "/api/v1/dealers/{dealer}/blocks/{block}", {ADMIN, DEALER}),
    ("POST", "/api/v1/sms/preview", {ADMIN, BRAND}),
    ("GET", "/api/v1/sms/messages", {ADMIN, BRAND}),
    ("GET", "/api/v1/brands/{brand}/sms-templates", {ADMIN, BRAND}),
    ("PUT", "/api/v1/brands/{brand}/sms-templates/{template_key}/{locale}", {ADMIN, BRAND}),
    ("DELETE", "/api/v1/brands/{brand}/sms-templates/{template_key}/{locale}", {ADMIN, BRAND}),
    ("GET", "/api/v1/brands/{brand}/sla-policies", {ADMIN, BRAND}),
    ("POST", "/api/v1/brands/{brand}/sla-policies", {ADMIN, BRAND}),
    ("PUT", "/api/v1/brands/{brand}/sla-policies/{policy}", {ADMIN, BRAND}),
    ("DELETE", "/api/v1/brands/{brand}/sla-policies/{policy}", {ADMIN, BRAND}),
    ("GET", "/api/v1/brands/{brand}/sla-regions", {ADMIN, BRAND}),
    ("POST", "/api/v1/brands/{brand}/sla-regions", {ADMIN, BRAND}),
    ("GET", "/api/v1/brands/{brand}/business-calendar", {ADMIN, BRAND}),
    ("PUT", "/api/v1/brands/{brand}/business-calendar", {ADMIN, BRAND}),
    ("GET", "/api/v1/brands/{brand}/sla-alerts", {ADMIN, BRAND}),
    ("POST", "/api/v1/brands/{brand}/sla-alerts/{alert}/redeliver", {ADMIN, BRAND}),
    ("GET", "/api/v1/sla/summary", {ADMIN, BRAND, DEALER}),
    ("GET", "/api/v1/sla/jobs", {ADMIN, BRAND, DEALER}),
    ("GET", "/api/v1/sla/export.csv", {ADMIN, BRAND, DEALER}),
    ("GET", "/api/v1/jobs/{job}/sla", {ADMIN, BRAND, DEALER}),
    ("GET", "/api/v1/orders/{order}/sla", {ADMIN, BRAND, DEALER}),
    ("POST", "/api/v1/installers/{installer}/invite", {ADMIN, DEALER}),
    ("GET", "/api/v1/installers/{installer}/devices", {ADMIN, DEALER}),
    ("POST", "/api/v1/installers/{installer}/devices/{device}/revoke", {ADMIN, DEALER}),
    ("POST", "/api/v1/dealers/{dealer}/dispatch", {ADMIN, DEALER}),
    ("GET", "/api/v1/jobs/{job}/attachments", {ADMIN, BRAND, DEALER}),
    ("GET", "/api/v1/attachments/{attachment}/content", {ADMIN, BRAND, DEALER}),
    ("POST", "/api/v1/dealers/{dealer}/plans/{day}", {ADMIN, DEALER}),
    ("GET", "/api/v1/dealers/{dealer}/plans/{day}", {ADMIN, DEALER}),
    ("PUT", "/api/v1/jobs/{job}/plan-lock", {ADMIN, DEALER}),
    ("DELETE", "/api/v1/jobs/{job}/plan-lock", {ADMIN, DEALER}),
    ("POST", "/api/v1/users", {ADMIN}),
    ("GET", "/api/v1/users", {ADMIN}),
    ("POST", "/api/v1/users/{user}/deactivate", {ADMIN}),
    ("POST", "/api/v1/api-keys", {ADMIN}),
    ("GET", "/api/v1/api-keys", {ADMIN}),
    ("POST", "/api/v1/api-keys/{key}/revoke", {ADMIN}),
]


def test_the_table_lists_every_endpoint(app):
    routes = {
        (method, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    listed = set()
    for method, template, _ in ENDPOINTS:
        path = template
        for name in (
            "brand",
            "dealer",
            "installer",
            "time_off",
            "job",
            "order",
            "key",
            "block",
            "policy",
            "device",
            "attachment",
            "user",
            "alert",
        ):
            path = path.replace(f"{{{name}}}", f"{{{name}_id}}")
        listed.add((method, path))
    assert listed == routes


@pytest.fixture
def world(app, as_key):
    """Two brands, two dealers, an installer with time off, a job of brand A at dealer A."""
    brand_a, brand_b = factories.brand(app), factories.brand(app)
    dealer_a, dealer_b = factories.dealer(app), factories.dealer(app)
    factories.authorize(app, brand_a, dealer_a)
    installer_a = factories.installer(app, dealer_a)
    installer_b = factories.installer(app, dealer_b)
    time_off = factories.time_off(app, installer_a)
    job_a = factories.job(app, brand_a, status="assigned", dealer_=dealer_a)
    keys = {
        ADMIN: factories.api_key(app, "admin"),
        BRAND: factories.api_key(app, "brand", brand=brand_a),
        DEALER: factories.api_key(app, "dealer", dealer=dealer_a),
    }
    return SimpleNamespace(
        brand_a=brand_a,
        brand_b=brand_b,
        dealer_a=dealer_a,
        dealer_b=dealer_b,
        installer_a=installer_a,
        installer_b=installer_b,
        time_off=time_off,
        job_a=job_a,
        keys=keys,
        api={role: as_key(key) for role, key in keys.items()},
        brand_b_api=as_key(factories.api_key(app, "brand", brand=brand_b)),
        dealer_b_api=as_key(factories.api_key(app, "dealer", dealer=dealer_b)),
    )


def _path(template, world):
    return template.format(
        brand=world.brand_a.id,
        dealer=world.dealer_a.id,
        installer=world.installer_a.id,
        time_off=world.time_off.id,
        job=world.job_a.id,
        order=world.job_a.order_id,
        key=1,
        block=1,
        policy=1,
        device=1,
        attachment=1,
        alert=1,
        day="2026-12-02",
        user=1,
        template_key="nudge",
        locale="en",
    )


def _table_counts(app):
    with app.app_context():
        return {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in Base.metadata.sorted_tables
            if table.name != "api_keys"  # last_used_at is touched by every authenticated call
        }


@pytest.fixture
def callers(app, as_key):
    """One key per role; enough for the checks that come before any lookup."""
    brand, dealer = factories.brand(app), factories.dealer(app)
    return {
        ADMIN: as_key(factories.api_key(app, "admin")),
        BRAND: as_key(factories.api_key(app, "brand", brand=brand)),
        DEALER: as_key(factories.api_key(app, "dealer", dealer=dealer)),
    }


def _any_ids(template):
    return template.format(
        brand=1,
        dealer=1,
        installer=1,
        time_off=1,
        job=1,
        order=1,
        key=1,
        block=1,
        policy=1,
        device=1,
        attachment=1,
        alert=1,
        day="2026-12-02",
        user=1,
        template_key="nudge",
        locale="en",
    )


def _rejected_cases():
    for method, path, allowed in ENDPOINTS:
        for role in ROLES:
            if role not in allowed:
                yield pytest.param(method, path, role, id=f"{role}-{method}-{path}")


@pytest.mark.parametrize(("method", "path", "role"), list(_rejected_cases()))
def test_other_roles_get_403_and_change_nothing(app, callers, method, path, role):
    before = _table_counts(app)
    response = callers[role].request(method, _any_ids(path), json={})
    assert response.status_code == 403
    assert response.json["error"]["code"] == "wrong_role"
    assert role in response.json["error"]["message"]
    assert _table_counts(app) == before


def test_every_endpoint_needs_credentials(app, world, client):
    for method, path, _ in ENDPOINTS:
        before = _table_counts(app)
        response = client.open(_path(path, world), method=method, json={})
        assert response.status_code == 401, (method, path)
        assert response.json["error"]["code"] == "missing_credentials"
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert _table_counts(app) == before


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer ", "Basic YWRtaW46YWRtaW4=", "Token fwt_abc", "fwt_abc"]
)
@pytest.mark.parametrize(("method", "path"), [("GET", "/api/v1/jobs"), ("POST", "/api/v1/brands")])
def test_malformed_credentials_are_401(app, callers, client, header, method, path):
    response = client.open(path, method=method, json={}, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "missing_credentials"
    assert response.json["error"]["message"] == (
        "Send an API key as 'Authorization: Bearer <key>'."
    )


@pytest.mark.parametrize("key", ["fwt_unknown", "fwt_" + "x" * 43, "x" * 5000, "键"])
def test_unknown_keys_are_401(callers, as_key, key):
    response = as_key(key).get("/api/v1/jobs")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_credentials"
    assert "invalid_token" in response.headers["WWW-Authenticate"]


def test_revoked_key_is_401(app, world):
    with app.app_context():
        from app.auth import service as auth
        from app.db import transaction

        with transaction():
            key_id = auth.authenticate_api_key(world.keys[DEALER]).credential_id
            auth.revoke_api_key(key_id)
    response = world.api[DEALER].get("/api/v1/jobs")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_credentials"


def test_scheme_is_case_insensitive(world, client):
    response = client.get("/api/v1/jobs", headers={"Authorization": f"bearer {world.keys[BRAND]}"})
    assert response.status_code == 200


# --- tenant walls ---------------------------------------------------------------------------


def test_brand_cannot_reach_another_brands_jobs(app, world):
    other = world.brand_b_api
    job = world.job_a.id
    assert world.api[BRAND].get(f"/api/v1/jobs/{job}").status_code == 200
    for method, path, body in [
        ("GET", f"/api/v1/jobs/{job}", None),
        ("PATCH", f"/api/v1/jobs/{job}", {"notes": "mine now"}),
        ("POST", f"/api/v1/jobs/{job}/cancel", {"reason": "spite"}),
        ("GET", f"/api/v1/jobs/{job}/events", None),
    ]:
        before = _table_counts(app)
        response = other.request(method, path, json=body)
        assert response.status_code == 404, (method, path)
        assert response.json["error"] == {
            "code": "not_found",
            "message": f"Job {job} not found.",
            "fields": {},
        }
        assert _table_counts(app) == before
    listed = other.get("/api/v1/jobs")
    assert listed.json == {"items": [], "total": 0, "page": 1, "per_page": 50}
    # Filtering by the other brand's id or external id shows nothing either.
    by_brand = other.get(f"/api/v1/jobs?brand_id={world.brand_a.id}")
    assert by_brand.json["total"] == 0
    assert other.get(f"/api/v1/jobs?external_id={world.job_a.external_id}").json["total"] == 0
    assert world.api[BRAND].get("/api/v1/jobs").json["total"] == 1


def test_brand_cannot_read_another_brand(world):
    assert world.brand_b_api.get(f"/api/v1/brands/{world.brand_b.id}").status_code == 200
    assert world.brand_b_api.get(f"/api/v1/brands/{world.brand_a.id}").status_code == 404
    assert world.brand_b_api.get(f"/api/v1/brands/{world.brand_a.id}/dealers").status_code == 404
    own = world.api[BRAND].get(f"/api/v1/brands/{world.brand_a.id}/dealers")
    assert [link["dealer_id"] for link in own.json] == [world.dealer_a.id]


def test_dealer_sees_only_jobs_assigned_to_it(app, world):
    unassigned = factories.job(app, world.brand_a)
    elsewhere = factories.job(app, world.brand_a, status="assigned", dealer_=world.dealer_b)
    mine = world.api[DEALER]

    assert mine.get(f"/api/v1/jobs/{world.job_a.id}").status_code == 200
    assert mine.get(f"/api/v1/jobs/{world.job_a.id}/events").status_code == 200
    for job in (unassigned, elsewhere):
        assert mine.get(f"/api/v1/jobs/{job.id}").status_code == 404
        assert mine.get(f"/api/v1/jobs/{job.id}/events").status_code == 404
    listed = mine.get("/api/v1/jobs").json
    assert [j["id"] for j in listed["items"]] == [world.job_a.id]
    assert listed["total"] == 1
    assert mine.get(f"/api/v1/jobs?dealer_id={world.dealer_b.id}").json["total"] == 0
    assert world.dealer_b_api.get("/api/v1/jobs").json["items"][0]["id"] == elsewhere.id
    assert world.api[ADMIN].get("/api/v1/jobs").json["total"] == 3


def test_dealer_cannot_reach_another_dealer(app, world):
    b = world.dealer_b.id
    installer = world.installer_b.id
    own_api = world.dealer_b_api
    assert own_api.get(f"/api/v1/dealers/{b}/installers").json["total"] == 1
    for method, path, body in [
        ("GET", f"/api/v1/dealers/{b}", None),
        ("PATCH", f"/api/v1/dealers/{b}", {"name": "taken over"}),
        ("GET", f"/api/v1/dealers/{b}/service-area", None),
        ("PUT", f"/api/v1/dealers/{b}/service-area", factories.square(km=1)),
        ("GET", f"/api/v1/dealers/{b}/installers", None),
        ("POST", f"/api/v1/dealers/{b}/installers", factories.installer_payload()),
        ("GET", f"/api/v1/installers/{installer}", None),
        ("PATCH", f"/api/v1/installers/{installer}", {"active": False}),
        ("PUT", f"/api/v1/installers/{installer}/shifts", {"shifts": []}),
        (
            "POST",
            f"/api/v1/installers/{installer}/time-off",
            {"starts_at": "2026-12-01T00:00:00+08:00", "ends_at": "2026-12-02T00:00:00+08:00"},
        ),
    ]:
        before = _table_counts(app)
        response = world.api[DEALER].request(method, path, json=body)
        assert response.status_code == 404, (method, path, response.json)
        assert _table_counts(app) == before
    time_off_a = f"/api/v1/installers/{world.installer_a.id}/time-off/{world.time_off.id}"
    assert own_api.delete(time_off_a).status_code == 404
    assert world.api[DEALER].delete(time_off_a).status_code == 204
