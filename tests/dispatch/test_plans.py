"""Day plans made through the app: hard constraints, bookings and jobs updated, versions, seeds."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.dispatch.models import PlanRequest
from app.extensions import db
from tests.dispatch.checker import assert_feasible
from tests.dispatch.plans import DAY, NOW, book_day, bookings_of, plan_now, stored_plan
from tests.factories import Metro


@pytest.fixture
def metro(app, clock):
    clock.set(NOW)
    return Metro(app, installers=3, max_jobs=4)


def test_plan_keeps_every_rule_and_is_what_bookings_and_jobs_say(app, client, as_key, metro):
    jobs = book_day(metro, client, as_key, 9)
    api = as_key(metro.dealer_key)
    shown = plan_now(app, api, metro.dealer.id)

    assert (shown["status"], shown["version"], shown["versions"]) == ("ready", 1, [1])
    assert shown["unassigned"] == []
    assert sum(len(r["stops"]) for r in shown["routes"]) == 9
    problem, plan = stored_plan(app, metro.dealer.id)
    assert_feasible(problem, plan)
    assert len(plan.unassigned) == 0

    written = bookings_of(app, jobs)
    for route in shown["routes"]:
        assert route["stops"], "a route is only written for an installer with jobs"
        for n, stop in enumerate(route["stops"]):
            booking_installer, sequence, eta, status, job_installer = written[stop["job_id"]]
            assert (booking_installer, job_installer) == (route["installer_id"],) * 2
            assert sequence == n == stop["sequence"]
            assert eta == datetime.fromisoformat(stop["service_start"])
            assert status == "dispatched"
            assert stop["window_start"] <= stop["service_start"] <= stop["window_end"]
            assert stop["service_start"].endswith("+08:00")
        assert route["leaves_at"] <= route["stops"][0]["arrival"]
        assert route["returns_at"] >= route["stops"][-1]["departure"]
    brand = as_key(metro.brand_key)
    events = brand.get(f"/api/v1/jobs/{jobs[0]}/events").json
    dispatched = [e for e in events if e["type"] == "dispatched"]
    assert len(dispatched) == 1
    assert dispatched[0]["actor_id"] == "planner"
    assert dispatched[0]["payload"]["plan_version"] == 1
    assert dispatched[0]["payload"]["eta"]


def test_same_day_and_seed_give_the_same_plan(app, client, as_key, metro):
    # Two dealers with the same installers and the same bookings, planned separately.
    twin = Metro(app, installers=3, max_jobs=4)
    plans = []
    for dealer in (metro, twin):
        jobs = book_day(dealer, client, as_key, 8, seed=3)
        shown = plan_now(app, as_key(dealer.dealer_key), dealer.dealer.id)
        people = [i.id for i in dealer.installers]
        plans.append(
            [
                (
                    people.index(r["installer_id"]),
                    [(jobs.index(s["job_id"]), s["service_start"]) for s in r["stops"]],
                )
                for r in shown["routes"]
            ]
        )
        assert shown["solver"]["seed"] == 0
    assert plans[0] == plans[1]


def test_old_versions_are_kept(app, client, as_key, metro):
    book_day(metro, client, as_key, 8, seed=3)
    api = as_key(metro.dealer_key)
    first = plan_now(app, api, metro.dealer.id)
    second = plan_now(app, api, metro.dealer.id)
    assert second["version"] == 2 and second["versions"] == [1, 2]
    old = api.get(f"/api/v1/dealers/{metro.dealer.id}/plans/{DAY}", query_string={"version": 1})
    assert old.status_code == 200
    assert (old.json["version"], old.json["latest_version"]) == (1, 2)
    assert old.json["routes"] == first["routes"]
    assert old.json["created_at"] == first["created_at"]
    missing = api.get(f"/api/v1/dealers/{metro.dealer.id}/plans/{DAY}?version=3")
    assert missing.status_code == 404


def test_a_job_moved_to_another_installer_records_replanned(app, client, as_key, clock):
    clock.set(NOW)
    metro = Metro(app, installers=2, max_jobs=4)
    jobs = book_day(metro, client, as_key, 4)
    api = as_key(metro.dealer_key)
    shown = plan_now(app, api, metro.dealer.id)
    job = shown["routes"][0]["stops"][0]["job_id"]
    other = next(i.id for i in metro.installers if i.id != shown["routes"][0]["installer_id"])
    locked = api.put(f"/api/v1/jobs/{job}/plan-lock", json={"installer_id": other})
    assert locked.status_code == 200, locked.json

    from tests.dispatch.plans import run_planner

    assert run_planner(app).get("done") == 1
    assert bookings_of(app, jobs)[job][0] == other
    events = as_key(metro.brand_key).get(f"/api/v1/jobs/{job}/events").json
    replanned = [e for e in events if e["type"] == "replanned"]
    assert len(replanned) == 1
    assert replanned[0]["payload"]["installer_id"] == other
    assert replanned[0]["payload"]["previous_installer_id"] == shown["routes"][0]["installer_id"]
    assert replanned[0]["payload"]["plan_version"] == 2


def test_an_empty_day_plans_to_an_empty_version(app, as_key, metro):
    shown = plan_now(app, as_key(metro.dealer_key), metro.dealer.id)
    assert (shown["version"], shown["routes"], shown["unassigned"]) == (1, [], [])
    assert shown["totals"]["jobs_planned"] == 0


def test_request_rows_record_the_outcome(app, client, as_key, metro):
    book_day(metro, client, as_key, 2)
    plan_now(app, as_key(metro.dealer_key), metro.dealer.id)
    with app.app_context():
        requests = list(db.session.scalars(select(PlanRequest)))
    done = [r for r in requests if r.status == "done"]
    assert len(done) == 1 and done[0].plan_id is not None
    assert done[0].pending_key is None
    assert done[0].claimed_at <= done[0].finished_at
    assert all(r.local_date == DAY for r in requests)
    assert not [r for r in requests if r.status in ("pending", "running")]
    assert done[0].finished_at - done[0].claimed_at < timedelta(minutes=1)


def test_no_visit_in_a_lunch_gap_or_in_time_off_taken_after_booking(app, client, as_key, clock):
    clock.set(NOW)
    metro = Metro(app, installers=1, max_jobs=6)
    api = as_key(metro.dealer_key)
    installer = metro.installers[0].id
    split = [
        {"weekday": d, "start": start, "end": end}
        for d in range(1, 8)
        for start, end in (("08:00", "12:00"), ("13:00", "18:00"))
    ]
    assert (
        api.put(f"/api/v1/installers/{installer}/shifts", json={"shifts": split}).status_code == 200
    )
    early = book_day(metro, client, as_key, 1, window="13:00", seed=3)
    late = book_day(metro, client, as_key, 1, window="15:00", seed=4)
    # Booked first; then the installer takes 14:30-17:30 off: the 15:00-17:00 visit cannot be
    # kept by anyone, the 13:00-15:00 one only before 13:30 (it lasts an hour).
    off = api.post(
        f"/api/v1/installers/{installer}/time-off",
        json={"starts_at": "2026-12-03T14:30:00+08:00", "ends_at": "2026-12-03T17:30:00+08:00"},
    )
    assert off.status_code == 201, off.json
    shown = plan_now(app, api, metro.dealer.id)

    [route] = shown["routes"]
    assert [s["job_id"] for s in route["stops"]] == early
    stop = route["stops"][0]
    assert "T13:00:00+08:00" <= stop["service_start"][10:] <= "T13:30:00+08:00"
    assert [(u["job_id"], u["code"]) for u in shown["unassigned"]] == [
        (late[0], "window_unreachable")
    ]
    problem, plan = stored_plan(app, metro.dealer.id)
    assert [v.breaks for v in problem.vehicles] != [()]
    assert_feasible(problem, plan)
