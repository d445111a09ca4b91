"""The field API: the route, status changes applied exactly once, stale and illegal actions."""

import uuid
from datetime import timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from app.extensions import db
from app.geo.travel import GreatCircleTravel
from app.jobs.models import Job, JobEvent
from app.notify import sender
from app.notify.models import OutboundMessage
from app.scheduling.models import Booking
from tests import factories
from tests.factories import FIELD_DAY, FIELD_MORNING, datetime_of, field_day, image

NEAR = {"lat": 31.2404, "lon": 121.4737, "accuracy_m": 12}  # ~1.1 km north of the jobs
AT_DOOR = {"lat": 31.2305, "lon": 121.4738, "accuracy_m": 8}


@pytest.fixture
def day(app, client, clock):
    metro, jobs = field_day(app, client, clock, jobs=3)
    phone = factories.device_token(app, metro.installers[0])
    return metro, jobs, phone


def event(type_, **fields):
    return {
        "client_event_id": str(uuid.uuid4()),
        "type": type_,
        "client_time": FIELD_MORNING,
        **fields,
    }


def post(as_key, token, job_id, body):
    return as_key(token).post(f"/api/field/jobs/{job_id}/events", json=body)


def events_of(app, job_id):
    with app.app_context():
        return list(
            db.session.scalars(
                select(JobEvent).where(JobEvent.job_id == job_id).order_by(JobEvent.id)
            )
        )


def sms_for(app, job_id, template):
    with app.app_context():
        return list(
            db.session.scalars(
                select(OutboundMessage).where(
                    OutboundMessage.job_id == job_id, OutboundMessage.template == template
                )
            )
        )


def upload(as_key, token, job_id, kind="photo", data=None, upload_id=None):
    data = data if data is not None else image(color=(10, 200, 10) if kind == "photo" else "white")
    return as_key(token).post(
        f"/api/field/jobs/{job_id}/attachments",
        query_string={"kind": kind, "client_upload_id": upload_id or str(uuid.uuid4())},
        data={"file": (BytesIO(data), "x.png", "image/png")},
        content_type="multipart/form-data",
    )


def walk_to_work(as_key, phone, job_id):
    for step in ("en_route", "arrived", "start_work"):
        response = post(as_key, phone, job_id, event(step, position=AT_DOOR))
        assert response.status_code == 201, response.json


def test_route_lists_the_day_in_planned_order(day, app, as_key):
    metro, jobs, phone = day
    route = as_key(phone).get("/api/field/route")
    assert route.status_code == 200, route.json
    assert route.json["date"] == route.json["today"] == FIELD_DAY
    assert route.json["timezone"] == "Asia/Shanghai"
    listed = route.json["jobs"]
    assert [j["id"] for j in listed] == [j["id"] for j in jobs]
    first = listed[0]
    assert (first["status"], first["dispatched"], first["actions"]) == (
        "dispatched",
        True,
        ["en_route"],
    )
    assert first["visit"]["window_start"] == "2026-12-02T08:00:00+08:00"
    assert first["visit"]["window_end"] == "2026-12-02T10:00:00+08:00"
    assert first["consumer"] == {"name": "王芳", "phone": "+8613812345678"}
    assert first["items"][0]["name"] == "Oak door"
    assert first["required_skills"] == ["door_install"]
    assert first["brand"] == metro.brand.name
    # The day planner reorders by rewriting Booking.sequence; the route follows it.
    with app.app_context():
        for n, job in enumerate(reversed(jobs)):
            db.session.execute(
                update(Booking).where(Booking.job_id == job["id"]).values(sequence=n)
            )
        db.session.commit()
    reordered = as_key(phone).get("/api/field/route").json["jobs"]
    assert [j["id"] for j in reordered] == [j["id"] for j in reversed(jobs)]


def test_scheduled_jobs_show_without_actions(app, client, clock, as_key):
    metro, jobs = field_day(app, client, clock, jobs=2, dispatched=False)
    phone = factories.device_token(app, metro.installers[0])
    listed = as_key(phone).get("/api/field/route").json["jobs"]
    assert [(j["status"], j["dispatched"], j["actions"]) for j in listed] == [
        ("scheduled", False, []),
        ("scheduled", False, []),
    ]
    refused = post(as_key, phone, jobs[0]["id"], event("en_route"))
    assert refused.status_code == 409
    assert refused.json["error"]["current_status"] == "scheduled"
    assert "is scheduled" in refused.json["error"]["message"]


