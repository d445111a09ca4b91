"""A booking the database refuses with a serialization failure or a deadlock is run again;
when it keeps being refused the answer is 503 with Retry-After, and nothing was written."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.jobs.models import IdempotencyRecord, Job, JobEvent
from app.notify.models import OutboundMessage
from app.scheduling.models import Booking
from tests import factories, faults
from tests.factories import Metro

NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
STATES = ["40001", "40P01"]
# The booking row is written first, the confirmation SMS last: refusing either must leave
# no trace of the other.
TABLES = ["bookings", "sms_outbox"]


@pytest.fixture
def metro(app, clock):
    clock.set(NOW)
    return Metro(app)


def _window(api, job_id):
    found = api.get(f"/api/v1/jobs/{job_id}/windows").json["windows"]
    return found[5]["start"]


def _written(app, job_id):
    with app.app_context():
        return {
            "bookings": db.session.scalar(
                select(db.func.count()).select_from(Booking).where(Booking.job_id == job_id)
            ),
            "scheduled": db.session.scalar(
                select(db.func.count())
                .select_from(JobEvent)
                .where(JobEvent.job_id == job_id, JobEvent.type == "scheduled")
            ),
            "sms": db.session.scalar(
                select(db.func.count())
                .select_from(OutboundMessage)
                .where(OutboundMessage.job_id == job_id, OutboundMessage.template == "confirmed")
            ),
            "status": db.session.get(Job, job_id).status,
        }


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("state", STATES)
def test_booking_refused_once_succeeds_on_retry_and_is_written_once(
    app, client, as_key, metro, state, table
):
    api = as_key(metro.brand_key)
    job = metro.job(client)
    start = _window(api, job["id"])
    with faults.refuse(app, state, into=table, times=1) as injected:
        booked = api.post(f"/api/v1/jobs/{job['id']}/booking", json={"window_start": start})
    assert injected.count == 1
    assert booked.status_code == 201, booked.json
    assert booked.json["window_start"] == start
    assert _written(app, job["id"]) == {
        "bookings": 1,
        "scheduled": 1,
        "sms": 1,
        "status": "scheduled",
    }


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("state", STATES)
def test_booking_always_refused_answers_503_with_retry_after_and_writes_nothing(
    app, client, as_key, metro, state, table
):
    api = as_key(metro.brand_key)
    job = metro.job(client)
    start = _window(api, job["id"])
    with faults.refuse(app, state, into=table, times=None) as injected:
        refused = api.post(f"/api/v1/jobs/{job['id']}/booking", json={"window_start": start})
    assert injected.count == 3  # bounded: three attempts, then the answer
    assert refused.status_code == 503, refused.json
    assert refused.headers["Retry-After"] == "1"
    error = refused.json["error"]
    assert (error["code"], error["retry_after"], error["fields"]) == ("try_again", 1, {})
    assert "nothing was saved" in error["message"]
    assert _written(app, job["id"]) == {
        "bookings": 0,
        "scheduled": 0,
        "sms": 0,
        "status": "assigned",
    }
    # Sent again once the database lets it through, the same request books the job.
    again = api.post(f"/api/v1/jobs/{job['id']}/booking", json={"window_start": start})
    assert again.status_code == 201, again.json
    assert _written(app, job["id"])["bookings"] == 1


@pytest.mark.parametrize("state", STATES)
def test_intake_with_idempotency_key_refused_once_creates_one_job(app, metro, as_key, state):
    api = as_key(metro.brand_key)
    body = factories.job_payload(lat=metro.center[0], lon=metro.center[1])
    headers = {"Idempotency-Key": f"retry-{state}"}
    with faults.refuse(app, state, into="idempotency_records", times=1) as injected:
        first = api.post("/api/v1/jobs", json=body, headers=headers)
    assert injected.count == 1
    assert first.status_code == 201, first.json
    replay = api.post("/api/v1/jobs", json=body, headers=headers)
    assert (replay.status_code, replay.json["id"]) == (201, first.json["id"])
    assert factories.count(app, Job) == 1
    assert factories.count(app, IdempotencyRecord) == 1


def test_other_database_errors_are_answered_at_once(app, client, as_key, metro):
    api = as_key(metro.brand_key)
    job = metro.job(client)
    start = _window(api, job["id"])
    # lock_not_available is no reason to expect the same work to pass a moment later.
    with faults.refuse(app, "55P03", into="bookings", times=None) as injected:
        failed = api.post(f"/api/v1/jobs/{job['id']}/booking", json={"window_start": start})
    assert injected.count == 1
    assert (failed.status_code, failed.json["error"]["code"]) == (500, "internal_error")
    assert "Retry-After" not in failed.headers
    assert _written(app, job["id"])["bookings"] == 0
