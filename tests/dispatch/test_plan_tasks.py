"""The planning tasks: claims, twice and in two processes, interrupted runs, the evening plan."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select

from app.db import transaction
from app.dispatch import tasks
from app.dispatch.models import DayPlan, PlanRequest
from app.dispatch.planning import queue
from app.extensions import db
from app.tasks import registry
from tests.dispatch.plans import DAY, NOW, book_day, local, pending, run_planner
from tests.factories import Metro, api_key


def _count(app, model, **where):
    with app.app_context():
        stmt = select(model).filter_by(**where)
        return len(list(db.session.scalars(stmt)))


def test_the_tasks_are_registered():
    ids = {task.id for task in registry()}
    assert {"dispatch.run_plan_requests", "dispatch.plan_evening_before"} <= ids


def test_running_twice_plans_once_and_a_claim_is_taken_once(app, client, as_key, clock):
    clock.set(NOW)
    metro = Metro(app, installers=2)
    book_day(metro, client, as_key, 3)
    api = as_key(metro.dealer_key)
    asked = api.post(f"/api/v1/dealers/{metro.dealer.id}/plans/{DAY}").json
    again = api.post(f"/api/v1/dealers/{metro.dealer.id}/plans/{DAY}").json
    assert again["id"] == asked["id"], "a second request joins the waiting one"
    with app.app_context():
        assert queue.claim(asked["id"]) is True
        assert queue.claim(asked["id"]) is False
        with transaction():
            db.session.get(PlanRequest, asked["id"]).status = "pending"
    assert run_planner(app) == {"done": 1}
    assert run_planner(app) == {}
    assert _count(app, DayPlan) == 1


def test_two_processes_at_once_plan_each_day_once(app, client, as_key, clock):
    clock.set(NOW)
    metro = Metro(app, installers=2)
    book_day(metro, client, as_key, 3)
    book_day(metro, client, as_key, 2, day=DAY + timedelta(days=1), seed=4)
    api = as_key(metro.dealer_key)
    for day in (DAY, DAY + timedelta(days=1)):
        assert api.post(f"/api/v1/dealers/{metro.dealer.id}/plans/{day}").status_code == 202
    barrier, outcomes = threading.Barrier(2), []

    def scheduler() -> None:
        barrier.wait()
        outcomes.append(run_planner(app))

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sum(o.get("done", 0) for o in outcomes) == 2, outcomes
    assert _count(app, DayPlan) == 2
    assert _count(app, DayPlan, local_date=DAY, version=1) == 1


def test_a_day_is_not_planned_twice_at_the_same_time(app, clock):
    clock.set(NOW)
    metro = Metro(app, installers=1)
    with app.app_context(), transaction():
        first = queue.request_plan(metro.dealer.id, DAY, reason="a", requested_by="t")
    with app.app_context():
        assert queue.claim(first.id)
        with transaction():
            second = queue.request_plan(metro.dealer.id, DAY, reason="b", requested_by="t")
        assert second.id != first.id, "the running request no longer takes changes"
        assert queue.claim(second.id) is False, "its day is being planned"


def test_a_change_while_solving_supersedes_the_plan(app, client, as_key, clock, monkeypatch):
    clock.set(NOW)
    metro = Metro(app, installers=2)
    jobs = book_day(metro, client, as_key, 3)
    brand = as_key(metro.brand_key)
    real_solve = queue.solve

    def solve_while_a_job_is_cancelled(problem, **options):
        answer = real_solve(problem, **options)
        brand.post(f"/api/v1/jobs/{jobs[0]}/cancel", json={"reason": "changed mind"})
        return answer

    monkeypatch.setattr(queue, "solve", solve_while_a_job_is_cancelled)
    as_key(metro.dealer_key).post(f"/api/v1/dealers/{metro.dealer.id}/plans/{DAY}")
    assert run_planner(app) == {"superseded": 1}
    assert _count(app, DayPlan) == 0
    [(_, _, reasons)] = pending(app)
    assert "the day changed while it was planned" in reasons
    monkeypatch.setattr(queue, "solve", real_solve)
    clock.set(NOW + timedelta(minutes=1))
    assert run_planner(app) == {"done": 1}


def test_an_interrupted_run_is_failed_and_queued_again(app, clock):
    clock.set(NOW)
    metro = Metro(app, installers=1)
    with app.app_context(), transaction():
        stuck = queue.request_plan(metro.dealer.id, DAY, reason="a", requested_by="t")
    with app.app_context():
        assert queue.claim(stuck.id)
    clock.set(NOW + timedelta(minutes=11))
    assert run_planner(app) == {"recovered": 1, "done": 1}
    with app.app_context():
        rows = {r.id: r for r in db.session.scalars(select(PlanRequest))}
    assert (rows[stuck.id].status, rows[stuck.id].error) == ("failed", "interrupted")
    assert [r.status for r in rows.values() if r.id != stuck.id] == ["done"]


def test_a_day_that_keeps_killing_its_process_backs_off(app, clock):
    clock.set(NOW)
    metro = Metro(app, installers=1)
    with app.app_context(), transaction():
        queue.request_plan(metro.dealer.id, DAY, reason="a", requested_by="t")

    def claim_and_die() -> int:
        """Claim the day's due request, as a process would just before it is killed."""
        with app.app_context():
            [due] = pending_requests(app)
            assert queue.claim(due)
            return due

    claim_and_die()
    clock.set(NOW + timedelta(minutes=11))
    with app.app_context():
        assert queue.recover_stale() == 1
    claim_and_die()  # the first interruption is retried at once (a restart)
    clock.set(NOW + timedelta(minutes=22))
    with app.app_context():
        assert queue.recover_stale() == 1
    assert pending_requests(app) == [], "the second in a row waits"
    clock.set(NOW + timedelta(minutes=22) + timedelta(minutes=10))
    assert len(pending_requests(app)) == 1


