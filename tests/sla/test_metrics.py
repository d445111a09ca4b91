"""SLA states from the event log, predictions, the summary, tenant walls, CSV."""

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests import factories
from tests.factories import Metro
from tests.sla.conftest import NOW


def clocks(world, job_id):
    response = world.client.get(f"/api/v1/jobs/{job_id}/sla", headers=world.brand_api)
    assert response.status_code == 200, response.json
    return {c["sla"]: c for c in response.json}


def test_a_job_kept_every_promise(world):
    job = world.job()
    world.later(minutes=5)
    booking = world.book(job["id"], 0)  # Wed 08:00–10:00, booked 5 minutes after the order
    start = datetime.fromisoformat(booking["window_start"])
    world.at(start + timedelta(minutes=20))
    world.step(job["id"], "dispatched", "en_route", "on_site")
    world.later(minutes=60)
    world.step(job["id"], "in_progress", "completed")
    states = {sla: c["state"] for sla, c in clocks(world, job["id"]).items()}
    # No invitation was delivered, but the booking 5 minutes after the order is the contact.
    assert states == {
        "assign": "met",
        "contact": "met",
        "schedule": "met",
        "complete": "met",
        "arrival": "met",
        "first_visit": "met",
    }
    assign = clocks(world, job["id"])["assign"]
    assert (assign["target_minutes"], assign["elapsed_minutes"]) == (60, 0)


def test_contact_is_the_delivered_invitation(world):
    from app.notify.sender import send_due

    job = world.job()
    world.later(minutes=10)
    with world.app.app_context():
        send_due()  # the log backend delivers at once
    contact = clocks(world, job["id"])["contact"]
    assert (contact["state"], contact["elapsed_minutes"]) == ("met", 10)
    events = world.client.get(f"/api/v1/jobs/{job['id']}/events", headers=world.brand_api).json
    assert events[-1]["type"] == "consumer_contacted"


def test_overdue_and_at_risk(world):
    job = world.job()
    assert clocks(world, job["id"])["schedule"]["state"] == "ok"
    world.later(hours=20)  # less than a fifth of the 24 h left
    assert clocks(world, job["id"])["schedule"]["state"] == "at_risk"
    world.later(hours=5)
    assert clocks(world, job["id"])["schedule"]["state"] == "breached"
    # Booked after the deadline: still breached, and the deadline says when.
    world.book(job["id"], 0)
    schedule = clocks(world, job["id"])["schedule"]
    assert schedule["state"] == "breached"
    assert datetime.fromisoformat(schedule["due_at"]) == NOW + timedelta(hours=24)


def test_a_booked_window_after_the_completion_deadline_is_at_risk(world):
    job = world.job()
    world.book(job["id"], 20)  # 5 days out; completion is promised within 3
    assert clocks(world, job["id"])["complete"]["state"] == "at_risk"


def test_late_arrival_and_failed_first_visit(world):
    job = world.job()
    booking = world.book(job["id"], 0)
    end = datetime.fromisoformat(booking["window_end"])
    world.at(end + timedelta(minutes=16))  # one minute past the tolerance
    world.step(job["id"], "dispatched", "en_route", "on_site")
    world.step(job["id"], "failed", payload={"reason": "needs_parts"})
    states = {sla: c["state"] for sla, c in clocks(world, job["id"]).items()}
    assert (states["arrival"], states["first_visit"]) == ("breached", "breached")


def test_cancelled_jobs_owe_nothing_more(world):
    job = world.job()
    world.later(hours=30)
    world.client.post(
        f"/api/v1/jobs/{job['id']}/cancel", json={"reason": "x"}, headers=world.brand_api
    )
    states = {sla: c["state"] for sla, c in clocks(world, job["id"]).items()}
    assert states["complete"] == "n/a" and states["assign"] == "met"


