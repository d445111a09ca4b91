"""An installer marks an order's goods received by its code (scanned or typed) on the phone."""

from __future__ import annotations

import pytest

from tests import factories
from tests.factories import Metro
from tests.jobs.test_orders import NOW, order_payload


@pytest.fixture
def world(app, clock, as_key):
    clock.set(NOW)
    metro = Metro(app)
    order = as_key(metro.brand_key).post("/api/v1/orders", json=order_payload()).json
    phone = as_key(factories.device_token(app, metro.installers[0]))
    return metro, order, phone


def test_scanning_the_code_marks_goods_received_once(world, as_key):
    metro, order, phone = world
    done = phone.post("/api/field/goods-received", json={"code": f" {order['external_id']} "})
    assert done.status_code == 200, done.json
    assert (done.json["order_id"], done.json["already"], done.json["visits"]) == (
        order["id"],
        False,
        2,
    )
    assert done.json["consumer_name"] == "王芳"
    brand = as_key(metro.brand_key)
    assert brand.get(f"/api/v1/orders/{order['id']}").json["goods"]["status"] == "received"
    again = phone.post("/api/field/goods-received", json={"code": f"#{order['id']}"})
    assert (again.status_code, again.json["already"]) == (200, True)
    assert again.json["received_at"] == done.json["received_at"]
    events = brand.get(f"/api/v1/jobs/{order['visits'][0]['id']}/events").json
    received = [e for e in events if e["type"] == "goods_received"]
    assert len(received) == 1 and received[0]["actor_role"] == "installer"


def test_unknown_codes_other_dealers_and_bad_input_change_nothing(world, app, as_key):
    metro, order, phone = world
    for code in ("NOPE-1", f"#{order['id'] + 999}", "#abc"):
        missing = phone.post("/api/field/goods-received", json={"code": code})
        assert missing.status_code == 404, code
        assert missing.json["error"]["code"] == "order_not_found"
        assert "OAK-1001" in missing.json["error"]["message"]
    for body in ({}, {"code": ""}, {"code": 5}, {"code": "x" * 101}):
        bad = phone.post("/api/field/goods-received", json=body)
        assert bad.status_code == 422, body
    other = Metro(app)
    stranger = as_key(factories.device_token(app, other.installers[0]))
    refused = stranger.post("/api/field/goods-received", json={"code": order["external_id"]})
    assert refused.status_code == 404
    # Staff keys are not phones.
    assert (
        as_key(metro.dealer_key)
        .post("/api/field/goods-received", json={"code": order["external_id"]})
        .status_code
        == 403
    )
    goods = as_key(metro.brand_key).get(f"/api/v1/orders/{order['id']}").json["goods"]
    assert goods["status"] == "unknown"


def test_the_same_number_at_two_brands_asks_for_the_platform_number(world, app, as_key):
    metro, order, phone = world
    from app.db import transaction
    from app.network import service as network

    with app.app_context(), transaction():
        second = network.create_brand(name="Second", code="second-brand", assignment_mode="auto")
    factories.authorize(app, second, metro.dealer)
    key = factories.api_key(app, "brand", brand=second)
    twin = as_key(key).post("/api/v1/orders", json=order_payload(external_id=order["external_id"]))
    assert twin.status_code == 201, twin.json
    ambiguous = phone.post("/api/field/goods-received", json={"code": order["external_id"]})
    assert ambiguous.status_code == 409
    assert ambiguous.json["error"]["code"] == "order_ambiguous"
    assert sorted(ambiguous.json["error"]["order_ids"]) == sorted([order["id"], twin.json["id"]])