def pending_requests(app) -> list[int]:
    """Return the ids of the requests due now."""
    with app.app_context():
        return list(
            db.session.scalars(
                select(PlanRequest.id).where(
                    PlanRequest.status == "pending", PlanRequest.due_at <= queue.utcnow()
                )
            )
        )


def test_a_failing_day_is_retried_with_capped_backoff_and_shows_failed(
    app, client, as_key, clock, monkeypatch
):
    clock.set(NOW)
    metro = Metro(app, installers=1)
    api = as_key(metro.dealer_key)
    real_solve = queue.solve

    def broken(*_, **__):
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(queue, "solve", broken)
    with app.app_context(), transaction():
        queue.request_plan(metro.dealer.id, DAY, reason="a", requested_by="t")
    failed_at = []
    for minute in range(4 * 60):  # the scheduler runs far more often; once a minute is enough
        clock.set(NOW + timedelta(minutes=minute))
        if run_planner(app) == {"failed": 1}:
            failed_at.append(minute)
    assert failed_at == [0, 5, 15, 35, 75, 135, 195], "5, 10, 20, 40, then every 60 minutes"
    view = api.get(f"/api/v1/dealers/{metro.dealer.id}/plans/{DAY}").json
    assert (view["status"], view["version"]) == ("failed", None)
    assert view["failure"]["attempts"] == 7
    assert view["failure"]["error"] == "RuntimeError: solver exploded"
    assert view["failure"]["next_attempt_at"] == view["request"]["due_at"]
    assert view["request"]["status"] == "pending"
    assert view["request"]["due_at"] == "2026-12-01T12:15:00+08:00", "an hour after 11:15"

    monkeypatch.setattr(queue, "solve", real_solve)
    clock.set(NOW + timedelta(minutes=255))
    assert run_planner(app) == {"done": 1}
    view = api.get(f"/api/v1/dealers/{metro.dealer.id}/plans/{DAY}").json
    assert (view["status"], view["version"], view["failure"]) == ("ready", 1, None)