def test_policy_changes_do_not_rewrite_history(world, admin):
    old = world.job()
    revised = admin.put(
        f"/api/v1/brands/{world.metro.brand.id}/sla-policies/{world.policy['id']}",
        json={"schedule_minutes": 60},
    )
    assert revised.status_code == 200 and revised.json["version"] == 2
    new = world.job()
    assert clocks(world, old["id"])["schedule"]["target_minutes"] == 24 * 60
    assert clocks(world, new["id"])["schedule"]["target_minutes"] == 60
    listed = admin.get(f"/api/v1/brands/{world.metro.brand.id}/sla-policies").json
    assert [p["version"] for p in listed] == [2]
    stale = admin.put(
        f"/api/v1/brands/{world.metro.brand.id}/sla-policies/{world.policy['id']}",
        json={"schedule_minutes": 5},
    )
    assert stale.status_code == 409


def test_the_most_specific_policy_applies(world, admin):
    base = f"/api/v1/brands/{world.metro.brand.id}"
    region = admin.post(
        f"{base}/sla-regions", json={"name": "核心区", "geometry": factories.square(km=4)}
    )
    assert region.status_code == 201
    admin.post(f"{base}/sla-policies", json={"category": "door", "schedule_minutes": 600})
    admin.post(
        f"{base}/sla-policies", json={"region_id": region.json["id"], "schedule_minutes": 300}
    )
    admin.post(
        f"{base}/sla-policies",
        json={"category": "door", "region_id": region.json["id"], "schedule_minutes": 100},
    )
    assert admin.post(f"{base}/sla-policies", json={"category": "door"}).status_code == 409
    inside = world.job()
    outside = world.job(lat=factories.PEOPLES_SQUARE[0] + 0.05)
    furniture_outside = world.job(category="furniture", lat=factories.PEOPLES_SQUARE[0] + 0.05)
    assert clocks(world, inside["id"])["schedule"]["target_minutes"] == 100
    assert clocks(world, outside["id"])["schedule"]["target_minutes"] == 600
    assert clocks(world, furniture_outside["id"])["schedule"]["target_minutes"] == 24 * 60


def test_business_hours_pause_the_clock(world, admin):
    base = f"/api/v1/brands/{world.metro.brand.id}"
    hours = {str(d): [["09:00", "18:00"]] for d in range(1, 6)}
    assert (
        admin.put(
            f"{base}/business-calendar",
            json={"timezone": "Asia/Shanghai", "hours": hours, "holidays": ["2026-12-02"]},
        ).status_code
        == 200
    )
    admin.put(
        f"{base}/sla-policies/{world.policy['id']}",
        json={"business_hours": True, "schedule_minutes": 9 * 60},
    )
    world.later(hours=7)  # Tue 17:00 local
    job = world.job()
    # 1 h left on Tuesday, Wednesday is a holiday, so the 9 working hours end Thursday 17:00.
    assert clocks(world, job["id"])["schedule"]["due_at"] == "2026-12-03T09:00:00+00:00"


def test_summary_numbers_and_walls(world, app, client, as_key):
    first = world.job()
    world.later(hours=2)
    world.book(first["id"], 0)
    second = world.job()
    world.later(hours=30)  # second is now overdue for scheduling
    summary = client.get("/api/v1/sla/summary", headers=world.brand_api).json
    totals = summary["totals"]
    assert (totals["jobs"], totals["breached"]["schedule"], totals["breached"]["assign"]) == (
        2,
        1,
        0,
    )
    assert totals["median_hours_to_schedule"] == 2.0
    assert [row["key"] for row in summary["weekly"]] == ["2026-11-30"]
    assert [row["label"] for row in summary["dealers"]] == [world.metro.dealer.name]
    assert summary["categories"][0]["key"] == "door"
    flagged = {
        j["job_id"]: j["states"]
        for j in client.get("/api/v1/sla/jobs", headers=world.brand_api).json["items"]
    }
    # The second was never booked; the first was, but its window passed with nobody there.
    assert flagged[second["id"]]["schedule"] == "breached"
    assert (flagged[first["id"]]["schedule"], flagged[first["id"]]["arrival"]) == (
        "met",
        "breached",
    )
    # Brand B never sees brand A's numbers; a dealer sees only its own.
    other = Metro(app)
    theirs = client.get(
        "/api/v1/sla/summary", headers={"Authorization": f"Bearer {other.brand_key}"}
    ).json
    assert theirs["totals"]["jobs"] == 0
    sneaky = client.get(
        "/api/v1/sla/summary",
        query_string={"brand_id": world.metro.brand.id},
        headers={"Authorization": f"Bearer {other.brand_key}"},
    ).json
    assert sneaky["totals"]["jobs"] == 0
    assert as_key(other.dealer_key).get("/api/v1/sla/summary").json["totals"]["jobs"] == 0
    assert as_key(world.metro.dealer_key).get("/api/v1/sla/summary").json["totals"]["jobs"] == 2
    assert (
        client.get(
            f"/api/v1/jobs/{first['id']}/sla",
            headers={"Authorization": f"Bearer {other.brand_key}"},
        ).status_code
        == 404
    )


