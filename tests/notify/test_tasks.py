"""Scheduled SMS work: reminders and nudges, exactly once even with two schedulers."""

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.notify import backends, sender, tasks
from app.notify.models import OutboundMessage
from app.scheduler import run_task
from app.tasks import registry
from tests.factories import Metro

NOW = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # Tue 12:00 Shanghai


def templates(app, job_id=None):
    with app.app_context():
        stmt = select(OutboundMessage.template).order_by(OutboundMessage.id)
        if job_id:
            stmt = stmt.where(OutboundMessage.job_id == job_id)
        return list(db.session.scalars(stmt))


def booked_job(app, client, clock, metro, index):
    job = metro.job(client)
    start = client.get(
        f"/api/v1/jobs/{job['id']}/windows", headers={"Authorization": f"Bearer {metro.brand_key}"}
    ).json["windows"][index]["start"]
    assert (
        client.post(
            f"/api/v1/jobs/{job['id']}/booking",
            json={"window_start": start},
            headers={"Authorization": f"Bearer {metro.brand_key}"},
        ).status_code
        == 201
    )
    return job, datetime.fromisoformat(start)


def test_reminder_goes_once_from_10_the_day_before(app, client, clock):
    clock.set(NOW)
    metro = Metro(app)
    job, start = booked_job(app, client, clock, metro, 5)  # Thursday 08:00
    assert start.isoformat() == "2026-12-03T08:00:00+08:00"
    clock.set(datetime(2026, 12, 2, 1, 59, tzinfo=UTC))  # Wed 09:59 local
    with app.app_context():
        assert tasks.day_before_reminders() == 0
    clock.set(datetime(2026, 12, 2, 2, 0, tzinfo=UTC))  # Wed 10:00 local
    with app.app_context():
        assert tasks.day_before_reminders() == 1
        assert tasks.day_before_reminders() == 0
    assert templates(app, job["id"]) == ["invitation", "confirmed", "reminder"]


def test_no_reminder_for_a_booking_made_after_the_reminder_hour(app, client, clock):
    clock.set(datetime(2026, 12, 2, 4, 0, tzinfo=UTC))  # Wed 12:00 local, after 10:00
    metro = Metro(app, dealer_settings={"lead_time_hours": 2})
    _, start = booked_job(app, client, clock, metro, 2)  # Thursday 08:00
    assert start.isoformat() == "2026-12-03T08:00:00+08:00"
    clock.set(start - timedelta(hours=3))
    with app.app_context():
        assert tasks.day_before_reminders() == 0


def test_two_schedulers_send_each_reminder_exactly_once(app, client, clock, monkeypatch):
    clock.set(NOW)
    metro = Metro(app, installers=3)
    jobs = [booked_job(app, client, clock, metro, 5 + n)[0] for n in range(5)]  # all Thursday
    clock.set(datetime(2026, 12, 2, 3, 0, tzinfo=UTC))  # Wed 11:00 local: all due
    sent: list[str] = []
    lock = threading.Lock()

    class Recording:
        def send(self, *, to, body, status_callback):
            with lock:
                sent.append(body)
            return backends.Sent(provider_id="", status="sent")

    monkeypatch.setattr(sender, "backend", Recording)
    reminders = next(t for t in registry() if t.id == "notify.day_before_reminders")
    outbox = next(t for t in registry() if t.id == "notify.send_outbox")
    barrier = threading.Barrier(2)

    def scheduler():
        barrier.wait()
        for _ in range(3):
            run_task(app, reminders)
            run_task(app, outbox)

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(OutboundMessage).where(OutboundMessage.template == "reminder")
            )
        )
    assert sorted(r.job_id for r in rows) == sorted(j["id"] for j in jobs)
    reminder_bodies = [b for b in sent if "提醒" in b]
    assert len(reminder_bodies) == 5 == len(set(reminder_bodies))


def test_nudges_at_most_twice_and_stop_once_booked(app, client, clock, monkeypatch):
    monkeypatch.setitem(app.config, "NUDGE_AFTER_HOURS", 24)
    clock.set(NOW)
    metro = Metro(app)
    lazy = metro.job(client)
    keen = metro.job(client)
    for hours, expected in [(23, 0), (24, 2), (30, 0), (48, 1), (72, 0), (200, 0)]:
        clock.set(NOW + timedelta(hours=hours))
        if hours == 30:
            booked = client.get(
                f"/api/v1/jobs/{keen['id']}/windows",
                headers={"Authorization": f"Bearer {metro.brand_key}"},
            ).json["windows"][0]["start"]
            client.post(
                f"/api/v1/jobs/{keen['id']}/booking",
                json={"window_start": booked},
                headers={"Authorization": f"Bearer {metro.brand_key}"},
            )
        with app.app_context():
            assert tasks.nudge_unbooked() == expected, hours
    assert templates(app, lazy["id"]).count("nudge") == 2
    assert templates(app, keen["id"]).count("nudge") == 1


def test_nudges_count_from_the_return_to_assigned_not_the_invitation(
    app, client, clock, monkeypatch
):
    monkeypatch.setitem(app.config, "NUDGE_AFTER_HOURS", 24)
    clock.set(NOW)
    metro = Metro(app)
    auth = {"Authorization": f"Bearer {metro.brand_key}"}
    job, _ = booked_job(app, client, clock, metro, -1)
    released = NOW + timedelta(hours=100)  # days later the booking is released: waiting again
    clock.set(released)
    assert client.delete(f"/api/v1/jobs/{job['id']}/booking", headers=auth).status_code == 204
    for hours, expected in [(0, 0), (0.2, 0), (23.9, 0), (24, 1), (24.2, 0), (47.9, 0), (48, 1)]:
        clock.set(released + timedelta(hours=hours))
        with app.app_context():
            assert tasks.nudge_unbooked() == expected, hours
    assert templates(app, job["id"]).count("nudge") == 2


def test_a_held_back_invitation_is_dropped_once_the_job_is_booked(app, client, clock):
    clock.set(datetime(2026, 11, 30, 19, 30, tzinfo=UTC))  # Tue 03:30 Shanghai: quiet hours
    metro = Metro(app)
    job, _ = booked_job(app, client, clock, metro, 0)  # the brand books at once
    clock.set(datetime(2026, 12, 1, 0, 0, tzinfo=UTC))  # 08:00: the outbox opens
    with app.app_context():
        assert sender.send_due() == {"skipped": 1, "sent": 1}
        rows = list(
            db.session.scalars(
                select(OutboundMessage)
                .where(OutboundMessage.job_id == job["id"])
                .order_by(OutboundMessage.id)
            )
        )
    assert [(m.template, m.status) for m in rows] == [
        ("invitation", "suppressed"),
        ("confirmed", "delivered"),  # the log backend delivers
    ]
    assert rows[0].error_message == "not sent: job is scheduled, booked: no booking wanted"


def test_scheduler_cli_lists_and_runs_tasks(app, clock):
    clock.set(NOW)
    runner = app.test_cli_runner()
    listed = runner.invoke(args=["scheduler", "list"])
    assert listed.exit_code == 0
    assert "notify.send_outbox" in listed.output and "notify.day_before_reminders" in listed.output
    ran = runner.invoke(args=["scheduler", "run-once", "notify.send_outbox"])
    assert ran.exit_code == 0 and "{}" in ran.output
    assert runner.invoke(args=["scheduler", "run-once", "nope"]).exit_code != 0
