"""Re-planning when a job of a planned day is booked, cancelled or fails; started jobs stay put."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.dispatch.checker import assert_feasible
from tests.dispatch.plans import (
    DAY,
    NOW,
    advance,
    book_day,
    bookings_of,
    local,
    pending,
    plan_now,
    run_planner,
    stored_plan,
)
from tests.factories import Metro


def _plan(api, dealer_id, day=DAY):
    response = api.get(f"/api/v1/dealers/{dealer_id}/plans/{day}")
    assert response.status_code == 200, response.json
    return response.json


def _jobs(view):
    return {s["job_id"] for r in view["routes"] for s in r["stops"]}


def test_booking_and_cancelling_on_a_planned_day_make_new_versions_of_that_day_only(
    app, client, as_key, clock
):
    clock.set(NOW)
    metro, other = Metro(app, installers=2, max_jobs=5), Metro(app, installers=1)
    api, other_api = as_key(metro.dealer_key), as_key(other.dealer_key)
    first = book_day(metro, client, as_key, 4)
    book_day(other, client, as_key, 2)
    plan_now(app, api, metro.dealer.id)
    plan_now(app, other_api, other.dealer.id)
    # Two days after DAY: not planned, not today or tomorrow, so booking there changes nothing.
    later = DAY + timedelta(days=2)
    book_day(metro, client, as_key, 1, day=later, seed=9)
    assert pending(app) == []

    added = book_day(metro, client, as_key, 2, seed=5)  # two bookings: one request
    [(dealer_id, day, reasons)] = pending(app)
    assert (dealer_id, day) == (metro.dealer.id, DAY)
    assert reasons == [f"scheduled job {added[0]}", f"scheduled job {added[1]}"]
    assert _plan(api, metro.dealer.id)["status"] == "pending"
    assert run_planner(app) == {}, "debounced: not due yet"
    clock.set(NOW + timedelta(seconds=30))
    assert run_planner(app) == {"done": 1}
    second = _plan(api, metro.dealer.id)
    assert (second["version"], second["status"]) == (2, "ready")
    assert _jobs(second) == set(first + added)
    assert_feasible(*stored_plan(app, metro.dealer.id))

    brand = as_key(metro.brand_key)
    assert brand.post(f"/api/v1/jobs/{first[0]}/cancel", json={"reason": "no"}).status_code == 200
    clock.set(NOW + timedelta(minutes=2))
    assert run_planner(app) == {"done": 1}
    third = _plan(api, metro.dealer.id)
    assert third["version"] == 3
    assert _jobs(third) == set(first[1:] + added)
    # The other dealer's day and the later day were never re-planned.
    assert _plan(other_api, other.dealer.id)["versions"] == [1]
    assert api.get(f"/api/v1/dealers/{metro.dealer.id}/plans/{later}").status_code == 404


def test_tomorrow_is_planned_on_change_even_before_any_plan(app, client, as_key, clock):
    clock.set(NOW)
    metro = Metro(app, installers=1)
    tomorrow = NOW.date() + timedelta(days=1)
    [job] = book_day(metro, client, as_key, 1, day=tomorrow)
    assert pending(app) == [(metro.dealer.id, tomorrow, [f"scheduled job {job}"])]
    clock.set(NOW + timedelta(seconds=30))
    assert run_planner(app) == {"done": 1}
    assert bookings_of(app, [job])[job][3] == "dispatched"


def test_a_failed_visit_re_plans_today_and_started_jobs_stay_first(app, client, as_key, clock):
    clock.set(NOW)
    metro = Metro(app, installers=2, max_jobs=5)
    api = as_key(metro.dealer_key)
    [early] = book_day(metro, client, as_key, 1, window="08:00", seed=2)
    [failing] = book_day(metro, client, as_key, 1, window="10:00", seed=3)
    afternoon = book_day(metro, client, as_key, 4, window="13:00", seed=4)
    plan_now(app, api, metro.dealer.id)
    owner = bookings_of(app, [early])[early][0]

    clock.set(local(DAY, "08:05"))
    advance(app, early, "en_route")
    clock.set(local(DAY, "08:20"))
    advance(app, early, "on_site")
    clock.set(local(DAY, "08:25"))
    advance(app, early, "in_progress")
    clock.set(local(DAY, "09:20"))
    advance(app, early, "completed")
    clock.set(local(DAY, "10:10"))
    advance(app, failing, "en_route", "on_site")
    clock.set(local(DAY, "10:30"))
    advance(app, failing, "failed", reason="customer_absent")
    advance(app, failing, "returned_to_dispatch", reason="customer_absent")
    [(_, day, reasons)] = pending(app)
    assert day == DAY
    assert reasons == [f"failed job {failing}", f"returned_to_dispatch job {failing}"]

    clock.set(local(DAY, "10:31"))
    assert run_planner(app) == {"done": 1}
    view = _plan(api, metro.dealer.id)
    assert _jobs(view) == {early, *afternoon}
    mine = next(r for r in view["routes"] if r["installer_id"] == owner)
    head = mine["stops"][0]
    assert (head["job_id"], head["fixed"], head["status"], head["sequence"]) == (
        early, True, "completed", 0,
    )  # fmt: skip
    assert head["departure"] == local(DAY, "09:20").astimezone(head_zone(head)).isoformat()
    for stop in mine["stops"][1:]:
        assert not stop["fixed"]
        assert datetime.fromisoformat(stop["arrival"]) >= local(DAY, "10:31")
    written = bookings_of(app, [early, *afternoon])
    assert written[early][:2] == (owner, 0)
    assert all(written[j][3] == "dispatched" for j in afternoon)


def head_zone(stop):
    return datetime.fromisoformat(stop["departure"]).tzinfo


def test_a_job_under_way_keeps_its_installer_and_the_day_starts_after_it(
    app, client, as_key, clock
):
    clock.set(NOW)
    metro = Metro(app, installers=2, max_jobs=5)
    api = as_key(metro.dealer_key)
    [busy] = book_day(metro, client, as_key, 1, window="10:00", duration_minutes=90, seed=6)
    later = book_day(metro, client, as_key, 4, window="13:00", seed=7)
    plan_now(app, api, metro.dealer.id)
    owner = bookings_of(app, [busy])[busy][0]
    clock.set(local(DAY, "10:00"))
    advance(app, busy, "en_route")
    clock.set(local(DAY, "10:20"))
    advance(app, busy, "on_site", "in_progress")
    # The lock tries to move it: a started job is not the dispatcher's to move any more.
    other = next(i.id for i in metro.installers if i.id != owner)
    refused = api.put(f"/api/v1/jobs/{busy}/plan-lock", json={"installer_id": other})
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "not_lockable"

    clock.set(local(DAY, "10:30"))
    view = plan_now(app, api, metro.dealer.id)
    mine = next(r for r in view["routes"] if r["installer_id"] == owner)
    assert [mine["stops"][0][k] for k in ("job_id", "fixed", "status")] == [
        busy, True, "in_progress",
    ]  # fmt: skip
    ends = datetime.fromisoformat(mine["stops"][0]["departure"])
    assert ends == local(DAY, "11:50")  # started 10:20, 90 minutes
    assert all(datetime.fromisoformat(s["arrival"]) >= ends for s in mine["stops"][1:])
    assert bookings_of(app, [busy])[busy][:2] == (owner, 0)
    assert _jobs(view) == {busy, *later}


def test_a_locked_job_that_has_started_does_not_stall_the_next_plan(app, client, as_key, clock):
    clock.set(NOW)
    metro = Metro(app, installers=2, max_jobs=5)
    api = as_key(metro.dealer_key)
    [busy] = book_day(metro, client, as_key, 1, window="10:00", seed=6)
    book_day(metro, client, as_key, 2, window="13:00", seed=7)
    plan_now(app, api, metro.dealer.id)
    owner = bookings_of(app, [busy])[busy][0]
    locked = api.put(f"/api/v1/jobs/{busy}/plan-lock", json={"installer_id": owner})
    assert locked.status_code == 200, locked.json
    clock.set(local(DAY, "10:00"))
    advance(app, busy, "en_route")
    # The lock stays on the started job; the day read when writing must match the one solved.
    view = plan_now(app, api, metro.dealer.id)
    assert view["status"] == "ready"
