"""Matching jobs to dealers: eligibility, ranking with reasons, auto/manual assignment, declines."""

from datetime import UTC, datetime

import pytest

from tests import factories
from tests.factories import PEOPLES_SQUARE, Metro

NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
FAR_AWAY = (39.9042, 116.4074)  # Beijing


@pytest.fixture(autouse=True)
def _frozen(clock):
    clock.set(NOW)


def events(as_key, key, job_id):
    return as_key(key).get(f"/api/v1/jobs/{job_id}/events").json


def test_intake_assigns_the_covering_dealer_and_explains_why(app, client, as_key):
    metro = Metro(app)
    job = metro.job(client)
    assert (job["status"], job["dealer_id"], job["unassigned_reason"]) == (
        "assigned",
        metro.dealer.id,
        None,
    )
    assigned = events(as_key, metro.brand_key, job["id"])[-1]
    assert assigned["type"] == "assigned"
    assert assigned["actor_role"] == "system"
    [candidate] = assigned["payload"]["candidates"]
    assert candidate["dealer_id"] == metro.dealer.id
    assert candidate["capacity"] == 2 * 4 * 15  # 2 installers × 4 jobs × 15 working days
    assert candidate["distance_km"] == 0.0


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"lat": FAR_AWAY[0], "lon": FAR_AWAY[1]}, "No dealer's service area covers this address."),
        (
            {"category": "appliance"},
            "No active dealer authorized for this brand in category appliance",
        ),
        (
            {"required_skills": ["plumbing"]},
            "No dealer covering this address has an active installer with skills: plumbing.",
        ),
    ],
)
def test_no_eligible_dealer_leaves_the_job_created_with_the_reason(
    app, client, as_key, change, reason
):
    metro = Metro(app)
    factories.authorize(app, metro.brand, metro.dealer, ("door",))
    factories.known_skills(app, ("plumbing",))  # known to the network, not around here
    job = metro.job(client, **change)
    assert job["status"] == "created"
    assert job["unassigned_reason"].startswith(reason)
    again = as_key(metro.brand_key).get(f"/api/v1/jobs/{job['id']}").json
    assert again["unassigned_reason"].startswith(reason)
    assert events(as_key, metro.brand_key, job["id"])[-1]["type"] == "unassigned"


def test_inactive_dealers_and_installers_do_not_count(app, client, as_key, admin):
    metro = Metro(app, installers=1)
    admin.patch(f"/api/v1/installers/{metro.installers[0].id}", json={"active": False})
    assert metro.job(client)["status"] == "created"
    admin.patch(f"/api/v1/installers/{metro.installers[0].id}", json={"active": True})
    admin.patch(f"/api/v1/dealers/{metro.dealer.id}", json={"active": False})
    assert metro.job(client)["status"] == "created"


def test_ranking_prefers_near_installers_then_track_record(app, client, as_key):
    metro = Metro(app)
    near = metro.dealer
    far = factories.dealer(app, area=factories.square(km=40))
    factories.authorize(app, metro.brand, far)
    factories.installer(
        app,
        far,
        home_lat=PEOPLES_SQUARE[0] + 0.1,
        home_lon=PEOPLES_SQUARE[1],
        max_jobs_per_day=4,
        shifts=factories.ALL_WEEK,
    )
    job = metro.job(client)
    assert job["dealer_id"] == near.id
    ranked = as_key(metro.brand_key).get(f"/api/v1/jobs/{job['id']}/candidates").json["candidates"]
    assert [c["dealer_id"] for c in ranked] == [near.id, far.id]
    assert ranked[1]["distance_km"] == pytest.approx(11.1, abs=0.1)
    assert ranked[0]["score"] < ranked[1]["score"]


