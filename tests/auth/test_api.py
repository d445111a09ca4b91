"""API keys: issuing (shown once, stored hashed), listing, revoking."""

import hashlib

import pytest
from sqlalchemy import text

from app.auth.models import ApiKey
from app.extensions import db
from tests import factories

KEY_FIELDS = {
    "id",
    "name",
    "role",
    "brand_id",
    "dealer_id",
    "prefix",
    "active",
    "created_at",
    "last_used_at",
    "revoked_at",
}


def _everything_stored(app) -> str:
    """Every value of every api_keys row, as text."""
    with app.app_context():
        return repr(db.session.execute(text("SELECT * FROM api_keys")).all())


def test_create_shows_the_raw_key_once_and_stores_only_its_hash(app, admin, as_key):
    brand = factories.brand(app)
    response = admin.post(
        "/api/v1/api-keys", json={"name": "shop", "role": "brand", "brand_id": brand.id}
    )
    assert response.status_code == 201, response.json
    created = response.json
    raw = created["key"]
    assert raw.startswith("fwt_")
    assert len(raw) > 40
    assert set(created) == KEY_FIELDS | {"key"}
    assert created["role"] == "brand"
    assert (created["brand_id"], created["dealer_id"]) == (brand.id, None)
    assert created["prefix"] == raw[:12]
    assert created["active"] is True

    stored = _everything_stored(app)
    assert raw not in stored
    assert raw[12:] not in stored
    row = next(k for k in factories.rows(app, ApiKey) if k.id == created["id"])
    assert row.key_hash == hashlib.sha256(raw.encode()).hexdigest()

    listed = admin.get("/api/v1/api-keys").json
    assert raw not in repr(listed)
    mine = next(k for k in listed if k["id"] == created["id"])
    assert set(mine) == KEY_FIELDS
    assert mine["prefix"] == raw[:12]

    # ... and the key works.
    assert as_key(raw).get(f"/api/v1/brands/{brand.id}").status_code == 200


def test_list_is_newest_first_and_shows_last_use(app, admin, as_key):
    dealer = factories.dealer(app)
    raw = admin.post(
        "/api/v1/api-keys", json={"name": "d", "role": "dealer", "dealer_id": dealer.id}
    ).json["key"]
    as_key(raw).get(f"/api/v1/dealers/{dealer.id}")
    listed = admin.get("/api/v1/api-keys").json
    assert [k["id"] for k in listed] == sorted((k["id"] for k in listed), reverse=True)
    assert listed[0]["role"] == "dealer"
    assert listed[0]["last_used_at"] is not None
    assert listed[-1]["role"] == "admin"  # the fixture's key


def test_revoke_stops_the_key(app, admin, as_key):
    brand = factories.brand(app)
    raw = factories.api_key(app, "brand", brand=brand)
    key_id = admin.get("/api/v1/api-keys").json[0]["id"]
    assert as_key(raw).get(f"/api/v1/brands/{brand.id}").status_code == 200

    response = admin.post(f"/api/v1/api-keys/{key_id}/revoke")
    assert response.status_code == 200
    assert response.json["active"] is False
    revoked_at = response.json["revoked_at"]
    assert revoked_at is not None

    denied = as_key(raw).get(f"/api/v1/brands/{brand.id}")
    assert denied.status_code == 401
    assert denied.json["error"]["code"] == "invalid_credentials"
    # Revoking again keeps the first time.
    assert admin.post(f"/api/v1/api-keys/{key_id}/revoke").json["revoked_at"] == revoked_at


def test_revoke_unknown_key_is_404(admin):
    response = admin.post("/api/v1/api-keys/999/revoke")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "role": "installer"}, "role"),
        ({"name": "x", "role": "root"}, "role"),
        ({"name": "x", "role": "brand"}, "brand_id"),
        ({"name": "x", "role": "dealer"}, "dealer_id"),
        ({"name": "x", "role": "admin", "brand_id": 1}, "brand_id"),
        ({"name": "x", "role": "brand", "brand_id": 1, "dealer_id": 1}, "dealer_id"),
        ({"name": "x", "role": "brand", "brand_id": "1"}, "brand_id"),
        ({"name": "x", "role": "brand", "brand_id": 2**31}, "brand_id"),
        ({"name": "", "role": "admin"}, "name"),
        ({"role": "admin"}, "name"),
        ({"name": "x", "role": "admin", "key": "fwt_mine"}, "key"),
        ({"name": "x", "role": "admin", "key_hash": "0" * 64}, "key_hash"),
    ],
)
def test_create_refuses_bad_input(app, admin, body, field):
    brand = factories.brand(app)
    body = {k: (brand.id if v == 1 else v) for k, v in body.items()}
    before = factories.count(app, ApiKey)
    response = admin.post("/api/v1/api-keys", json=body)
    assert response.status_code == 422, response.json
    assert list(response.json["error"]["fields"]) == [field]
    assert factories.count(app, ApiKey) == before


def test_create_for_unknown_owner_is_404(app, admin):
    before = factories.count(app, ApiKey)
    response = admin.post("/api/v1/api-keys", json={"name": "x", "role": "brand", "brand_id": 77})
    assert response.status_code == 404
    assert factories.count(app, ApiKey) == before


@pytest.mark.parametrize(
    ("owner", "field", "status"),
    [
        ({"role": "installer"}, "role", 422),
        ({"role": "brand"}, "brand_id", 422),
        ({"role": "dealer"}, "dealer_id", 422),
        ({"role": "admin", "brand_id": 1}, "brand_id", 422),
        ({"role": "brand", "brand_id": 1, "dealer_id": 1}, "dealer_id", 422),
        ({"role": "brand", "brand_id": 77}, None, 404),
    ],
)
def test_users_follow_the_owner_rules_of_keys(app, admin, owner, field, status):
    from app.auth.models import User

    brand = factories.brand(app)
    owner = {k: (brand.id if v == 1 else v) for k, v in owner.items()}
    body = {"email": "a@b.cn", "name": "A", "password": "long-enough-1", **owner}
    response = admin.post("/api/v1/users", json=body)
    assert response.status_code == status, response.json
    if field is not None:
        assert list(response.json["error"]["fields"]) == [field]
    assert factories.count(app, User) == 0
    keys = admin.post("/api/v1/api-keys", json={"name": "x", **owner})
    assert keys.status_code == status, "a key for the same owner is refused alike"