def test_dispatching_a_day_is_idempotent_and_scoped(app, client, clock, as_key):
    metro, jobs = field_day(app, client, clock, jobs=2, dispatched=False)
    first = factories.dispatch(client, metro)
    assert [d["job_id"] for d in first["dispatched"]] == [j["id"] for j in jobs]
    assert factories.dispatch(client, metro)["dispatched"] == []
    other = factories.Metro(app)
    path = f"/api/v1/dealers/{metro.dealer.id}/dispatch?date={FIELD_DAY}"
    assert as_key(other.dealer_key).post(path).status_code == 404
    assert as_key(metro.brand_key).post(path).status_code == 403
    assert (
        as_key(metro.dealer_key).post(f"/api/v1/dealers/{metro.dealer.id}/dispatch").status_code
        == 422
    )


def test_tomorrow_and_other_days(day, app, client, clock, as_key):
    metro, _, phone = day
    clock.set(factories.datetime_of(factories.BOOKED_AT))
    later = metro.job(client, duration_minutes=30)
    factories.book(client, metro, later["id"], day="2026-12-03")
    clock.set(factories.datetime_of(FIELD_MORNING))
    tomorrow = as_key(phone).get("/api/field/route", query_string={"date": "2026-12-03"})
    assert tomorrow.json["date"] == "2026-12-03" and tomorrow.json["today"] == FIELD_DAY
    assert [j["id"] for j in tomorrow.json["jobs"]] == [later["id"]]
    assert as_key(phone).get("/api/field/route?date=tomorrow").status_code == 422
    for far in ("9999-12-31", "0001-01-01", "2028-01-01"):
        refused = as_key(phone).get("/api/field/route", query_string={"date": far})
        assert (refused.status_code, list(refused.json["error"]["fields"])) == (422, ["date"])


def test_another_installers_job_is_404(day, app, as_key):
    metro, jobs, phone = day
    other = factories.device_token(app, factories.installer(app, metro.dealer))
    job_id = jobs[0]["id"]
    assert as_key(other).get(f"/api/field/jobs/{job_id}").status_code == 404
    assert post(as_key, other, job_id, event("en_route")).status_code == 404
    assert upload(as_key, other, job_id).status_code == 404
    assert as_key(other).get("/api/field/route").json["jobs"] == []
    assert as_key(phone).get(f"/api/field/jobs/{job_id}").status_code == 200
    assert as_key(phone).get("/api/field/jobs/999999").status_code == 404


def test_a_visit_from_start_to_completion(day, app, as_key):
    _, jobs, phone = day
    job_id = jobs[0]["id"]
    started = post(as_key, phone, job_id, event("en_route", position=NEAR))
    assert started.status_code == 201, started.json
    assert started.json["result"] == "applied"
    assert started.json["job"]["status"] == "en_route"
    assert started.json["job"]["actions"] == ["arrived"]
    assert started.json["event"]["payload"]["eta"] == "08:33"  # 08:30 + 3 min of driving
    [on_the_way] = sms_for(app, job_id, "on_the_way")
    assert "08:33" in on_the_way.body

    arrived = post(as_key, phone, job_id, event("arrived", position=NEAR))
    assert arrived.json["warnings"] == ["far_from_address"]
    assert arrived.json["event"]["payload"]["distance_m"] == 1112
    assert post(as_key, phone, job_id, event("start_work")).status_code == 201

    missing = post(as_key, phone, job_id, event("complete", signer_name="王芳"))
    assert (missing.status_code, missing.json["error"]["code"]) == (409, "proof_missing")
    photo = upload(as_key, phone, job_id)
    signature = upload(as_key, phone, job_id, kind="signature")
    assert (photo.status_code, signature.status_code) == (201, 201)
    done = post(
        as_key,
        phone,
        job_id,
        event(
            "complete",
            signer_name="王芳",
            note="门已安装",
            checklist=[{"label": "Oak door ×1", "done": True}],
            photos=[photo.json["client_upload_id"]],
            signature=signature.json["client_upload_id"],
        ),
    )
    assert done.status_code == 201, done.json
    assert done.json["job"]["status"] == "completed"
    assert done.json["job"]["actions"] == []
    payload = done.json["event"]["payload"]
    assert (payload["photos"], payload["signature"]) == ([photo.json["id"]], signature.json["id"])
    assert payload["signer_name"] == "王芳"
    assert len(sms_for(app, job_id, "completed")) == 1
    assert [e.type for e in events_of(app, job_id)][-6:] == [
        "en_route",
        "on_site",
        "in_progress",
        "attachment_added",
        "attachment_added",
        "completed",
    ]
    logged = events_of(app, job_id)[-1]
    assert logged.client_time.isoformat() == "2026-12-02T00:30:00+00:00"
    assert logged.actor_role == "installer" and logged.actor_id.endswith(
        f"/device:{logged.payload['device_id']}"
    )


