"""Exactly once under races: the same event sent by several connections at the same moment."""

import threading
import uuid

import requests
from sqlalchemy import func, select

from app.extensions import db
from app.jobs.models import JobEvent
from app.notify.models import OutboundMessage
from tests import factories
from tests.factories import FIELD_MORNING, field_day


def test_parallel_copies_of_one_event_apply_once(app, client, clock, live_server):
    metro, jobs = field_day(app, client, clock, jobs=1)
    token = factories.device_token(app, metro.installers[0])
    job_id = jobs[0]["id"]
    body = {
        "client_event_id": str(uuid.uuid4()),
        "type": "en_route",
        "client_time": FIELD_MORNING,
        "position": {"lat": 31.2404, "lon": 121.4737},  # a live ETA, so the consumer is texted
    }
    start = threading.Barrier(8)
    answers: list[tuple[int, str]] = []

    def send() -> None:
        with requests.Session() as session:
            start.wait()
            response = session.post(
                f"{live_server}/api/field/jobs/{job_id}/events",
                json=body,
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            answers.append((response.status_code, response.json().get("result", "")))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [(200, "replayed")] * 7 + [(201, "applied")]
    with app.app_context():
        count = db.session.scalar(
            select(func.count())
            .select_from(JobEvent)
            .where(JobEvent.job_id == job_id, JobEvent.type == "en_route")
        )
        texts = db.session.scalar(
            select(func.count())
            .select_from(OutboundMessage)
            .where(OutboundMessage.job_id == job_id, OutboundMessage.template == "on_the_way")
        )
    assert (count, texts) == (1, 1)
