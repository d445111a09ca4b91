"""Job endpoints: intake, reading, changing, cancelling, the event log, listing."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from app.extensions import db
from app.jobs import service as jobs_service
from app.jobs.models import Job, JobEvent
from tests import factories


def _nothing_written(app):
    assert factories.count(app, Job) == 0
    assert factories.count(app, JobEvent) == 0


def _job_row(app, job_id):
    with app.app_context():
        job = db.session.get(Job, job_id)
        return {c.key: getattr(job, c.key) for c in Job.__table__.columns}


# --- create -------------------------------------------------------------------------------


def test_create_answers_the_job_and_writes_it_once(app, tenant):
    body = factories.job_payload(
        external_id="OAK-1",
        timezone="Asia/Shanghai",
        requested_by="2026-12-01",
        notes="call ahead",
        consumer={"name": "王芳", "phone": "+86 138 1234 5678"},
    )
    response = tenant.api.post("/api/v1/jobs", json=body)

    assert response.status_code == 201, response.json
    job = response.json
    assert response.headers["Location"] == f"/api/v1/jobs/{job['id']}"
    assert "Idempotent-Replayed" not in response.headers
    assert job["brand_id"] == tenant.brand.id
    assert job["external_id"] == "OAK-1"
    assert job["status"] == "created"
    assert job["allowed_next"] == ["assigned", "cancelled"]
    assert job["consumer"] == {"name": "王芳", "phone": "+8613812345678", "locale": "zh-CN"}
    assert (job["lat"], job["lon"], job["location_source"]) == (31.2304, 121.4737, "provided")
    assert job["requested_by"] == "2026-12-01"
    assert job["items"] == [{"sku": "DOOR-1", "name": "Oak door", "quantity": 1}]
    assert (job["dealer_id"], job["installer_id"]) == (None, None)
    assert job["created_at"].endswith("+00:00")
    assert factories.count(app, Job) == 1
    events = factories.rows(app, JobEvent)
    assert [(e.type, e.to_status, e.actor_role) for e in events] == [
        ("created", "created", "brand")
    ]
    assert events[0].actor_id.startswith(f"{tenant.brand.id}/key:")


def test_create_fills_defaults(tenant):
    body = factories.job_payload()
    del body["items"]
    body["consumer"] = {"name": "Li", "phone": "+8613912345678"}
    job = tenant.api.post("/api/v1/jobs", json=body).json
    assert job["items"] == []
    assert job["consumer"]["locale"] == "zh-CN"
    assert job["timezone"] == "Asia/Shanghai"
    assert job["notes"] == ""
    assert job["requested_by"] is None


MASS_ASSIGNMENT = ["status", "id", "dealer_id", "installer_id", "brand_id", "created_at"]
MASS_VALUES = {
    "status": "completed",
    "id": 99,
    "dealer_id": 1,
    "installer_id": 1,
    "brand_id": 1,
    "created_at": "2020-01-01T00:00:00+00:00",
}


@pytest.mark.parametrize("field", MASS_ASSIGNMENT)
def test_create_refuses_platform_fields(app, tenant, field):
    body = factories.job_payload(**{field: MASS_VALUES[field]})
    response = tenant.api.post("/api/v1/jobs", json=body)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error"
    assert response.json["error"]["fields"] == {field: ["Unknown field."]}
    _nothing_written(app)


BAD_BODIES = [
    ({"surprise": 1}, ["surprise"]),
    ({"category": "car"}, ["category"]),
    ({"kind": "teleport"}, ["kind"]),
    ({"timezone": "Mars/Olympus"}, ["timezone"]),
    ({"timezone": "localtime"}, ["timezone"]),
    ({"timezone": 8}, ["timezone"]),
    ({"consumer": {"name": "A", "phone": "12345"}}, ["consumer"]),
    ({"consumer": {"name": "A", "phone": "+86123"}}, ["consumer"]),
    ({"consumer": {"name": "A", "phone": "+8613812345678", "locale": "fr"}}, ["consumer"]),
    ({"consumer": None}, ["consumer"]),
    ({"requested_by": "2026-13-01"}, ["requested_by"]),
    ({"requested_by": "tomorrow"}, ["requested_by"]),
    ({"requested_by": "2026-12-01T10:00:00+08:00"}, ["requested_by"]),
    ({"lat": 31.2, "lon": None}, ["lat"]),
    ({"lat": 91, "lon": 121.4}, ["lat"]),
    ({"lat": 31.2, "lon": 181}, ["lon"]),
    ({"lat": "north", "lon": 121.4}, ["lat"]),
    ({"duration_minutes": "60"}, ["duration_minutes"]),
    ({"duration_minutes": 0}, ["duration_minutes"]),
    ({"items": [{"sku": "A", "name": "B", "quantity": 0}]}, ["items"]),
    ({"required_skills": ["door_install", "door_install"]}, ["required_skills"]),
    ({"required_skills": ["Door Install"]}, ["required_skills"]),
    ({"external_id": ""}, ["external_id"]),
    ({"address": "x"}, ["address"]),
]


@pytest.mark.parametrize(("changes", "fields"), BAD_BODIES)
def test_create_refuses_bad_input(app, tenant, changes, fields):
    response = tenant.api.post("/api/v1/jobs", json=factories.job_payload(**changes))
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_error"
    assert sorted(response.json["error"]["fields"]) == fields
    _nothing_written(app)


def test_create_refuses_lat_without_lon(app, tenant):
    body = factories.job_payload()
    del body["lon"]
    response = tenant.api.post("/api/v1/jobs", json=body)
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"lat": ["Send both lat and lon, or neither."]}
    _nothing_written(app)


@pytest.mark.parametrize("missing", ["external_id", "category", "kind", "consumer", "address"])
def test_create_requires_fields(app, tenant, missing):
    body = factories.job_payload()
    del body[missing]
    response = tenant.api.post("/api/v1/jobs", json=body)
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {missing: ["Missing data for required field."]}
    _nothing_written(app)


def test_external_id_reused_without_key_is_a_conflict_naming_the_job(app, tenant):
    first = tenant.api.post("/api/v1/jobs", json=factories.job_payload(external_id="A-1")).json
    again = tenant.api.post(
        "/api/v1/jobs", json=factories.job_payload(external_id="A-1", notes="other")
    )
    assert again.status_code == 409
    error = again.json["error"]
    assert error["code"] == "duplicate_external_id"
    assert error["job_id"] == first["id"]
    assert error["fields"] == {"external_id": ["already used"]}
    assert factories.count(app, Job) == 1


def test_the_same_external_id_is_free_for_another_brand(app, tenant, as_key):
    other = factories.brand(app)
    other_api = as_key(factories.api_key(app, "brand", brand=other))
    a = tenant.api.post("/api/v1/jobs", json=factories.job_payload(external_id="X-1"))
    b = other_api.post("/api/v1/jobs", json=factories.job_payload(external_id="X-1"))
    assert (a.status_code, b.status_code) == (201, 201)
    assert a.json["id"] != b.json["id"]


# --- read -------------------------------------------------------------------------------


def test_get_answers_the_job(app, tenant):
    job = factories.job(app, tenant.brand, external_id="G-1")
    response = tenant.api.get(f"/api/v1/jobs/{job.id}")
    assert response.status_code == 200
    assert response.json["id"] == job.id
    assert response.json["external_id"] == "G-1"


def test_get_unknown_job_is_404(tenant):
    response = tenant.api.get("/api/v1/jobs/4242")
    assert response.status_code == 404
    assert response.json == {
        "error": {"code": "not_found", "message": "Job 4242 not found.", "fields": {}}
    }


@pytest.mark.parametrize("path", ["/api/v1/jobs/2147483648", "/api/v1/jobs/99999999999999999999"])
def test_ids_beyond_the_database_range_are_404(tenant, path):
    response = tenant.api.get(path)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


# --- update -------------------------------------------------------------------------------


def test_patch_changes_details_and_records_what_changed(app, tenant):
    job = factories.job(app, tenant.brand, notes="")
    response = tenant.api.patch(
        f"/api/v1/jobs/{job.id}",
        json={"notes": "gate code 1234", "consumer": {"phone": "+8613912345678"}},
    )
    assert response.status_code == 200, response.json
    assert response.json["notes"] == "gate code 1234"
    # Only the phone was sent: the name and locale stay as they were.
    assert response.json["consumer"] == {
        "name": "王芳",
        "phone": "+8613912345678",
        "locale": "zh-CN",
    }
    events = factories.rows(app, JobEvent)
    assert [e.type for e in events] == ["created", "updated"]
    assert events[1].payload == {
        "changes": {
            "notes": {"from": "", "to": "gate code 1234"},
            "consumer_phone": {"from": "+8613812345678", "to": "+8613912345678"},
        }
    }
    assert events[1].from_status is None


def test_patch_with_no_change_writes_no_event(app, tenant):
    job = factories.job(app, tenant.brand, notes="same")
    response = tenant.api.patch(f"/api/v1/jobs/{job.id}", json={"notes": "same"})
    assert response.status_code == 200
    assert [e.type for e in factories.rows(app, JobEvent)] == ["created"]


def test_patch_address_geocodes_again(app, tenant):
    job = factories.job(app, tenant.brand)
    response = tenant.api.patch(f"/api/v1/jobs/{job.id}", json={"address": "上海市南京东路100号"})
    assert response.status_code == 200, response.json
    body = response.json
    assert body["location_source"] == "geocoded"
    # Nanjing East Road runs from (31.2350, 121.4750) to (31.2405, 121.4900); No. 100 of 800.
    assert body["lat"] == pytest.approx(31.2350 + 0.0055 * 100 / 800, abs=1e-6)
    assert body["lon"] == pytest.approx(121.4750 + 0.0150 * 100 / 800, abs=1e-6)


def test_patch_address_that_cannot_be_placed_changes_nothing(app, tenant):
    job = factories.job(app, tenant.brand)
    before = _job_row(app, job.id)
    response = tenant.api.patch(
        f"/api/v1/jobs/{job.id}", json={"address": "北京市朝阳区建国路88号"}
    )
    assert response.status_code == 422
    assert response.json["error"]["code"] == "address_not_found"
    assert _job_row(app, job.id) == before
    assert factories.count(app, JobEvent) == 1


@pytest.mark.parametrize("field", MASS_ASSIGNMENT)
def test_patch_refuses_platform_fields(app, tenant, field):
    job = factories.job(app, tenant.brand)
    before = _job_row(app, job.id)
    response = tenant.api.patch(f"/api/v1/jobs/{job.id}", json={field: MASS_VALUES[field]})
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {field: ["Unknown field."]}
    assert _job_row(app, job.id) == before
    assert factories.count(app, JobEvent) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lat": 31.2}, "lat"),
        ({"consumer": {"phone": "0800"}}, "consumer"),
        ({"consumer": {"locale": "xx"}}, "consumer"),
        ({"requested_by": "31/12/2026"}, "requested_by"),
        ({"items": "door"}, "items"),
        ({"external_id": "NEW"}, "external_id"),
        ({"timezone": "Asia/Tokyo"}, "timezone"),
    ],
)
def test_patch_refuses_bad_input(app, tenant, body, field):
    job = factories.job(app, tenant.brand)
    before = _job_row(app, job.id)
    response = tenant.api.patch(f"/api/v1/jobs/{job.id}", json=body)
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == [field]
    assert _job_row(app, job.id) == before


def test_address_is_locked_once_scheduled(app, tenant):
    job = factories.job(app, tenant.brand, status="scheduled", dealer_=tenant.dealer)
    response = tenant.api.patch(f"/api/v1/jobs/{job.id}", json={"address": "上海市南京东路1号"})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "location_locked"
    assert response.json["error"]["current_status"] == "scheduled"
    # Contact details may still change.
    assert tenant.api.patch(f"/api/v1/jobs/{job.id}", json={"notes": "n"}).status_code == 200


@pytest.mark.parametrize("status", ["completed", "cancelled"])
def test_closed_jobs_cannot_change(app, tenant, status):
    job = factories.job(app, tenant.brand, status=status, dealer_=tenant.dealer)
    response = tenant.api.patch(f"/api/v1/jobs/{job.id}", json={"notes": "late"})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "job_closed"


def test_concurrent_change_is_409_not_500(app, tenant, monkeypatch):
    job = factories.job(app, tenant.brand)
    real_update = jobs_service.update_job

    def update_after_someone_else(job, changes, actor):
        # Another writer commits a change between our read and our write.
        db.session.execute(
            text("UPDATE jobs SET version = version + 1 WHERE id = :id"), {"id": job.id}
        )
        return real_update(job, changes, actor)

    monkeypatch.setattr(jobs_service, "update_job", update_after_someone_else)
    response = tenant.api.patch(f"/api/v1/jobs/{job.id}", json={"notes": "mine"})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "concurrent_update"
    assert _job_row(app, job.id)["notes"] == ""
    assert _job_row(app, job.id)["version"] == job.version
    assert factories.count(app, JobEvent) == 1


def test_concurrent_cancel_is_409_not_500(app, tenant, monkeypatch):
    job = factories.job(app, tenant.brand)
    real_cancel = jobs_service.cancel_job

    def cancel_after_someone_else(job, reason, actor):
        db.session.execute(
            text("UPDATE jobs SET version = version + 1 WHERE id = :id"), {"id": job.id}
        )
        return real_cancel(job, reason, actor)

    monkeypatch.setattr(jobs_service, "cancel_job", cancel_after_someone_else)
    response = tenant.api.post(f"/api/v1/jobs/{job.id}/cancel", json={"reason": "r"})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "concurrent_update"
    assert _job_row(app, job.id)["status"] == "created"


# --- cancel and events ------------------------------------------------------------------


def test_cancel_then_cancel_again(app, tenant):
    job = factories.job(app, tenant.brand, status="assigned", dealer_=tenant.dealer)
    first = tenant.api.post(f"/api/v1/jobs/{job.id}/cancel", json={"reason": "moved house"})
    assert first.status_code == 200
    assert first.json["status"] == "cancelled"
    assert first.json["allowed_next"] == []

    again = tenant.api.post(f"/api/v1/jobs/{job.id}/cancel", json={"reason": "again"})
    assert again.status_code == 409
    error = again.json["error"]
    assert error["code"] == "illegal_transition"
    assert error["current_status"] == "cancelled"
    assert error["allowed_statuses"] == []
    assert "cancelled" in error["message"]

    events = tenant.api.get(f"/api/v1/jobs/{job.id}/events").json
    assert [(e["type"], e["from_status"], e["to_status"]) for e in events] == [
        ("created", None, "created"),
        ("assigned", "created", "assigned"),
        ("cancelled", "assigned", "cancelled"),
    ]
    assert events[-1]["payload"] == {"reason": "moved house"}
    assert events[-1]["actor_role"] == "brand"


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "x", "status": "created"}])
def test_cancel_needs_a_reason(app, tenant, body):
    job = factories.job(app, tenant.brand)
    response = tenant.api.post(f"/api/v1/jobs/{job.id}/cancel", json=body)
    assert response.status_code == 422
    assert _job_row(app, job.id)["status"] == "created"
    assert factories.count(app, JobEvent) == 1


def test_admin_may_cancel(app, tenant, admin):
    job = factories.job(app, tenant.brand)
    response = admin.post(f"/api/v1/jobs/{job.id}/cancel", json={"reason": "fraud"})
    assert response.status_code == 200
    events = admin.get(f"/api/v1/jobs/{job.id}/events").json
    assert events[-1]["actor_role"] == "admin"


def test_events_shape(app, tenant):
    job = factories.job(app, tenant.brand, status="dispatched", dealer_=tenant.dealer)
    events = tenant.api.get(f"/api/v1/jobs/{job.id}/events").json
    assert [e["to_status"] for e in events] == ["created", "assigned", "scheduled", "dispatched"]
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    assert set(events[0]) == {
        "id",
        "job_id",
        "type",
        "from_status",
        "to_status",
        "actor_role",
        "actor_id",
        "occurred_at",
        "client_time",
        "client_event_id",
        "payload",
    }
    assert all(e["job_id"] == job.id for e in events)


# --- list -------------------------------------------------------------------------------


def _set_created(app, job_id, when):
    with app.app_context():
        db.session.get(Job, job_id).created_at = when
        db.session.commit()


def _ids(response):
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["items"]]


def test_list_filters(app, tenant):
    a = factories.job(app, tenant.brand, external_id="L-A", category="door")
    b = factories.job(app, tenant.brand, status="assigned", dealer_=tenant.dealer)
    c = factories.job(app, tenant.brand, status="cancelled", category="appliance")
    base = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    for n, job in enumerate((a, b, c)):
        _set_created(app, job.id, base + timedelta(days=n))
    api = tenant.api

    assert _ids(api.get("/api/v1/jobs")) == [c.id, b.id, a.id]
    assert _ids(api.get("/api/v1/jobs?status=created")) == [a.id]
    assert _ids(api.get("/api/v1/jobs?status=created&status=cancelled")) == [c.id, a.id]
    assert _ids(api.get("/api/v1/jobs?category=appliance")) == [c.id]
    assert _ids(api.get("/api/v1/jobs?external_id=L-A")) == [a.id]
    assert _ids(api.get("/api/v1/jobs?external_id=nope")) == []
    assert _ids(api.get(f"/api/v1/jobs?dealer_id={tenant.dealer.id}")) == [b.id]
    # 2026-03-02 12:00 UTC is 20:00 in Shanghai and 07:00 in New York.
    shanghai = datetime(2026, 3, 2, 20, 0, tzinfo=ZoneInfo("Asia/Shanghai")).isoformat()
    new_york = datetime(2026, 3, 2, 7, 0, tzinfo=ZoneInfo("America/New_York")).isoformat()
    assert _ids(api.get("/api/v1/jobs", query_string={"created_from": shanghai})) == [c.id, b.id]
    assert _ids(api.get("/api/v1/jobs", query_string={"created_to": new_york})) == [a.id]
    assert _ids(
        api.get(
            "/api/v1/jobs",
            query_string={"created_from": "2026-03-01T12:00:00+00:00", "created_to": shanghai},
        )
    ) == [a.id]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("created_from=2026-03-01T12:00:00", "created_from"),
        ("created_to=2026-03-01", "created_to"),
        ("status=lost", "status"),
        ("category=car", "category"),
        ("page=0", "page"),
        ("per_page=201", "per_page"),
        ("brand_id=abc", "brand_id"),
        ("dealer_id=99999999999999999999", "dealer_id"),
    ],
)
def test_list_refuses_bad_filters(tenant, query, field):
    response = tenant.api.get(f"/api/v1/jobs?{query}")
    assert response.status_code == 422
    assert list(response.json["error"]["fields"]) == [field]


def test_list_pages(app, tenant):
    made = [factories.job(app, tenant.brand).id for _ in range(5)]
    newest_first = sorted(made, reverse=True)
    page1 = tenant.api.get("/api/v1/jobs?per_page=2")
    assert page1.json["total"] == 5
    assert (page1.json["page"], page1.json["per_page"]) == (1, 2)
    assert _ids(page1) == newest_first[:2]
    assert _ids(tenant.api.get("/api/v1/jobs?per_page=2&page=2")) == newest_first[2:4]
    last = tenant.api.get("/api/v1/jobs?per_page=2&page=3")
    assert _ids(last) == newest_first[4:]
    assert last.json["total"] == 5
    beyond = tenant.api.get("/api/v1/jobs?per_page=2&page=4")
    assert _ids(beyond) == []
    assert beyond.json["total"] == 5
    assert tenant.api.get("/api/v1/jobs?status=completed").json["total"] == 0


def test_admin_filters_by_brand_dealer_and_installer(app, tenant, admin):
    other_brand = factories.brand(app)
    installer = factories.installer(app, tenant.dealer)
    mine = factories.job(app, tenant.brand)
    theirs = factories.job(app, other_brand)
    sent = factories.job(
        app, tenant.brand, status="dispatched", dealer_=tenant.dealer, installer_=installer
    )
    assert sorted(_ids(admin.get("/api/v1/jobs"))) == sorted([mine.id, theirs.id, sent.id])
    assert _ids(admin.get(f"/api/v1/jobs?brand_id={other_brand.id}")) == [theirs.id]
    assert _ids(admin.get(f"/api/v1/jobs?installer_id={installer.id}")) == [sent.id]
    assert _ids(admin.get(f"/api/v1/jobs?dealer_id={tenant.dealer.id}")) == [sent.id]
    assert _ids(tenant.dealer_api.get(f"/api/v1/jobs?installer_id={installer.id}")) == [sent.id]