def test_manual_mode_assigns_on_request(app, client, as_key):
    metro = Metro(app, assignment_mode="manual")
    api = as_key(metro.brand_key)
    job = metro.job(client)
    assert (job["status"], job["unassigned_reason"]) == ("created", None)
    other = factories.dealer(app, area=factories.square(*FAR_AWAY))
    factories.authorize(app, metro.brand, other)
    refused = api.post(f"/api/v1/jobs/{job['id']}/assign", json={"dealer_id": other.id})
    assert (refused.status_code, refused.json["error"]["code"]) == (422, "dealer_not_eligible")
    assert api.get(f"/api/v1/jobs/{job['id']}").json["status"] == "created"
    done = api.post(f"/api/v1/jobs/{job['id']}/assign", json={"dealer_id": metro.dealer.id})
    assert (done.status_code, done.json["dealer_id"]) == (200, metro.dealer.id)
    assert events(as_key, metro.brand_key, job["id"])[-1]["payload"]["how"] == "manual"
    twice = api.post(f"/api/v1/jobs/{job['id']}/assign", json={})
    assert twice.status_code == 409


def test_decline_passes_to_the_next_dealer_then_waits(app, client, as_key):
    metro = Metro(app)
    second = factories.dealer(app, area=factories.square(km=30))
    factories.authorize(app, metro.brand, second)
    factories.installer(
        app,
        second,
        home_lat=PEOPLES_SQUARE[0] + 0.05,
        home_lon=PEOPLES_SQUARE[1],
        shifts=factories.ALL_WEEK,
    )
    second_key = factories.api_key(app, "dealer", dealer=second)
    job = metro.job(client)
    assert job["dealer_id"] == metro.dealer.id
    assert (
        as_key(metro.dealer_key)
        .post(f"/api/v1/jobs/{job['id']}/decline", json={"reason": "too busy"})
        .status_code
        == 204
    )
    moved = as_key(metro.brand_key).get(f"/api/v1/jobs/{job['id']}").json
    assert (moved["status"], moved["dealer_id"]) == ("assigned", second.id)
    assert as_key(metro.dealer_key).get(f"/api/v1/jobs/{job['id']}").status_code == 404
    assert (
        as_key(second_key)
        .post(f"/api/v1/jobs/{job['id']}/decline", json={"reason": "no van"})
        .status_code
        == 204
    )
    waiting = as_key(metro.brand_key).get(f"/api/v1/jobs/{job['id']}").json
    assert (waiting["status"], waiting["dealer_id"]) == ("created", None)
    assert waiting["unassigned_reason"] == "Every eligible dealer declined this job."
    types = [e["type"] for e in events(as_key, metro.brand_key, job["id"])]
    assert types == ["created", "assigned", "declined", "reassigned", "declined", "unassigned"]


def test_a_booked_job_cannot_be_declined(app, client, as_key):
    metro = Metro(app)
    job = metro.job(client)
    start = (
        as_key(metro.brand_key).get(f"/api/v1/jobs/{job['id']}/windows").json["windows"][0]["start"]
    )
    as_key(metro.brand_key).post(f"/api/v1/jobs/{job['id']}/booking", json={"window_start": start})
    refused = as_key(metro.dealer_key).post(
        f"/api/v1/jobs/{job['id']}/decline", json={"reason": "x"}
    )
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "not_declinable")


def test_a_changed_service_area_is_seen_at_once(app, client, admin):
    metro = Metro(app)
    moved = admin.put(
        f"/api/v1/dealers/{metro.dealer.id}/service-area", json=factories.square(*FAR_AWAY)
    )
    assert moved.status_code == 200
    assert metro.job(client)["status"] == "created"
    admin.put(f"/api/v1/dealers/{metro.dealer.id}/service-area", json=factories.square())
    assert metro.job(client)["status"] == "assigned"


def rival_dealer(app, metro, area=None):
    """A second dealer, authorized for the metro's brand, whose area covers the metro's
    (or is `area`)."""
    rival = factories.dealer(app, area=area or factories.square(km=30))
    factories.authorize(app, metro.brand, rival)
    factories.installer(app, rival, shifts=factories.ALL_WEEK)
    return rival


