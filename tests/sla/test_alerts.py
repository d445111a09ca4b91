"""Alerts: once per job, SLA and state; signed webhooks with retries; an SMS for breaches."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from app.extensions import db
from app.notify.models import OutboundMessage
from app.retry import backoff
from app.sla import alerts
from app.sla.models import SlaAlert

SECRET = "s3cret-s3cret-s3cret"


@pytest.fixture
def hook():
    """A local HTTP endpoint recording POSTs; answers with the next scripted status."""
    received, script = [], []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(script.pop(0) if script else 204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hooks/sla", received, script
    server.shutdown()
    server.server_close()


def find(app):
    with app.app_context():
        return alerts.find_changes()


def alert_rows(app):
    with app.app_context():
        return [
            (a.job_id, a.sla, a.state, a.status)
            for a in db.session.scalars(select(SlaAlert).order_by(SlaAlert.id))
        ]


def test_each_job_sla_and_state_is_alerted_once(world, app, admin):
    job = world.job()
    world.later(hours=20)  # schedule at risk; contact (2 h, nothing delivered) long breached
    assert find(app) == 2
    assert find(app) == 0
    world.later(hours=5)  # schedule now breached: a new, different alert
    assert find(app) == 1
    assert sorted((sla, state) for _, sla, state, _ in alert_rows(app)) == [
        ("contact", "breached"),
        ("schedule", "at_risk"),
        ("schedule", "breached"),
    ]
    assert {status for *_, status in alert_rows(app)} == {"skipped"}  # no webhook configured
    assert all(row[0] == job["id"] for row in alert_rows(app))


def test_two_schedulers_record_each_alert_once(world, app):
    for _ in range(4):
        world.job()
    world.later(hours=25)
    barrier = threading.Barrier(2)
    counts = []

    def run():
        barrier.wait()
        counts.append(find(app))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rows = alert_rows(app)
    assert len(rows) == len({row[:3] for row in rows}) == sum(counts)
    assert {(sla, state) for _, sla, state, _ in rows} >= {("schedule", "breached")}


def test_webhooks_are_signed_and_retried(world, app, admin, hook, clock):
    url, received, script = hook
    assert (
        admin.patch(
            f"/api/v1/brands/{world.metro.brand.id}",
            json={"sla_webhook_url": url, "sla_webhook_secret": SECRET},
        ).status_code
        == 200
    )
    job = world.job()
    world.later(hours=25)
    find(app)
    script.extend([500])
    with app.app_context():
        first = alerts.deliver_webhooks()
    assert first["retry"] >= 1
    pending = [a for a in alert_rows(app) if a[3] == "pending"]
    assert pending
    clock.set(clock.now + timedelta(hours=2))
    with app.app_context():
        assert alerts.deliver_webhooks().get("delivered", 0) == len(pending)
        assert alerts.deliver_webhooks() == {}
    headers, body = received[-1]
    stamp, mac = headers["X-Fuwutong-Signature"].split(",")
    timestamp = stamp.removeprefix("t=")
    expected = hmac.new(
        SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    assert mac == f"v1={expected}"
    payload = json.loads(body)
    assert payload["job_id"] == job["id"] and payload["type"] == "sla.alert"
    assert headers["X-Fuwutong-Event"] == "sla.alert"
    assert {a[3] for a in alert_rows(app)} == {"delivered"}


def test_breaches_text_the_operations_phone_once(world, app, admin):
    admin.patch(f"/api/v1/brands/{world.metro.brand.id}", json={"ops_phone": "+8613700000001"})
    world.job()
    world.later(hours=25)
    find(app)
    find(app)
    with app.app_context():
        texts = list(
            db.session.scalars(
                select(OutboundMessage).where(OutboundMessage.to == "+8613700000001")
            )
        )
    assert texts and all(t.template == "sla_alert" for t in texts)
    assert len({t.body for t in texts}) == len(texts)
    assert any("超时" in t.body for t in texts)


def test_a_webhook_url_needs_a_secret(world, admin, hook):
    url, *_ = hook
    brand = f"/api/v1/brands/{world.metro.brand.id}"
    refused = admin.patch(brand, json={"sla_webhook_url": url})
    assert refused.status_code == 422
    assert "sla_webhook_secret" in refused.json["error"]["message"]
    both = admin.patch(brand, json={"sla_webhook_url": url, "sla_webhook_secret": SECRET})
    assert both.status_code == 200
    assert admin.patch(brand, json={"sla_webhook_secret": None}).status_code == 422
    assert admin.patch(brand, json={"sla_webhook_url": None}).status_code == 200


def test_retries_last_about_a_day():
    import random

    waits = [
        backoff(n, alerts.RETRY_BASE, alerts.RETRY_CAP, jitter=0.1, rng=random.Random(n))
        for n in range(1, alerts.MAX_ATTEMPTS)
    ]
    assert max(waits) <= timedelta(hours=1)
    assert timedelta(hours=20) <= sum(waits, timedelta()) <= timedelta(hours=25)


def test_failed_alerts_are_listed_and_can_be_redelivered(world, app, admin, hook, clock, as_key):
    url, _, script = hook
    brand = f"/api/v1/brands/{world.metro.brand.id}"
    admin.patch(brand, json={"sla_webhook_url": url, "sla_webhook_secret": SECRET})
    world.job()
    world.later(hours=25)
    recorded = find(app)
    script.extend([500] * recorded * alerts.MAX_ATTEMPTS)
    started = clock.now
    for _ in range(alerts.MAX_ATTEMPTS):
        with app.app_context():
            alerts.deliver_webhooks()
        clock.set(clock.now + alerts.RETRY_CAP)
    assert clock.now - started >= timedelta(hours=24)
    assert {row[3] for row in alert_rows(app)} == {"failed"}
    listed = admin.get(f"{brand}/sla-alerts", query_string={"status": "failed", "per_page": 1})
    assert listed.status_code == 200, listed.json
    assert (listed.json["total"], len(listed.json["items"])) == (recorded, 1)
    alert = listed.json["items"][0]
    assert (alert["attempts"], alert["last_error"]) == (alerts.MAX_ATTEMPTS, "HTTP 500")
    assert admin.get(f"{brand}/sla-alerts", query_string={"status": "delivered"}).json["total"] == 0
    # The brand itself may see and replay its alerts; another brand may not.
    mine = {"Authorization": f"Bearer {world.metro.brand_key}"}
    again = world.client.post(f"{brand}/sla-alerts/{alert['id']}/redeliver", headers=mine)
    assert again.status_code == 200, again.json
    assert (again.json["status"], again.json["attempts"]) == ("pending", 0)
    twice = world.client.post(f"{brand}/sla-alerts/{alert['id']}/redeliver", headers=mine)
    assert twice.status_code == 409
    from tests.factories import Metro

    other = Metro(app)
    theirs = as_key(other.brand_key).get(f"{brand}/sla-alerts")
    assert theirs.status_code == 404
    script.clear()
    with app.app_context():
        assert alerts.deliver_webhooks() == {"delivered": 1}
