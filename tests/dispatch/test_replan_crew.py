"""Re-planning when who can work changes: time off, deactivation, shifts, skills, blocks."""

from __future__ import annotations

from datetime import timedelta

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
)
from tests.factories import Metro

AFTER_DEBOUNCE = timedelta(seconds=30)


def _holders(app, jobs):
    return {job: row[0] for job, row in bookings_of(app, jobs).items()}


def _busiest(app, jobs):
    """Return the installer holding most of the jobs, and those jobs."""
    holders = _holders(app, jobs)
    busiest = max(set(holders.values()), key=lambda i: (list(holders.values()).count(i), i))
    return busiest, sorted(j for j, i in holders.items() if i == busiest)


def _served_or_reported(app, as_key, metro, jobs, gone):
    """Every job is now with another installer (dispatched) or shows its plan issue to the brand."""
    brand = as_key(metro.brand_key)
    written = bookings_of(app, jobs)
    reported = []
    for job in jobs:
        installer, _, _, status, job_installer = written[job]
        shown = brand.get(f"/api/v1/jobs/{job}").json
        if shown["plan_issue"] is not None:
            assert status == "scheduled", "off the installer's list"
            reported.append(job)
        else:
            assert (status, job_installer) == ("dispatched", installer)
            assert installer != gone
    return reported


def test_whole_day_time_off_re_plans_that_day_only_and_names_the_jobs_at_risk(
    app, client, as_key, clock
):
    clock.set(NOW)
    metro = Metro(app, installers=2, max_jobs=5)
    api = as_key(metro.dealer_key)
    jobs = book_day(metro, client, as_key, 4)
    later = book_day(metro, client, as_key, 2, day=DAY + timedelta(days=3), seed=3)
    plan_now(app, api, metro.dealer.id)
    off, theirs = _busiest(app, jobs)
    assert pending(app) == []

    # Off the whole of DAY and the day after, on which nothing is booked.
    answer = api.post(
        f"/api/v1/installers/{off}/time-off",
        json={
            "starts_at": local(DAY, "00:00").isoformat(),
            "ends_at": local(DAY + timedelta(days=2), "00:00").isoformat(),
            "reason": "sick",
        },
    )
    assert answer.status_code == 201, answer.json
    assert answer.json["jobs_at_risk"] == theirs
    assert pending(app) == [(metro.dealer.id, DAY, [f"time_off installer {off}"])]

    clock.set(NOW + AFTER_DEBOUNCE)
    assert run_planner(app) == {"done": 1}
    _served_or_reported(app, as_key, metro, jobs, off)
    view = api.get(f"/api/v1/dealers/{metro.dealer.id}/plans/{DAY}").json
    assert off not in {r["installer_id"] for r in view["routes"]}
    assert view["version"] == 2
    assert not set(answer.json["jobs_at_risk"]) & set(later)


def test_deactivating_an_installer_moves_or_reports_their_jobs(app, client, as_key, clock):
    clock.set(NOW)
    metro, other = Metro(app, installers=2, max_jobs=3), Metro(app, installers=1)
    api = as_key(metro.dealer_key)
    jobs = book_day(metro, client, as_key, 5)
    book_day(other, client, as_key, 1)
    plan_now(app, api, metro.dealer.id)
    plan_now(app, as_key(other.dealer_key), other.dealer.id)
    gone, theirs = _busiest(app, jobs)

    answer = api.patch(f"/api/v1/installers/{gone}", json={"active": False})
    assert answer.status_code == 200, answer.json
    assert (answer.json["active"], answer.json["jobs_at_risk"]) == (False, theirs)
    assert pending(app) == [(metro.dealer.id, DAY, [f"active installer {gone}"])]

    clock.set(NOW + AFTER_DEBOUNCE)
    assert run_planner(app) == {"done": 1}
    reported = _served_or_reported(app, as_key, metro, jobs, gone)
    assert reported, "the one installer left takes at most three of five jobs"
    view = api.get(f"/api/v1/dealers/{metro.dealer.id}/plans/{DAY}").json
    assert sorted(u["job_id"] for u in view["unassigned"]) == sorted(reported)
    assert pending(app) == []

    # Back at work: the days they still hold bookings on are planned again.
    back = api.patch(f"/api/v1/installers/{gone}", json={"active": True})
    assert (back.status_code, back.json["jobs_at_risk"]) == (200, [])
    assert [d for _, d, _ in pending(app)] == [DAY]
    assert api.patch(f"/api/v1/installers/{gone}", json={"name": "Renamed"}).status_code == 200
    assert pending(app)[0][2] == [f"active installer {gone}"], "a new name plans nothing"


def test_two_changes_make_one_solve(app, client, as_key, clock):
    clock.set(NOW)
    metro = Metro(app, installers=2, max_jobs=5)
    api = as_key(metro.dealer_key)
    jobs = book_day(metro, client, as_key, 3)
    plan_now(app, api, metro.dealer.id)
    who, _ = _busiest(app, jobs)
    afternoon = {
        "starts_at": local(DAY, "14:00").isoformat(),
        "ends_at": local(DAY, "15:00").isoformat(),
    }
    assert api.post(f"/api/v1/installers/{who}/time-off", json=afternoon).status_code == 201
    assert api.patch(f"/api/v1/installers/{who}", json={"max_jobs_per_day": 2}).status_code == 200
    assert pending(app) == [
        (
            metro.dealer.id,
            DAY,
            [f"time_off installer {who}", f"max_jobs_per_day installer {who}"],
        )
    ]
    clock.set(NOW + AFTER_DEBOUNCE)
    assert run_planner(app) == {"done": 1}