def test_csv_export(world, client):
    job = world.job()  # ordered at the frozen clock's moment
    world.later(hours=25)
    response = client.get(
        "/api/v1/sla/export.csv", query_string={"lang": "en"}, headers=world.brand_api
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads the file as UTF-8
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 1
    row = rows[0]
    assert (row["job id"], row["brand order id"], row["visit booked: state"]) == (
        str(job["id"]),
        job["external_id"],
        "breached",
    )
    assert (row["status"], row["category"]) == ("awaiting booking", "door")
    assert (row["dealer id"], row["dealer"]) == (
        str(world.metro.dealer.id),
        world.metro.dealer.name,
    )
    # Local time in the brand's zone, to the second, the zone named in the header.
    local = datetime.fromisoformat(job["created_at"]).astimezone(ZoneInfo("Asia/Shanghai"))
    assert row["ordered (Asia/Shanghai)"] == local.strftime("%Y-%m-%d %H:%M:%S")
    assert "." not in row["ordered (Asia/Shanghai)"] and "+" not in row["ordered (Asia/Shanghai)"]
    assert row["customer reached (Asia/Shanghai)"] == ""


def test_csv_export_speaks_chinese_by_default(world, client):
    world.job()
    world.later(minutes=1)
    response = client.get("/api/v1/sla/export.csv", headers=world.brand_api)
    text = response.get_data().decode("utf-8-sig")
    header = text.splitlines()[0].split(",")
    assert header[:3] == ["工单号", "品牌订单号", "状态"]
    assert "下单时间 (Asia/Shanghai)" in header and "预约时间：状态" in header
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert (row["状态"], row["品类"], row["预约时间：状态"]) == ("待预约", "门", "进行中")
    bad = client.get("/api/v1/sla/export.csv?lang=fr", headers=world.brand_api)
    assert bad.status_code == 422 and "lang" in str(bad.json)


def test_calendars_without_hours_or_with_overlaps_are_refused(world, admin):
    base = f"/api/v1/brands/{world.metro.brand.id}/business-calendar"
    for hours in ({}, {"1": []}, {"1": [["09:00", "12:00"], ["10:00", "11:00"]]}):
        assert (
            admin.put(base, json={"timezone": "Asia/Shanghai", "hours": hours}).status_code == 422
        ), hours


def test_a_sparse_calendar_leaves_a_deadline_open_instead_of_refusing_orders(world, admin):
    base = f"/api/v1/brands/{world.metro.brand.id}"
    admin.put(
        f"{base}/business-calendar",
        json={"timezone": "Asia/Shanghai", "hours": {"1": [["09:00", "10:00"]]}},
    )
    admin.put(
        f"{base}/sla-policies/{world.policy['id']}",
        json={"business_hours": True, "complete_minutes": 90 * 24 * 60},
    )
    job = world.job()  # 90 days of work at one hour a week is years away: no deadline
    assert clocks(world, job["id"])["complete"]["due_at"] is None
    assert clocks(world, job["id"])["assign"]["due_at"] is not None


def test_arrival_counts_the_tolerance_before_it_breaches(world):
    job = world.job()
    booking = world.book(job["id"], 0)
    end = datetime.fromisoformat(booking["window_end"])
    world.at(end + timedelta(minutes=10))  # past the window, inside the 15-minute tolerance
    assert clocks(world, job["id"])["arrival"]["state"] == "ok"
    assert datetime.fromisoformat(clocks(world, job["id"])["arrival"]["due_at"]) == end + timedelta(
        minutes=15
    )
    world.at(end + timedelta(minutes=16))
    assert clocks(world, job["id"])["arrival"]["state"] == "breached"


def test_moving_a_dispatched_booking_keeps_its_window_for_the_sla(world, app, client, as_key):
    job = world.job()
    booking = world.book(job["id"], 5)
    world.step(job["id"], "dispatched")
    other = next(i for i in world.metro.installers if i.id != booking["installer_id"])
    moved = as_key(world.metro.dealer_key).post(
        f"/api/v1/jobs/{job['id']}/booking/move", json={"installer_id": other.id}
    )
    assert moved.status_code == 200, moved.json
    assert clocks(world, job["id"])["arrival"]["due_at"] is not None
    texts = client.get(
        "/api/v1/sms/messages", query_string={"job_id": job["id"]}, headers=world.brand_api
    ).json["items"]
    assert [m["template"] for m in texts].count("confirmed") == 1  # no second "booked" SMS


def _plan_issue(world, job_id, day, *, resolved=False):
    """What the day planner writes when it cannot serve a job on its booked day (or later can)."""
    from app.auth.service import Actor
    from app.db import transaction
    from app.extensions import db
    from app.jobs import service as jobs
    from app.jobs.models import Job

    with world.app.app_context(), transaction():
        job = db.session.get(Job, job_id)
        planner = Actor("system", "planner")
        if resolved:
            job.plan_issue_code = job.plan_issue_message = job.plan_issue_date = None
            jobs.record_event(job, "plan_issue_resolved", planner, payload={})
            return
        job.plan_issue_code, job.plan_issue_message, job.plan_issue_date = (
            "no_feasible_route",
            "no installer can reach it in the window",
            day,
        )
        payload = {"date": day.isoformat(), "code": "no_feasible_route", "message": "x"}
        jobs.record_event(job, "plan_issue", planner, payload=payload)


def test_an_open_plan_issue_on_the_booked_day_puts_arrival_and_completion_at_risk(world):
    from zoneinfo import ZoneInfo

    job = world.job()
    booking = world.book(job["id"], 0)
    day = datetime.fromisoformat(booking["window_start"]).astimezone(ZoneInfo("Asia/Shanghai"))
    assert clocks(world, job["id"])["arrival"]["state"] == "ok"
    _plan_issue(world, job["id"], day.date() + timedelta(days=1))  # another day: not this visit
    assert clocks(world, job["id"])["arrival"]["state"] == "ok"
    _plan_issue(world, job["id"], day.date())
    states = {sla: c["state"] for sla, c in clocks(world, job["id"]).items()}
    assert (states["arrival"], states["complete"]) == ("at_risk", "at_risk")
    world.later(minutes=1)  # the summary counts jobs created before now
    totals = world.client.get("/api/v1/sla/summary", headers=world.brand_api).json["totals"]
    assert (totals["at_risk"]["arrival"], totals["at_risk"]["complete"]) == (1, 1)
    _plan_issue(world, job["id"], day.date(), resolved=True)
    states = {sla: c["state"] for sla, c in clocks(world, job["id"]).items()}
    assert (states["arrival"], states["complete"]) == ("ok", "ok")


def _business_hours(world, admin, *, holidays=(), **targets):
    base = f"/api/v1/brands/{world.metro.brand.id}"
    hours = {str(d): [["09:00", "18:00"]] for d in range(1, 6)}
    calendar = {"timezone": "Asia/Shanghai", "hours": hours, "holidays": list(holidays)}
    assert admin.put(f"{base}/business-calendar", json=calendar).status_code == 200
    revised = admin.put(
        f"{base}/sla-policies/{world.policy['id']}", json={"business_hours": True, **targets}
    )
    assert revised.status_code == 200, revised.json
    world.policy = revised.json


def test_at_risk_counts_business_time_while_the_clock_is_paused(world, app, admin):
    from app.sla import alerts

    _business_hours(world, admin, schedule_minutes=4 * 60)
    world.at(datetime.fromisoformat("2026-12-04T09:00:00+00:00"))  # Friday 17:00 local
    job = world.job()
    schedule = clocks(world, job["id"])["schedule"]
    assert schedule["due_at"] == "2026-12-07T04:00:00+00:00"  # Monday 12:00 local
    world.at(datetime.fromisoformat("2026-12-06T16:00:00+00:00"))  # Monday 00:00 local
    world.later(seconds=1)
    schedule = clocks(world, job["id"])["schedule"]
    assert (schedule["state"], schedule["elapsed_minutes"]) == ("ok", 60)
    totals = world.client.get("/api/v1/sla/summary", headers=world.brand_api).json["totals"]
    assert totals["at_risk"]["schedule"] == 0
    with app.app_context():
        alerts.find_changes()
        recorded = alerts.list_alerts(world.metro.brand.id)
        from app.extensions import db

        assert "schedule" not in {a.sla for a in db.session.scalars(recorded)}
    world.at(datetime.fromisoformat("2026-12-07T03:13:00+00:00"))  # 11:13: 193 of 240 minutes
    schedule = clocks(world, job["id"])["schedule"]
    assert (schedule["state"], schedule["elapsed_minutes"]) == ("at_risk", 193)


def test_a_holiday_added_after_the_order_moves_the_running_deadlines(world, admin):
    _business_hours(world, admin, schedule_minutes=9 * 60, assign_minutes=60)
    world.later(hours=7)  # Tue 17:00 local
    job = world.job()  # assigned at intake: that promise is kept and its deadline stays
    assign_due = clocks(world, job["id"])["assign"]["due_at"]
    assert clocks(world, job["id"])["schedule"]["due_at"] == "2026-12-02T09:00:00+00:00"
    _business_hours(world, admin, holidays=["2026-12-02"], schedule_minutes=9 * 60)
    world.at(datetime.fromisoformat("2026-12-02T09:30:00+00:00"))  # Wed 17:30, now a holiday
    schedule = clocks(world, job["id"])["schedule"]
    assert schedule["due_at"] == "2026-12-03T09:00:00+00:00"
    assert (schedule["state"], schedule["elapsed_minutes"]) == ("ok", 60)
    assert clocks(world, job["id"])["assign"]["due_at"] == assign_due


def test_business_hours_need_a_calendar(world, admin):
    base = f"/api/v1/brands/{world.metro.brand.id}/sla-policies"
    refused = admin.post(base, json={"category": "door", "business_hours": True})
    assert refused.status_code == 422
    assert "business calendar" in refused.json["error"]["message"]
    revised = admin.put(f"{base}/{world.policy['id']}", json={"business_hours": True})
    assert revised.status_code == 422


def test_weeks_start_on_the_local_monday(world):
    world.at(datetime.fromisoformat("2026-11-29T23:00:00+00:00"))  # Monday 07:00 in Shanghai
    world.job()
    world.at(NOW)
    summary = world.client.get("/api/v1/sla/summary", headers=world.brand_api).json
    assert [row["key"] for row in summary["weekly"]] == ["2026-11-30"]


def test_durations_round_to_whole_minutes_alike_on_both_databases(app):
    from sqlalchemy import Float, literal, select

    from app.extensions import db
    from app.sla.metrics import whole_minutes

    cases = {90.5: 91, 89.5: 90, 0.5: 1, 120.0: 120, 0.49: 0, 119.6: 120}
    with app.app_context():
        got = {
            minutes: db.session.scalar(select(whole_minutes(literal(minutes / 60, Float))))
            for minutes in cases
        }
    assert got == cases
