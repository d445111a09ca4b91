"""A brand with SLA policies, and helpers to walk jobs through their lifecycle on a frozen clock."""

from datetime import UTC, datetime, timedelta

import pytest

from app.auth.service import Actor
from app.db import transaction
from app.extensions import db
from app.jobs import service as jobs
from app.jobs.models import Job
from tests.factories import Metro

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tue 10:00 Shanghai
POLICY = {
    "assign_minutes": 60,
    "contact_minutes": 120,
    "schedule_minutes": 24 * 60,
    "complete_minutes": 3 * 24 * 60,
    "arrival_tolerance_minutes": 15,
}


class World:
    def __init__(self, app, client, admin, clock):
        self.app, self.client, self.clock = app, client, clock
        clock.set(NOW)
        self.metro = Metro(app, installers=2)
        self.brand_api = {"Authorization": f"Bearer {self.metro.brand_key}"}
        created = admin.post(f"/api/v1/brands/{self.metro.brand.id}/sla-policies", json=POLICY)
        assert created.status_code == 201, created.json
        self.policy = created.json

    def job(self, **overrides):
        return self.metro.job(self.client, **overrides)

    def book(self, job_id, index):
        windows = self.client.get(f"/api/v1/jobs/{job_id}/windows", headers=self.brand_api).json[
            "windows"
        ]
        response = self.client.post(
            f"/api/v1/jobs/{job_id}/booking",
            json={"window_start": windows[index]["start"]},
            headers=self.brand_api,
        )
        assert response.status_code == 201, response.json
        return response.json

    def step(self, job_id, *statuses, payload=None):
        with self.app.app_context(), transaction():
            job = db.session.get(Job, job_id)
            for status in statuses:
                jobs.transition(job, status, Actor("installer", "t"), payload=payload)

    def at(self, moment):
        self.clock.set(moment)

    def later(self, **delta):
        self.clock.set(self.clock.now + timedelta(**delta))


@pytest.fixture
def world(app, client, admin, clock):
    return World(app, client, admin, clock)
