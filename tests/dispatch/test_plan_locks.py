"""Dispatcher locks, and jobs the plan cannot serve: reasons visible to dispatcher and brand."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests import factories
from tests.dispatch.checker import assert_feasible
from tests.dispatch.plans import (
    DAY,
    NOW,
    book_day,
    bookings_of,
    local,
    pending,
    plan_now,
    run_planner,
    stored_plan,
)
from tests.factories import Metro


@pytest.fixture
def metro(app, clock):
    clock.set(NOW)
    return Metro(app, installers=3, max_jobs=4)


def _route(view, installer_id):
    return next((r for r in view["routes"] if r["installer_id"] == installer_id), None)


def test_locks_to_an_installer_and_to_a_position_are_kept(app, client, as_key, metro):
    jobs = book_day(metro, client, as_key, 6)
    api = as_key(metro.dealer_key)
    first = plan_now(app, api, metro.dealer.id)
    target = metro.installers[2].id
    # Pinned first: a job of the earliest afternoon window; the other from a later window.
    elsewhere = sorted(
        (s["window_start"], s["job_id"])
        for r in first["routes"]
        if r["installer_id"] != target
        for s in r["stops"]
        if s["window_start"][11:16] in ("13:00", "15:00", "17:00")
    )
    pinned = elsewhere[0][1]
    job = next(j for start, j in elsewhere if start > elsewhere[0][0])
    put = api.put(f"/api/v1/jobs/{job}/plan-lock", json={"installer_id": target})
    assert put.status_code == 200, put.json
    assert (put.json["installer_id"], put.json["position"], put.json["date"]) == (
        target, None, str(DAY),
    )  # fmt: skip
    assert put.json["plan_request"]["status"] == "pending"
    first_place = api.put(
        f"/api/v1/jobs/{pinned}/plan-lock", json={"installer_id": target, "position": 1}
    )
    assert first_place.status_code == 200, first_place.json
    assert len(pending(app)) == 1, "both locks ask for one re-plan of the day"

    assert run_planner(app) == {"done": 1}
    view = api.get(f"/api/v1/dealers/{metro.dealer.id}/plans/{DAY}").json
    mine = _route(view, target)
    assert mine["stops"][0]["job_id"] == pinned and mine["stops"][0]["locked"]
    assert job in [s["job_id"] for s in mine["stops"]]
    assert bookings_of(app, [job, pinned])[pinned][:2] == (target, 0)
    assert_feasible(*stored_plan(app, metro.dealer.id))

    assert api.delete(f"/api/v1/jobs/{pinned}/plan-lock").status_code == 204
    assert api.delete(f"/api/v1/jobs/{pinned}/plan-lock").status_code == 404
    assert pending(app)[0][2] == [f"unlock job {pinned}"]
    assert sorted(jobs) == sorted(bookings_of(app, jobs))


def test_lock_rules(app, client, as_key, metro):
    jobs = book_day(metro, client, as_key, 3, window="13:00")
    api = as_key(metro.dealer_key)
    x = metro.installers[0].id
    assert api.put(f"/api/v1/jobs/{jobs[0]}/plan-lock", json={"installer_id": x, "position": 1})
    gap = api.put(f"/api/v1/jobs/{jobs[1]}/plan-lock", json={"installer_id": x, "position": 3})
    assert gap.status_code == 422
    assert "lock positions 2 first" in gap.json["error"]["message"]
    taken = api.put(f"/api/v1/jobs/{jobs[1]}/plan-lock", json={"installer_id": x, "position": 1})
    assert (taken.status_code, taken.json["error"]["code"]) == (409, "position_taken")
    assert taken.json["error"]["job_id"] == jobs[0]
    stranger = Metro(app, installers=1)
    foreign = api.put(
        f"/api/v1/jobs/{jobs[1]}/plan-lock", json={"installer_id": stranger.installers[0].id}
    )
    assert (foreign.status_code, foreign.json["error"]["fields"]) == (
        422, {"installer_id": ["not an installer of this dealer"]},
    )  # fmt: skip
    unskilled = factories.installer(
        app, metro.dealer, skills=["delivery"], shifts=factories.ALL_WEEK
    )
    lacking = api.put(f"/api/v1/jobs/{jobs[1]}/plan-lock", json={"installer_id": unskilled.id})
    assert (lacking.status_code, lacking.json["error"]["code"]) == (409, "installer_unsuitable")
    unbooked = metro.job(client)
    refused = api.put(f"/api/v1/jobs/{unbooked['id']}/plan-lock", json={"installer_id": x})
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "not_booked")
    for body in ({"installer_id": "1"}, {"installer_id": x, "position": 0}, {"x": 1}, {}):
        assert api.put(f"/api/v1/jobs/{jobs[1]}/plan-lock", json=body).status_code == 422, body


def test_a_dispatchers_move_becomes_a_lock(app, client, as_key, metro, clock):
    [job] = book_day(metro, client, as_key, 1, window="13:00")
    api = as_key(metro.dealer_key)
    plan_now(app, api, metro.dealer.id)
    owner = bookings_of(app, [job])[job][0]
    other = next(i.id for i in metro.installers if i.id != owner)
    moved = api.post(f"/api/v1/jobs/{job}/booking/move", json={"installer_id": other})
    assert moved.status_code == 200, moved.json
    clock.set(NOW + timedelta(minutes=1))
    assert run_planner(app) == {"done": 1}
    # Without the lock the planner could take it straight back; it stays where it was moved.
    assert bookings_of(app, [job])[job][0] == other


def test_jobs_that_cannot_be_served_are_reported_to_dispatcher_and_brand(
    app, client, as_key, metro
):
    jobs = book_day(metro, client, as_key, 3, window="13:00")
    api, brand = as_key(metro.dealer_key), as_key(metro.brand_key)
    plan_now(app, api, metro.dealer.id)
    # Everybody falls ill on DAY after the plan was made.
    for installer in metro.installers:
        whole_day = {
            "starts_at": local(DAY, "00:00").isoformat(),
            "ends_at": local(DAY, "23:59").isoformat(),
        }
        off = api.post(f"/api/v1/installers/{installer.id}/time-off", json=whole_day)
        assert off.status_code == 201, off.json
    view = plan_now(app, api, metro.dealer.id)
    assert view["routes"] == []
    assert {u["job_id"] for u in view["unassigned"]} == set(jobs)
    issue = view["unassigned"][0]
    assert issue["code"] == "no_vehicle_with_skills"
    assert issue["message"] == "no installer is working this day"
    assert view["totals"]["jobs_unassigned"] == 3

    seen = brand.get(f"/api/v1/jobs/{jobs[0]}").json
    assert seen["plan_issue"] == {
        "code": "no_vehicle_with_skills",
        "message": "no installer is working this day",
        "date": str(DAY),
    }
    assert (seen["status"], seen["installer_id"]) == ("scheduled", None)
    types = [e["type"] for e in brand.get(f"/api/v1/jobs/{jobs[0]}/events").json]
    assert types[-2:] == ["removed_from_plan", "plan_issue"]
    # Planning again with the same answer reports nothing new.
    plan_now(app, api, metro.dealer.id)
    again = [e["type"] for e in brand.get(f"/api/v1/jobs/{jobs[0]}/events").json]
    assert again.count("plan_issue") == 1

    # Two are back (one alone cannot start three jobs of an hour in one window): the jobs are
    # planned again and the issue is cleared.
    for installer in metro.installers[:2]:
        [off] = api.get(f"/api/v1/installers/{installer.id}").json["time_off"]
        gone = api.delete(f"/api/v1/installers/{installer.id}/time-off/{off['id']}")
        assert gone.status_code == 204
    view = plan_now(app, api, metro.dealer.id)
    assert view["unassigned"] == []
    seen = brand.get(f"/api/v1/jobs/{jobs[0]}").json
    assert (seen["plan_issue"], seen["status"]) == (None, "dispatched")
    final = [e["type"] for e in brand.get(f"/api/v1/jobs/{jobs[0]}/events").json]
    assert final[-2:] == ["plan_issue_resolved", "dispatched"]


def test_a_cancelled_job_loses_its_issue(app, client, as_key, metro):
    [job] = book_day(metro, client, as_key, 1, window="13:00")
    api, brand = as_key(metro.dealer_key), as_key(metro.brand_key)
    locked = api.put(f"/api/v1/jobs/{job}/plan-lock", json={"installer_id": metro.installers[1].id})
    assert locked.status_code == 200
    api.patch(f"/api/v1/installers/{metro.installers[1].id}", json={"active": False})
    run_planner(app)
    issue = brand.get(f"/api/v1/jobs/{job}").json["plan_issue"]
    off = metro.installers[1]
    assert issue == {
        "code": "locked_vehicle_unavailable",
        "message": f"locked to {off.name} (installer {off.id}), who is not working this day",
        "date": str(DAY),
    }
    assert brand.post(f"/api/v1/jobs/{job}/cancel", json={"reason": "x"}).status_code == 200
    plan_now(app, api, metro.dealer.id)
    assert brand.get(f"/api/v1/jobs/{job}").json["plan_issue"] is None