def test_the_same_event_twice_is_applied_once(day, app, as_key):
    _, jobs, phone = day
    job_id = jobs[0]["id"]
    body = event("en_route", position=NEAR)
    first = post(as_key, phone, job_id, body)
    second = post(as_key, phone, job_id, body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json["result"] == "replayed"
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json["event"]["id"] == first.json["event"]["id"]
    assert second.json["job"]["status"] == "en_route"
    assert [e.type for e in events_of(app, job_id)].count("en_route") == 1
    assert len(sms_for(app, job_id, "on_the_way")) == 1
    reused = post(
        as_key, phone, job_id, {**event("arrived"), "client_event_id": body["client_event_id"]}
    )
    assert (reused.status_code, reused.json["error"]["code"]) == (422, "client_event_id_reused")


def test_out_of_order_and_stale_actions_are_409_naming_the_state(day, app, as_key):
    metro, jobs, phone = day
    early = post(as_key, phone, jobs[0]["id"], event("arrived"))
    assert early.status_code == 409
    assert early.json["error"]["code"] == "illegal_transition"
    assert early.json["error"]["current_status"] == "dispatched"
    assert "is dispatched" in early.json["error"]["message"]
    failing_en_route = post(as_key, phone, jobs[0]["id"], event("fail", reason="customer_absent"))
    assert failing_en_route.status_code == 409
    # The brand cancels while the installer is offline: the queued action is stale.
    cancelled = as_key(metro.brand_key).post(
        f"/api/v1/jobs/{jobs[1]['id']}/cancel", json={"reason": "customer called"}
    )
    assert cancelled.status_code == 200
    stale = post(as_key, phone, jobs[1]["id"], event("en_route"))
    assert (stale.status_code, stale.json["error"]["current_status"]) == (409, "cancelled")
    assert "is cancelled" in stale.json["error"]["message"]


def test_sync_applies_in_order_and_replays(day, app, as_key):
    _, jobs, phone = day
    a, b = jobs[0]["id"], jobs[1]["id"]
    batch = [
        {**event("en_route"), "job_id": a},
        {**event("arrived", position=AT_DOOR), "job_id": a},
        {**event("start_work"), "job_id": b},  # illegal: b is still dispatched
        {**event("start_work"), "job_id": a},
    ]
    first = as_key(phone).post("/api/field/sync", json={"events": batch})
    assert first.status_code == 200, first.json
    results = first.json["results"]
    assert [r["result"] for r in results] == ["applied", "applied", "rejected", "applied"]
    assert [r["status"] for r in results] == [201, 201, 409, 201]
    assert results[1]["warnings"] == []
    assert results[2]["error"]["current_status"] == "dispatched"
    assert results[2]["job"]["status"] == "dispatched"  # the client refreshes the job from this
    assert results[3]["job"]["status"] == "in_progress"
    again = as_key(phone).post("/api/field/sync", json={"events": batch}).json["results"]
    assert [r["result"] for r in again] == ["replayed", "replayed", "rejected", "replayed"]
    assert [e.type for e in events_of(app, a)].count("on_site") == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"events": []}, "events"),
        ({"events": [{**event("en_route")}]}, "events"),  # no job_id
        ({"events": [{**event("en_route"), "job_id": 1, "client_event_id": "x"}]}, "events"),
        ({"events": [{**event("en_route"), "job_id": 2**63}]}, "events"),
        ({"events": [{**event("en_route"), "job_id": "1"}]}, "events"),
        (
            {"events": [{**event("en_route"), "job_id": 1, "client_time": "2026-12-02T08:00"}]},
            "events",
        ),
    ],
)
def test_malformed_sync_batches_are_422(day, as_key, body, field):
    _, _, phone = day
    response = as_key(phone).post("/api/field/sync", json=body)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]


