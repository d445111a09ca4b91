"""Orders with visits through the API: delivery then install, goods that must arrive first,
dependencies kept when the delivery moves, after-sales visits, the brand's goods list."""

from datetime import UTC, date, datetime, timedelta

import pytest

from tests import factories
from tests.factories import Metro

NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # Tuesday 08:00 in Shanghai


@pytest.fixture
def metro(app, clock):
    clock.set(NOW)
    return Metro(app, installers=2, max_jobs=6)


def order_payload(**overrides):
    body = factories.job_payload()
    for key in ("kind", "required_skills", "duration_minutes"):
        body.pop(key)
    body["visits"] = [
        {"kind": "delivery", "required_skills": ["delivery"], "duration_minutes": 30},
        {
            "kind": "install",
            "required_skills": ["door_install"],
            "duration_minutes": 90,
            "after": 1,
            "min_gap_hours": 24,
        },
    ]
    body.update(overrides)
    return body


def push(metro, as_key, **overrides):
    response = as_key(metro.brand_key).post("/api/v1/orders", json=order_payload(**overrides))
    assert response.status_code == 201, response.json
    return response.json


def windows(api, job_id, **params):
    response = api.get(f"/api/v1/jobs/{job_id}/windows", query_string={"days": 14, **params})
    return response


def book(api, job_id, start):
    return api.post(f"/api/v1/jobs/{job_id}/booking", json={"window_start": start})


def test_an_order_of_delivery_and_install_waits_for_its_goods(metro, as_key):
    api = as_key(metro.brand_key)
    order = push(metro, as_key)
    delivery, install = order["visits"]
    assert order["status"] == "waiting_for_goods"
    assert order["goods"] == {
        "status": "unknown",
        "expected_on": None,
        "received_at": None,
        "waiting_since": order["created_at"],
    }
    assert (delivery["sequence"], delivery["needs_goods"], delivery["kind"]) == (
        1,
        True,
        "delivery",
    )
    assert (install["after_job_id"], install["min_gap_hours"]) == (delivery["id"], 24)
    assert install["needs_goods"] is False
    assert install["external_id"] == f"{order['external_id']}/2"
    assert {v["order_id"] for v in order["visits"]} == {order["id"]}
    assert delivery["dealer_id"] == install["dealer_id"] == metro.dealer.id

    # Goods not announced: no window can be offered or booked, and the answer says why.
    refused = windows(api, delivery["id"])
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "goods_not_ready"
    assert "goods_expected_on" in refused.json["error"]["message"]
    # The install waits for the delivery to be booked.
    assert windows(api, install["id"]).json["error"]["code"] == "dependency_not_booked"

    # The brand announces the goods for Thursday: windows from Friday on.
    thursday = date(2026, 12, 3)
    changed = api.patch(
        f"/api/v1/orders/{order['id']}/goods", json={"goods_expected_on": "2026-12-03"}
    )
    assert changed.status_code == 200, changed.json
    assert changed.json["goods"]["status"] == "expected"
    offered = windows(api, delivery["id"]).json["windows"]
    assert offered and min(w["date"] for w in offered) == str(thursday + timedelta(days=1))
    early = book(api, delivery["id"], "2026-12-02T08:00:00+08:00")
    assert early.status_code == 409 and early.json["error"]["code"] == "window_unavailable"
    assert "2026-12-03" in early.json["error"]["message"]

    # The dealer receives them: windows from now on (lead time permitting).
    received = as_key(metro.dealer_key).post(f"/api/v1/orders/{order['id']}/goods-received")
    assert received.status_code == 200, received.json
    assert received.json["goods"]["status"] == "received"
    assert received.json["status"] == "open"
    assert min(w["date"] for w in windows(api, delivery["id"]).json["windows"]) == "2026-12-02"
    again = as_key(metro.dealer_key).post(f"/api/v1/orders/{order['id']}/goods-received")
    assert again.json["goods"]["received_at"] == received.json["goods"]["received_at"]
    events = [e["type"] for e in api.get(f"/api/v1/jobs/{delivery['id']}/events").json]
    assert events.count("goods_expected") == 1 and events.count("goods_received") == 1