def test_the_retries_of_a_failing_day_end_when_the_day_is_over(app, clock, monkeypatch):
    clock.set(local(DAY, "22:00"))
    metro = Metro(app, installers=1)
    monkeypatch.setattr(queue, "solve", lambda *_, **__: 1 / 0)
    with app.app_context(), transaction():
        queue.request_plan(metro.dealer.id, DAY, reason="a", requested_by="t")
    assert run_planner(app) == {"failed": 1}
    clock.set(local(DAY, "23:59"))
    assert run_planner(app) == {"failed": 1}, "five, then ten minutes later… still retried"
    clock.set(local(DAY + timedelta(days=1), "01:00"))
    assert run_planner(app) == {"expired": 1}
    assert pending(app) == []


def test_tomorrow_is_planned_after_a_brief_failure_in_the_evening(
    app, client, as_key, clock, monkeypatch
):
    clock.set(NOW)
    metro = Metro(app, installers=1)
    api = as_key(metro.dealer_key)
    book_day(metro, client, as_key, 2)  # DAY: two days ahead, so not planned on booking
    assert pending(app) == []
    evening = DAY - timedelta(days=1)
    real_solve = queue.solve

    def down_until_18_12(problem, **options):
        if clock.now < local(evening, "18:12"):
            raise RuntimeError("solver down")
        return real_solve(problem, **options)

    monkeypatch.setattr(queue, "solve", down_until_18_12)
    asked, outcomes = 0, []
    for minute in range(45):
        clock.set(local(evening, "18:00") + timedelta(minutes=minute))
        with app.app_context():
            asked += tasks.plan_evening_before()
        outcomes.append(run_planner(app))
    assert asked == 1
    assert [n for n, o in enumerate(outcomes) if o] == [0, 5, 15]
    assert [o for o in outcomes if o] == [{"failed": 1}, {"failed": 1}, {"done": 1}]
    view = api.get(f"/api/v1/dealers/{metro.dealer.id}/plans/{DAY}").json
    assert (view["status"], view["version"]) == ("ready", 1)
    for at in ("18:30", "20:00", "23:55"):
        clock.set(local(evening, at))
        with app.app_context():
            assert tasks.plan_evening_before() == 0, "planned after 18:00: not asked again"


def test_a_failed_evening_request_does_not_count_as_planned(app, client, as_key, clock):
    clock.set(NOW)
    metro = Metro(app, installers=1)
    book_day(metro, client, as_key, 1)
    evening = DAY - timedelta(days=1)
    clock.set(local(evening, "18:01"))
    with app.app_context(), transaction():
        failed = queue.request_plan(metro.dealer.id, DAY, reason="x", requested_by="t")
        failed.status, failed.pending_key, failed.finished_at = "failed", None, clock.now
    with app.app_context():
        assert tasks.plan_evening_before() == 1, "a failed request since 18:00 is not a plan"


def test_the_evening_plan_is_asked_once_from_each_dealers_time(app, client, as_key, clock):
    clock.set(NOW)
    early, late = Metro(app, installers=1), Metro(app, installers=1)
    idle = Metro(app, installers=1)  # nothing booked tomorrow: nothing to plan
    admin = as_key(api_key(app, "admin"))
    later = admin.patch(f"/api/v1/dealers/{late.dealer.id}", json={"plan_at": "20:00"})
    assert later.status_code == 200
    tomorrow = NOW.date() + timedelta(days=1)
    book_day(early, client, as_key, 1, day=tomorrow)
    book_day(late, client, as_key, 1, day=tomorrow, seed=2)
    clock.set(NOW + timedelta(minutes=1))
    assert run_planner(app) == {"done": 2}, "booking tomorrow already planned it once"

    def evening():
        with app.app_context():
            return tasks.plan_evening_before()

    clock.set(local(NOW.date(), "17:59"))
    assert evening() == 0
    clock.set(local(NOW.date(), "18:00"))
    assert evening() == 1
    assert pending(app) == [(early.dealer.id, tomorrow, ["evening"])]
    assert evening() == 0, "safe to run twice"
    clock.set(local(NOW.date(), "18:05"))
    run_planner(app)
    assert evening() == 0, "tomorrow was planned this evening"
    clock.set(local(NOW.date(), "20:01"))
    assert evening() == 1
    assert pending(app) == [(late.dealer.id, tomorrow, ["evening"])]
    assert idle.dealer.id not in {d for d, _, _ in pending(app)}