def test_a_failed_visit_goes_back_to_dispatch(day, app, as_key):
    metro, jobs, phone = day
    job_id = jobs[0]["id"]
    for step in ("en_route", "arrived"):
        post(as_key, phone, job_id, event(step))
    no_reason = post(as_key, phone, job_id, event("fail"))
    assert (no_reason.status_code, list(no_reason.json["error"]["fields"])) == (422, ["reason"])
    vague = post(as_key, phone, job_id, event("fail", reason="other"))
    assert (vague.status_code, list(vague.json["error"]["fields"])) == (422, ["note"])
    failed = post(as_key, phone, job_id, event("fail", reason="customer_absent", note="无人应门"))
    assert failed.status_code == 201, failed.json
    assert failed.json["job"]["status"] == "assigned"
    assert failed.json["job"]["outcome"]["reason"] == "customer_absent"
    assert failed.json["job"]["actions"] == []
    assert [e.type for e in events_of(app, job_id)][-2:] == ["failed", "returned_to_dispatch"]
    [message] = sms_for(app, job_id, "visit_failed")
    assert "家中无人" in message.body
    brand_view = as_key(metro.brand_key).get(f"/api/v1/jobs/{job_id}").json
    assert (brand_view["status"], brand_view["booking"]) == ("assigned", None)
    # The day's route still shows the failed visit, in its place, without actions.
    route = as_key(phone).get("/api/field/route").json["jobs"]
    assert [j["id"] for j in route] == [j["id"] for j in jobs]
    assert route[0]["outcome"]["reason"] == "customer_absent"
    assert route[0]["visit"]["window_start"] == "2026-12-02T08:00:00+08:00"


def test_a_queue_synced_hours_later_texts_no_stale_arrival(day, app, as_key, clock):
    _, jobs, phone = day
    job_id = jobs[0]["id"]
    clock.set(datetime_of(FIELD_MORNING) + timedelta(hours=2))  # 10:30: the basement had no signal
    batch = [
        {**event("en_route", position=NEAR), "job_id": job_id},  # stamped 08:30
        {**event("arrived", position=AT_DOOR), "job_id": job_id},
        {**event("start_work"), "job_id": job_id},
    ]
    results = as_key(phone).post("/api/field/sync", json={"events": batch}).json["results"]
    assert [r["result"] for r in results] == ["applied"] * 3, results
    # The ETA is reckoned from the phone's 08:30, and long past: no "on the way" SMS at all.
    assert results[0]["event"]["payload"]["eta"] == "08:33"
    assert sms_for(app, job_id, "on_the_way") == []
    photo = upload(as_key, phone, job_id).json["client_upload_id"]
    signature = upload(as_key, phone, job_id, kind="signature").json["client_upload_id"]
    done = event("complete", signer_name="王芳", photos=[photo], signature=signature)
    assert post(as_key, phone, job_id, done).status_code == 201
    assert sms_for(app, job_id, "on_the_way") == []
    assert len(sms_for(app, job_id, "completed")) == 1


def test_on_the_way_is_dropped_when_the_visit_moved_on_before_it_went(day, app, as_key):
    _, jobs, phone = day
    job_id = jobs[0]["id"]
    post(as_key, phone, job_id, event("en_route", position=NEAR))
    [queued] = sms_for(app, job_id, "on_the_way")
    assert queued.status == "pending"
    post(as_key, phone, job_id, event("arrived", position=AT_DOOR))  # before the sender ran
    with app.app_context():
        sender.send_due()
    [dropped] = sms_for(app, job_id, "on_the_way")
    assert (dropped.status, dropped.attempts, dropped.sent_at) == ("suppressed", 0, None)
    assert "moved on (on_site)" in dropped.error_message