def test_install_keeps_its_gap_after_the_delivery_and_is_released_when_it_moves(metro, as_key):
    api = as_key(metro.brand_key)
    order = push(metro, as_key)
    delivery, install = order["visits"]
    as_key(metro.dealer_key).post(f"/api/v1/orders/{order['id']}/goods-received")
    # Thursday, outside the 24 h change cutoff, so it can still be moved.
    first = windows(api, delivery["id"]).json["windows"][5]
    assert book(api, delivery["id"], first["start"]).status_code == 201

    offered = windows(api, install["id"]).json["windows"]
    delivered_by = datetime.fromisoformat(first["end"])
    assert offered
    assert all(
        datetime.fromisoformat(w["start"]) >= delivered_by + timedelta(hours=24) for w in offered
    )
    too_soon = book(api, install["id"], first["end"])
    assert too_soon.status_code == 409
    assert "24 h after visit" in too_soon.json["error"]["message"]
    booked = book(api, install["id"], offered[0]["start"])
    assert booked.status_code == 201, booked.json

    # Moving the delivery a week later breaks the install's gap: its booking is released.
    later = [w for w in windows(api, delivery["id"]).json["windows"] if w["date"] >= "2026-12-09"]
    moved = book(api, delivery["id"], later[0]["start"])
    assert moved.status_code == 200, moved.json
    after = api.get(f"/api/v1/jobs/{install['id']}").json
    assert (after["status"], after["booking"]) == ("assigned", None)
    events = api.get(f"/api/v1/jobs/{install['id']}/events").json
    assert events[-1]["type"] == "dependency_broken"
    assert events[-1]["payload"]["after_job_id"] == delivery["id"]
    # Moving it back a day, which still keeps the gap, keeps the install.
    rebooked = windows(api, install["id"]).json["windows"][0]
    assert rebooked["date"] >= "2026-12-10"
    assert book(api, install["id"], rebooked["start"]).status_code == 201
    day_before = [
        w for w in windows(api, delivery["id"]).json["windows"] if w["date"] == "2026-12-08"
    ]
    assert book(api, delivery["id"], day_before[0]["start"]).status_code == 200
    kept = api.get(f"/api/v1/jobs/{install['id']}").json
    assert kept["status"] == "scheduled"
    assert datetime.fromisoformat(kept["booking"]["window_start"]) == datetime.fromisoformat(
        rebooked["start"]
    )


def test_cancelling_the_delivery_booking_releases_the_install(metro, as_key):
    api = as_key(metro.brand_key)
    order = push(metro, as_key)
    delivery, install = order["visits"]
    as_key(metro.dealer_key).post(f"/api/v1/orders/{order['id']}/goods-received")
    first = windows(api, delivery["id"]).json["windows"][10]
    assert book(api, delivery["id"], first["start"]).status_code == 201
    assert (
        book(
            api, install["id"], windows(api, install["id"]).json["windows"][0]["start"]
        ).status_code
        == 201
    )
    assert api.delete(f"/api/v1/jobs/{delivery['id']}/booking").status_code == 204
    assert api.get(f"/api/v1/jobs/{install['id']}").json["status"] == "assigned"


def test_haul_away_goes_with_the_install_same_crew_same_day(metro, as_key):
    api = as_key(metro.brand_key)
    visits = [
        {"kind": "install", "required_skills": ["door_install"], "duration_minutes": 60},
        {
            "kind": "haul_away",
            "required_skills": ["door_install"],
            "duration_minutes": 30,
            "after": 1,
            "same_crew_same_day": True,
        },
    ]
    order = push(metro, as_key, visits=visits)
    install, haul = order["visits"]
    assert order["status"] == "open"  # no visit needs goods
    start = windows(api, install["id"]).json["windows"][0]
    booked = book(api, install["id"], start["start"]).json
    offered = windows(api, haul["id"]).json["windows"]
    assert offered and {w["date"] for w in offered} == {start["date"]}
    assert all(w["start"] >= start["end"] for w in offered)
    taken = book(api, haul["id"], offered[0]["start"])
    assert taken.status_code == 201, taken.json
    assert taken.json["installer_id"] == booked["installer_id"]
    other = next(i.id for i in metro.installers if i.id != booked["installer_id"])
    refused = as_key(metro.dealer_key).post(
        f"/api/v1/jobs/{haul['id']}/booking/move", json={"installer_id": other}
    )
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "dependency_same_crew"