def test_dealers_do_not_read_rivals_figures_in_the_event_log(app, client, as_key):
    metro = Metro(app)
    rival_dealer(app, metro)
    job = metro.job(client)
    assert "candidates" in events(as_key, metro.brand_key, job["id"])[1]["payload"]
    dealer_view = as_key(metro.dealer_key).get(f"/api/v1/jobs/{job['id']}/events").json
    assert all("candidates" not in e["payload"] for e in dealer_view)


def test_a_declined_job_leaves_the_installer_of_the_dealer_that_declined(app, client, as_key):
    metro = Metro(app)
    second = rival_dealer(app, metro)
    job = metro.job(client)
    from app.db import transaction
    from app.extensions import db
    from app.jobs.models import Job

    with app.app_context(), transaction():
        db.session.get(Job, job["id"]).installer_id = metro.installers[0].id
    as_key(metro.dealer_key).post(f"/api/v1/jobs/{job['id']}/decline", json={"reason": "busy"})
    moved = as_key(metro.brand_key).get(f"/api/v1/jobs/{job['id']}").json
    assert (moved["dealer_id"], moved["installer_id"]) == (second.id, None)


def test_a_job_moved_out_of_its_dealer_s_area_is_handed_on_or_unassigned(app, client, as_key):
    metro = Metro(app)
    far = rival_dealer(app, metro, area=factories.square(*FAR_AWAY))
    api = as_key(metro.brand_key)
    job = metro.job(client)
    assert job["dealer_id"] == metro.dealer.id
    moved = api.patch(f"/api/v1/jobs/{job['id']}", json={"lat": FAR_AWAY[0], "lon": FAR_AWAY[1]})
    assert moved.status_code == 200, moved.json
    assert (moved.json["status"], moved.json["dealer_id"]) == ("assigned", far.id)
    handed = events(as_key, metro.brand_key, job["id"])[-1]
    assert (handed["type"], handed["payload"]["previous_dealer_id"]) == (
        "reassigned",
        metro.dealer.id,
    )
    # Nowhere anyone serves: back to created, with the reason for the brand.
    nowhere = api.patch(f"/api/v1/jobs/{job['id']}", json={"lat": 22.54, "lon": 114.06})
    assert (nowhere.json["status"], nowhere.json["dealer_id"]) == ("created", None)
    assert "No dealer's service area covers this address." in nowhere.json["unassigned_reason"]
    # Back in town: a brand on automatic gets it assigned again.
    home = api.patch(
        f"/api/v1/jobs/{job['id']}", json={"lat": metro.center[0], "lon": metro.center[1]}
    )
    assert (home.json["status"], home.json["dealer_id"]) == ("assigned", metro.dealer.id)


def test_a_manual_brand_s_job_moved_away_waits_for_a_new_choice(app, client, as_key):
    metro = Metro(app, assignment_mode="manual")
    api = as_key(metro.brand_key)
    job = metro.job(client)
    assert (
        api.post(
            f"/api/v1/jobs/{job['id']}/assign", json={"dealer_id": metro.dealer.id}
        ).status_code
        == 200
    )
    moved = api.patch(f"/api/v1/jobs/{job['id']}", json={"lat": FAR_AWAY[0], "lon": FAR_AWAY[1]})
    assert (moved.json["status"], moved.json["dealer_id"]) == ("created", None)
    assert moved.json["unassigned_reason"].startswith(
        f"Dealer {metro.dealer.id} does not serve the new address."
    )
    # Back in town it waits for the brand's choice; a move within the dealer's area keeps it.
    lat, lon = metro.center
    back = api.patch(f"/api/v1/jobs/{job['id']}", json={"lat": lat, "lon": lon})
    assert (back.json["status"], back.json["dealer_id"]) == ("created", None)
    assert (
        api.post(
            f"/api/v1/jobs/{job['id']}/assign", json={"dealer_id": metro.dealer.id}
        ).status_code
        == 200
    )
    near = api.patch(f"/api/v1/jobs/{job['id']}", json={"lat": lat + 0.01, "lon": lon})
    assert (near.json["status"], near.json["dealer_id"]) == ("assigned", metro.dealer.id)