def test_eta_keeps_the_planned_time_until_the_window_opens(day, app, as_key, clock):
    _, jobs, phone = day
    job_id = jobs[0]["id"]
    with app.app_context():
        planned = db.session.scalar(select(Booking).where(Booking.job_id == job_id))
        planned_at = planned.estimated_start
    early = datetime_of(FIELD_MORNING) - timedelta(hours=1)  # 07:30, the window opens at 08:00
    clock.set(early)
    started = post(
        as_key, phone, job_id, event("en_route", position=NEAR, client_time=early.isoformat())
    )
    payload = started.json["event"]["payload"]
    # 3 minutes away, but the visit is planned for later: the consumer is told the planned time.
    assert planned_at > early + timedelta(minutes=3)
    assert datetime_of(payload["eta_at"]) == planned_at
    assert payload["eta_source"] == "planned"
    [message] = sms_for(app, job_id, "on_the_way")
    assert planned_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M") in message.body


def test_implausible_device_clock_is_422(day, as_key):
    _, jobs, phone = day
    future = post(
        as_key, phone, jobs[0]["id"], event("en_route", client_time="2026-12-05T00:00:00Z")
    )
    assert (future.status_code, list(future.json["error"]["fields"])) == (422, ["client_time"])
    naive = post(as_key, phone, jobs[0]["id"], event("en_route", client_time="2026-12-02T08:00:00"))
    assert naive.status_code == 422


def test_field_api_wants_json(day, as_key):
    _, jobs, phone = day
    response = as_key(phone).post(
        f"/api/field/jobs/{jobs[0]['id']}/events", data="type=en_route", content_type="text/plain"
    )
    assert (response.status_code, response.json["error"]["code"]) == (415, "unsupported_media_type")
    broken = as_key(phone).post(
        "/api/field/sync", data="{not json", content_type="application/json"
    )
    assert (broken.status_code, broken.json["error"]["code"]) == (400, "invalid_json")


def test_new_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").json["paths"]
    for path in (
        "/api/field/auth/code",
        "/api/field/auth/verify",
        "/api/field/auth/invite",
        "/api/field/auth/logout",
        "/api/field/me",
        "/api/field/route",
        "/api/field/jobs/{job_id}",
        "/api/field/jobs/{job_id}/events",
        "/api/field/sync",
        "/api/field/jobs/{job_id}/attachments",
        "/api/field/attachments/{attachment_id}/content",
        "/api/v1/jobs/{job_id}/attachments",
        "/api/v1/attachments/{attachment_id}/content",
        "/api/v1/installers/{installer_id}/invite",
        "/api/v1/installers/{installer_id}/devices",
        "/api/v1/dealers/{dealer_id}/dispatch",
    ):
        assert path in paths, path
    upload_body = paths["/api/field/jobs/{job_id}/attachments"]["post"]["requestBody"]
    assert "multipart/form-data" in upload_body["content"]
    assert paths["/api/field/auth/code"]["post"]["security"] == []


def test_a_late_start_without_a_position_is_reckoned_from_the_previous_visit(
    day, app, as_key, clock
):
    metro, jobs, phone = day
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(Booking)
                .where(Booking.job_id.in_([j["id"] for j in jobs]))
                .order_by(Booking.sequence, Booking.id)
            )
        )
        previous, late = rows[0], rows[1]
        planned = late.estimated_start
        here, there = db.session.get(Job, previous.job_id), db.session.get(Job, late.job_id)
        dealer = metro.dealer
        seconds = GreatCircleTravel(dealer.road_factor, dealer.average_speed_kmh).seconds(
            (here.lat, here.lon), (there.lat, there.lon)
        )
    setting_off = planned + timedelta(minutes=20)  # the plan said be there 20 minutes ago
    clock.set(setting_off)
    started = post(
        as_key, phone, late.job_id, event("en_route", client_time=setting_off.isoformat())
    )
    payload = started.json["event"]["payload"]
    assert payload["eta_source"] == "route"
    expected = setting_off + timedelta(seconds=int(seconds))
    assert expected <= datetime_of(payload["eta_at"]) < expected + timedelta(minutes=1)
    [message] = sms_for(app, late.job_id, "on_the_way")
    assert payload["eta"] in message.body