def test_after_sales_visit_joins_a_completed_order(metro, as_key, app, client):
    api = as_key(metro.brand_key)
    job = metro.job(client)  # POST /jobs makes an order with this one visit
    order = api.get(f"/api/v1/orders/{job['order_id']}").json
    assert [v["id"] for v in order["visits"]] == [job["id"]]
    assert order["external_id"] == job["external_id"]
    with app.app_context():
        from app.db import transaction
        from app.extensions import db
        from app.jobs.models import Job

        with transaction():
            db.session.get(Job, job["id"]).status = "completed"
    assert api.get(f"/api/v1/orders/{order['id']}").json["status"] == "completed"
    repair = {"kind": "repair", "required_skills": ["door_install"], "duration_minutes": 45}
    added = api.post(f"/api/v1/orders/{order['id']}/visits", json={"visits": [repair]})
    assert added.status_code == 201, added.json
    assert added.json["status"] == "open"
    visit = added.json["visits"][-1]
    assert (visit["sequence"], visit["kind"], visit["external_id"]) == (
        2,
        "repair",
        f"{job['external_id']}/2",
    )
    assert visit["consumer"] == job["consumer"] and visit["address"] == job["address"]
    types = [e["type"] for e in api.get(f"/api/v1/jobs/{visit['id']}/events").json]
    assert types[:1] == ["created"] and "after_sales" in types


def test_brand_lists_orders_waiting_for_goods_longest_first(metro, as_key, clock):
    api = as_key(metro.brand_key)
    first = push(metro, as_key)
    clock.set(NOW + timedelta(hours=1))
    second = push(metro, as_key)
    push(
        metro,
        as_key,
        visits=[{"kind": "install", "required_skills": ["door_install"], "duration_minutes": 60}],
    )
    waiting = api.get("/api/v1/orders", query_string={"waiting": "goods"}).json
    assert [o["id"] for o in waiting["items"]] == [first["id"], second["id"]]
    assert waiting["total"] == 2
    as_key(metro.dealer_key).post(f"/api/v1/orders/{first['id']}/goods-received")
    waiting = api.get("/api/v1/orders", query_string={"waiting": "goods"}).json
    assert [o["id"] for o in waiting["items"]] == [second["id"]]
    assert api.get("/api/v1/orders").json["total"] == 3


@pytest.mark.parametrize(
    ("visits", "field"),
    [
        (
            [{"kind": "install", "duration_minutes": 60, "after": 1, "min_gap_hours": 2}],
            "visits.0.after",
        ),
        (
            [
                {"kind": "delivery", "duration_minutes": 30},
                {"kind": "install", "duration_minutes": 60, "after": 1},
            ],
            "visits.1._schema",
        ),
        (
            [
                {"kind": "delivery", "duration_minutes": 30},
                {"kind": "install", "duration_minutes": 60, "min_gap_hours": 3},
            ],
            "visits.1.after",
        ),
        (
            [
                {"kind": "delivery", "duration_minutes": 30},
                {
                    "kind": "install",
                    "duration_minutes": 60,
                    "after": 1,
                    "min_gap_hours": 3,
                    "same_crew_same_day": True,
                },
            ],
            "visits.1._schema",
        ),
    ],
)
def test_bad_dependencies_are_422_and_change_nothing(metro, as_key, visits, field):
    api = as_key(metro.brand_key)
    response = api.post("/api/v1/orders", json=order_payload(visits=visits))
    assert response.status_code == 422, response.json
    place = response.json["error"]["fields"]
    for part in field.split("."):
        place = place[part]  # e.g. {"visits": {"1": {"after": [...]}}}
    assert place
    assert "after" in response.json["error"]["message"]
    assert api.get("/api/v1/orders").json["total"] == 0
    assert api.get("/api/v1/jobs").json["total"] == 0


def test_bad_order_input_is_422_with_the_expected_form(metro, as_key):
    api = as_key(metro.brand_key)
    for body, field in [
        (order_payload(visits=[]), "visits"),
        (order_payload(visits=[{"kind": "teleport", "duration_minutes": 5}]), "visits"),
        (order_payload(goods_expected_on="next week"), "goods_expected_on"),
    ]:
        response = api.post("/api/v1/orders", json=body)
        assert response.status_code == 422, response.json
        assert field in str(response.json["error"]["fields"])
    bad = api.patch("/api/v1/orders/1/goods", json={"goods_expected_on": "03/12/2026"})
    assert bad.status_code in (404, 422)
    assert api.get("/api/v1/orders").json["total"] == 0


