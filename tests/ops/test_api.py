"""Operators' endpoints: liveness, readiness with the scheduler's heartbeat, Prometheus text,
request ids and JSON logs."""

from __future__ import annotations

import io
import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError

from app.db import transaction, utcnow
from app.extensions import db
from app.notify.models import OutboundMessage
from app.ops import logs, service
from app.ops.models import ProcessHeartbeat
from app.scheduler import run_task
from app.tasks import registry


def _sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus text, or None when absent."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        head, _, value = line.rpartition(" ")
        metric, _, rest = head.partition("{")
        found = ",".join(sorted(rest.rstrip("}").split(","))) if rest else ""
        if metric == name and found == wanted:
            return float(value)
    return None


def test_healthz_answers_without_credentials(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_degraded_until_the_scheduler_beats_and_again_when_it_goes_stale(
    app, client, clock
):
    body = client.get("/readyz").get_json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["scheduler"] == {"ok": False, "last_beat_at": None, "age_seconds": None}

    heartbeat = {task.id: task for task in registry()}["ops.heartbeat"]
    run_task(app, heartbeat)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"
    assert response.headers["Cache-Control"] == "no-store"

    clock.set(clock.now + service.STALE_AFTER + timedelta(seconds=1))
    response = client.get("/readyz")
    assert response.status_code == 200  # still serving: bookings are safe without SMS
    assert response.get_json()["status"] == "degraded"
    assert response.get_json()["checks"]["scheduler"]["age_seconds"] == 61.0


def test_a_second_beat_overwrites_the_one_row(app, clock):
    with app.app_context():
        service.beat()
        clock.set(clock.now + timedelta(seconds=15))
        second = service.beat()
        rows = db.session.query(ProcessHeartbeat).all()
        assert [(row.name, row.beat_at) for row in rows] == [("scheduler", second)]


def test_readyz_answers_503_when_the_database_does_not(client, monkeypatch):
    def fail(*_args, **_kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db.session, "execute", fail)
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == {"ok": False, "error": "OperationalError"}


def test_metrics_count_requests_by_route_and_read_queues(app, client, clock):
    with app.app_context(), transaction():
        for minutes in (10, 3):
            db.session.add(
                OutboundMessage(
                    to="+8613800000001",
                    body="hi",
                    template="t",
                    locale="zh-CN",
                    encoding="UCS-2",
                    segments=1,
                    next_attempt_at=utcnow() - timedelta(minutes=minutes),
                )
            )
        db.session.add(
            OutboundMessage(
                to="+8613800000002",
                body="later",
                template="t",
                locale="zh-CN",
                encoding="UCS-2",
                segments=1,
                next_attempt_at=utcnow() + timedelta(hours=8),  # quiet hours: not due
            )
        )
    before = _sample(
        client.get("/metrics").get_data(as_text=True),
        "fuwutong_http_requests_total",
        method="GET",
        endpoint="ops.healthz",
        status="200",
    )
    client.get("/healthz")
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    text = response.get_data(as_text=True)
    after = _sample(
        text, "fuwutong_http_requests_total", method="GET", endpoint="ops.healthz", status="200"
    )
    assert after == (before or 0) + 2
    assert _sample(text, "fuwutong_queue_due", queue="sms") == 2
    assert _sample(text, "fuwutong_queue_due", queue="plans") == 0
    assert _sample(text, "fuwutong_queue_oldest_due_seconds", queue="sms") == 600
    assert _sample(text, "fuwutong_scheduler_heartbeat_age_seconds") == -1


def test_metrics_ask_for_the_token_when_one_is_set(app, client):
    app.config["METRICS_TOKEN"] = "s3cret"
    try:
        refused = client.get("/metrics")
        assert refused.status_code == 401
        assert refused.get_json()["error"]["code"] == "unauthorized"
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        right = client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
        assert right.status_code == 200
    finally:
        app.config["METRICS_TOKEN"] = ""


def test_task_runs_are_counted_by_outcome(app, client):
    def before(outcome: str) -> float:
        text = client.get("/metrics").get_data(as_text=True)
        return _sample(text, "fuwutong_task_runs_total", task="ops.heartbeat", outcome=outcome) or 0

    ok = before("ok")
    task = {task.id: task for task in registry()}["ops.heartbeat"]
    run_task(app, task)
    assert before("ok") == ok + 1

    broken = type(task)(task.id, lambda: 1 / 0, task.trigger, task.description)
    failed = before("failed")
    assert run_task(app, broken) is None
    assert before("failed") == failed + 1


@pytest.mark.parametrize(
    ("given", "kept"),
    [("abc-123.def:9", True), ("", False), ("has space", False), ("x" * 65, False)],
)
def test_request_ids_are_kept_when_plain_and_made_otherwise(client, given, kept):
    response = client.get("/healthz", headers={"X-Request-ID": given} if given else {})
    answered = response.headers["X-Request-ID"]
    if kept:
        assert answered == given
    else:
        assert answered != given
        assert len(answered) == 32


def test_json_log_lines_carry_the_request_id_and_extra_fields(app):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(logs.RequestIdFilter())
    handler.setFormatter(logs.JsonFormatter())
    log = logging.getLogger("test.ops")
    log.addHandler(handler)
    try:
        with app.test_request_context("/x", headers={"X-Request-ID": "req-7"}):
            app.preprocess_request()
            log.warning("booked %s", "窗口", extra={"job_id": 42})
        log.error("outside a request")
    finally:
        log.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "booked 窗口"
    assert first["request_id"] == "req-7"
    assert first["job_id"] == 42
    assert first["level"] == "warning"
    assert first["time"].endswith("+00:00")
    assert "request_id" not in second


def test_the_probes_are_in_the_openapi_document(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    for path in ("/healthz", "/readyz", "/metrics"):
        assert paths[path]["get"]["security"] == []
    assert "text/plain" in paths["/metrics"]["get"]["responses"]["200"]["content"]
    assert "503" in paths["/readyz"]["get"]["responses"]