def test_lowering_the_daily_job_limit_names_the_last_open_visits_of_the_day(
    app, client, as_key, clock
):
    clock.set(NOW)
    metro = Metro(app, installers=1, max_jobs=5)
    api = as_key(metro.dealer_key)
    jobs = book_day(metro, client, as_key, 4)
    plan_now(app, api, metro.dealer.id)
    in_order = sorted(jobs, key=lambda job: bookings_of(app, jobs)[job][1])
    path = f"/api/v1/installers/{metro.installers[0].id}"
    advance(app, in_order[0], "en_route")

    # The visit under way still counts: four visits against a limit of three.
    answer = api.patch(path, json={"max_jobs_per_day": 3})
    assert answer.status_code == 200, answer.json
    assert answer.json["jobs_at_risk"] == [in_order[-1]]
    assert api.patch(path, json={"max_jobs_per_day": 2}).json["jobs_at_risk"] == sorted(
        in_order[-2:]
    )
    assert api.patch(path, json={"max_jobs_per_day": 4}).json["jobs_at_risk"] == []


def test_removing_a_weekday_from_the_shifts_re_plans_that_weekday_only(app, client, as_key, clock):
    clock.set(NOW)
    metro = Metro(app, installers=2, max_jobs=5)
    api = as_key(metro.dealer_key)
    jobs = book_day(metro, client, as_key, 3)
    book_day(metro, client, as_key, 2, day=DAY + timedelta(days=1), seed=5)  # not re-planned
    plan_now(app, api, metro.dealer.id)
    who, theirs = _busiest(app, jobs)
    path = f"/api/v1/installers/{who}/shifts"
    week = api.get(f"/api/v1/installers/{who}").json["shifts"]
    assert api.put(path, json={"shifts": week}).json["jobs_at_risk"] == []
    assert pending(app) == [], "the same shifts change nothing"

    no_thursday = [s for s in week if s["weekday"] != DAY.isoweekday()]
    answer = api.put(path, json={"shifts": no_thursday})
    assert answer.status_code == 200, answer.json
    assert answer.json["jobs_at_risk"] == theirs
    assert pending(app) == [(metro.dealer.id, DAY, [f"shifts installer {who}"])]

    clock.set(NOW + AFTER_DEBOUNCE)
    assert run_planner(app) == {"done": 1}
    _served_or_reported(app, as_key, metro, jobs, who)


def test_dealer_wide_blocks_re_plan_booked_days_they_touch(app, client, as_key, clock):
    clock.set(NOW)
    metro = Metro(app, installers=1)
    api = as_key(metro.dealer_key)
    book_day(metro, client, as_key, 1, window="13:00")
    plan_now(app, api, metro.dealer.id)
    blocks = f"/api/v1/dealers/{metro.dealer.id}/blocks"
    empty_day = {
        "starts_at": local(DAY + timedelta(days=1), "08:00").isoformat(),
        "ends_at": local(DAY + timedelta(days=1), "10:00").isoformat(),
    }
    assert api.post(blocks, json=empty_day).status_code == 201
    assert pending(app) == [], "nothing booked that day"
    morning = {
        "starts_at": local(DAY, "08:00").isoformat(),
        "ends_at": local(DAY, "09:00").isoformat(),
    }
    made = api.post(blocks, json=morning)
    assert made.status_code == 201, made.json
    assert pending(app) == [(metro.dealer.id, DAY, [f"block dealer {metro.dealer.id}"])]
    clock.set(NOW + AFTER_DEBOUNCE)
    assert run_planner(app) == {"done": 1}
    assert api.delete(f"{blocks}/{made.json['id']}").status_code == 204
    assert pending(app) == [(metro.dealer.id, DAY, [f"block_removed dealer {metro.dealer.id}"])]


def test_a_far_day_not_yet_planned_waits_for_its_evening(app, client, as_key, clock):
    clock.set(NOW)
    metro = Metro(app, installers=1, max_jobs=5)
    api = as_key(metro.dealer_key)
    far = DAY + timedelta(days=3)
    jobs = book_day(metro, client, as_key, 2, day=far, seed=3)
    answer = api.post(
        f"/api/v1/installers/{metro.installers[0].id}/time-off",
        json={
            "starts_at": local(far, "00:00").isoformat(),
            "ends_at": local(far + timedelta(days=1), "00:00").isoformat(),
        },
    )
    assert answer.status_code == 201, answer.json
    assert answer.json["jobs_at_risk"] == sorted(jobs)
    # Named to the dispatcher, but not planned (and dispatched) days early.
    assert pending(app) == []


def test_a_crew_re_plan_names_who_made_the_change(app, client, as_key, clock):
    from sqlalchemy import select

    from app.dispatch.models import PlanRequest
    from app.extensions import db

    clock.set(NOW)
    metro = Metro(app, installers=2, max_jobs=5)
    api = as_key(metro.dealer_key)
    jobs = book_day(metro, client, as_key, 2)
    plan_now(app, api, metro.dealer.id)
    holder = _holders(app, jobs)[jobs[0]]
    assert api.patch(f"/api/v1/installers/{holder}", json={"active": False}).status_code == 200
    with app.app_context():
        asked = db.session.scalars(
            select(PlanRequest.requested_by).where(PlanRequest.status == "pending")
        ).all()
    assert len(asked) == 1 and asked[0].startswith(f"dealer:{metro.dealer.id}/")