def test_an_order_id_is_used_once_and_tenants_see_only_their_orders(metro, as_key, app):
    api = as_key(metro.brand_key)
    order = push(metro, as_key)
    again = api.post("/api/v1/orders", json=order_payload(external_id=order["external_id"]))
    assert again.status_code == 409
    assert (again.json["error"]["code"], again.json["error"]["order_id"]) == (
        "duplicate_external_id",
        order["id"],
    )
    other = Metro(app)
    assert as_key(other.brand_key).get(f"/api/v1/orders/{order['id']}").status_code == 404
    assert as_key(other.dealer_key).get(f"/api/v1/orders/{order['id']}").status_code == 404
    assert (
        as_key(other.dealer_key).post(f"/api/v1/orders/{order['id']}/goods-received").status_code
        == 404
    )
    assert as_key(metro.dealer_key).get(f"/api/v1/orders/{order['id']}").status_code == 200
    # Only the brand adds visits and announces goods; a dealer cannot.
    assert (
        as_key(metro.dealer_key)
        .patch(f"/api/v1/orders/{order['id']}/goods", json={"goods_expected_on": "2026-12-05"})
        .status_code
        == 403
    )


def test_order_intake_is_idempotent(metro, as_key):
    api = as_key(metro.brand_key)
    body = order_payload()
    headers = {"Idempotency-Key": "order-key-1"}
    first = api.post("/api/v1/orders", json=body, headers=headers)
    second = api.post("/api/v1/orders", json=body, headers=headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.json["id"] == second.json["id"]
    assert api.get("/api/v1/jobs").json["total"] == 2


def test_the_order_sla_comes_from_its_visits(metro, as_key, app, admin):
    from tests.sla.conftest import POLICY

    api = as_key(metro.brand_key)
    assert (
        admin.post(f"/api/v1/brands/{metro.brand.id}/sla-policies", json=POLICY).status_code == 201
    )
    order = push(metro, as_key)
    delivery, install = order["visits"]
    as_key(metro.dealer_key).post(f"/api/v1/orders/{order['id']}/goods-received")
    assert (
        book(
            api, delivery["id"], windows(api, delivery["id"]).json["windows"][5]["start"]
        ).status_code
        == 201
    )
    found = api.get(f"/api/v1/orders/{order['id']}/sla")
    assert found.status_code == 200, found.json
    by_sla = {c["sla"]: c for c in found.json["clocks"]}
    # Scheduled when the first visit (the delivery) is; completed when the last (the install) is.
    assert by_sla["schedule"]["job_id"] == delivery["id"]
    assert by_sla["schedule"]["state"] == "met"
    assert by_sla["complete"]["job_id"] == install["id"]
    assert by_sla["complete"]["state"] in ("ok", "at_risk", "breached")
    assert [v["job_id"] for v in found.json["visits"]] == [delivery["id"], install["id"]]
    install_clocks = {c["sla"]: c["state"] for c in found.json["visits"][1]["clocks"]}
    assert install_clocks["schedule"] != "met"  # the install itself is not booked yet
    other = Metro(app)
    assert as_key(other.brand_key).get(f"/api/v1/orders/{order['id']}/sla").status_code == 404


def test_a_brand_assigning_by_hand_assigns_the_whole_order(app, as_key, clock):
    clock.set(NOW)
    metro = Metro(app, assignment_mode="manual")
    api = as_key(metro.brand_key)
    order = push(metro, as_key)
    assert {v["status"] for v in order["visits"]} == {"created"}
    delivery, install = order["visits"]
    assigned = api.post(
        f"/api/v1/jobs/{delivery['id']}/assign", json={"dealer_id": metro.dealer.id}
    )
    assert assigned.status_code == 200, assigned.json
    follower = api.get(f"/api/v1/jobs/{install['id']}").json
    assert (follower["status"], follower["dealer_id"]) == ("assigned", metro.dealer.id)
    how = [
        e["payload"].get("how")
        for e in api.get(f"/api/v1/jobs/{install['id']}/events").json
        if e["type"] == "assigned"
    ]
    assert how == ["order"]
