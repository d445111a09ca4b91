"""Booking the window a job already has changes nothing: no event, no SMS."""

from datetime import UTC, datetime

import pytest

from app.auth.links import make_token
from app.db import transaction
from app.extensions import db
from app.jobs import service as jobs
from app.jobs.enums import JobStatus
from app.jobs.models import Job
from tests import factories
from tests.factories import Metro

NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
def metro(app, clock):
    clock.set(NOW)
    return Metro(app)


def counts(api, admin, job_id):
    events = api.get(f"/api/v1/jobs/{job_id}/events").json
    sms = admin.get("/api/v1/sms/messages", query_string={"job_id": job_id}).json["total"]
    return len(events), sms


def first_window(api, job_id, n=5):
    found = api.get(f"/api/v1/jobs/{job_id}/windows").json["windows"]
    return found[n]["start"]


def test_posting_the_booked_window_again_changes_nothing(metro, client, as_key, admin):
    api = as_key(metro.brand_key)
    job = metro.job(client)
    start = first_window(api, job["id"])
    booked = api.post(f"/api/v1/jobs/{job['id']}/booking", json={"window_start": start})
    assert booked.status_code == 201, booked.json
    before = counts(api, admin, job["id"])
    assert before[1] >= 2  # the invitation and the confirmation were queued

    again = api.post(f"/api/v1/jobs/{job['id']}/booking", json={"window_start": start})
    assert again.status_code == 200, again.json
    assert again.json == booked.json  # the same booking, untouched
    # The same instant written in UTC is the same window.
    utc = datetime.fromisoformat(start).astimezone(UTC).isoformat()
    assert api.post(f"/api/v1/jobs/{job['id']}/booking", json={"window_start": utc}).json == (
        booked.json
    )
    assert counts(api, admin, job["id"]) == before
    assert api.get(f"/api/v1/jobs/{job['id']}").json["status"] == "scheduled"

    # Another window still reschedules: one event, one more confirmation.
    later = first_window(api, job["id"], n=12)
    moved = api.post(f"/api/v1/jobs/{job['id']}/booking", json={"window_start": later})
    assert moved.status_code == 200
    assert counts(api, admin, job["id"]) == (before[0] + 1, before[1] + 1)


def test_a_dispatched_job_stays_dispatched_when_its_window_is_posted_again(
    metro, app, client, as_key, admin
):
    api = as_key(metro.dealer_key)
    job = metro.job(client)
    start = first_window(api, job["id"])
    assert (
        api.post(f"/api/v1/jobs/{job['id']}/booking", json={"window_start": start}).status_code
        == 201
    )
    with app.app_context(), transaction():
        jobs.transition(db.session.get(Job, job["id"]), JobStatus.DISPATCHED, factories.ADMIN_ACTOR)
    before = counts(api, admin, job["id"])
    again = api.post(f"/api/v1/jobs/{job['id']}/booking", json={"window_start": start})
    assert again.status_code == 200
    assert api.get(f"/api/v1/jobs/{job['id']}").json["status"] == "dispatched"
    assert counts(api, admin, job["id"]) == before


def test_the_consumer_picking_the_booked_window_again_changes_nothing(
    metro, app, client, as_key, admin
):
    api = as_key(metro.brand_key)
    job = metro.job(client)
    with app.app_context():
        token = make_token(job["id"], "book")
    start = first_window(api, job["id"])
    done = client.post(f"/b/{token}/book", data={"window_start": start})
    assert done.headers["Location"].endswith("done=booked")
    before = counts(api, admin, job["id"])
    again = client.post(f"/b/{token}/book", data={"window_start": start})
    assert again.status_code == 303
    assert "done=rescheduled" not in again.headers["Location"]  # no "we sent you SMS" banner
    assert counts(api, admin, job["id"]) == before
