"""Alerts: tell a brand once per job, SLA and state (at risk, breached), by signed webhook and SMS."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta
from typing import Any

import requests
from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError

from app.db import transaction, utcnow
from app.errors import Conflict, NotFound, Unprocessable
from app.extensions import db
from app.jobs.models import Job
from app.network.models import Brand
from app.notify.service import queue_sms
from app.retry import backoff
from app.sla.metrics import Filters, job_states
from app.sla.models import SlaAlert

LOOKBACK = timedelta(days=90)
# Retries over about a day: 1 minute doubling to an hourly cap (1+2+…+32 min, then 23 h).
MAX_ATTEMPTS = 30
RETRY_BASE, RETRY_CAP = timedelta(minutes=1), timedelta(hours=1)
WEBHOOK_TIMEOUT_S = 5.0
STATUSES = ("pending", "sending", "delivered", "failed", "skipped")


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value: t=<unix time>,v1=<HMAC-SHA256 of "t.body">."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def find_changes() -> int:
    """Record an alert for every job, SLA and state newly at risk or breached; return how many."""
    now = utcnow()
    created = 0
    with transaction():
        brands = {b.id: b for b in db.session.scalars(select(Brand).order_by(Brand.id))}
        for brand_id, brand in brands.items():
            flagged, _ = job_states(
                Filters(brand_id=brand_id, created_from=now - LOOKBACK), now, per_page=100_000
            )
            if not flagged:
                continue
            job_ids = [item["facts"].job_id for item in flagged]
            recorded = select(SlaAlert.job_id, SlaAlert.sla, SlaAlert.state).where(
                SlaAlert.job_id.in_(job_ids)
            )
            known = {(row.job_id, row.sla, row.state) for row in db.session.execute(recorded)}
            jobs = {j.id: j for j in db.session.scalars(select(Job).where(Job.id.in_(job_ids)))}
            for item in flagged:
                fact = item["facts"]
                for sla, state in item["states"].items():
                    if state not in ("at_risk", "breached") or (fact.job_id, sla, state) in known:
                        continue
                    created += _record(brand, jobs[fact.job_id], fact, sla, state)
    return created


def _record(brand: Brand, job: Job, fact: Any, sla: str, state: str) -> int:
    due = getattr(fact, f"{sla}_due", None)  # first visit has no deadline
    payload = {
        "type": "sla.alert",
        "brand_id": brand.id,
        "job_id": job.id,
        "external_id": job.external_id,
        "dealer_id": job.dealer_id,
        "sla": sla,
        "state": state,
        "due_at": due.isoformat() if due else None,
        "job_status": job.status,
    }
    try:
        with db.session.begin_nested():
            alert = SlaAlert(
                job_id=job.id,
                brand_id=brand.id,
                sla=sla,
                state=state,
                due_at=due,
                payload=payload,
                status="pending" if brand.sla_webhook_url else "skipped",
            )
            db.session.add(alert)
            db.session.flush()
    except IntegrityError:
        return 0  # another scheduler recorded it first
    if brand.ops_phone and state == "breached":
        queue_sms(
            to=brand.ops_phone,
            template="sla_alert",
            locale="zh-CN" if brand.ops_phone.startswith("+86") else "en",
            context={
                "external_id": job.external_id,
                "sla": sla,
                "state": state,
                "state_zh": {"breached": "超时", "at_risk": "有超时风险"}[state],
                "due": payload["due_at"] or "",
            },
            zone=job.timezone,
            brand_id=brand.id,
            job_id=job.id,
            urgent=True,
            dedupe_key=f"sla:{job.id}:{sla}:{state}",
        )
    return 1


def deliver_webhooks(limit: int = 100) -> dict[str, int]:
    """POST due alerts to their brand's webhook, signed; retry with backoff; never send twice at once."""
    now = utcnow()
    ids = list(
        db.session.scalars(
            select(SlaAlert.id)
            .where(SlaAlert.status == "pending", SlaAlert.next_attempt_at <= now)
            .order_by(SlaAlert.id)
            .limit(limit)
        )
    )
    db.session.commit()
    outcomes: dict[str, int] = {}
    for alert_id in ids:
        outcome = _deliver(alert_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def _deliver(alert_id: int) -> str:
    with transaction():
        claimed = db.session.execute(
            update(SlaAlert)
            .where(SlaAlert.id == alert_id, SlaAlert.status == "pending")
            # The claim time, so release_stuck can tell a crashed delivery from a slow one.
            .values(status="sending", attempts=SlaAlert.attempts + 1, next_attempt_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    if getattr(claimed, "rowcount", 0) != 1:
        return "not claimed"
    alert = db.session.get(SlaAlert, alert_id)
    assert alert is not None
    db.session.refresh(alert)
    brand = db.session.get(Brand, alert.brand_id)
    assert brand is not None
    if not (brand.sla_webhook_url and brand.sla_webhook_secret):
        # Never POST unsigned (or signed with an empty key); redeliver once configured.
        with transaction():
            alert = db.session.get(SlaAlert, alert_id)
            assert alert is not None
            alert.status, alert.last_error = "failed", "no webhook URL and secret configured"
        return "failed"
    body = json.dumps(
        {**alert.payload, "alert_id": alert.id}, ensure_ascii=False, sort_keys=True
    ).encode()
    stamp = int(time.time())
    try:
        response = requests.post(
            brand.sla_webhook_url,
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-Fuwutong-Event": "sla.alert",
                "X-Fuwutong-Delivery": str(alert.id),
                "X-Fuwutong-Signature": sign(brand.sla_webhook_secret, stamp, body),
            },
            timeout=WEBHOOK_TIMEOUT_S,
        )
        error = None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"
    except requests.RequestException as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    with transaction():
        alert = db.session.get(SlaAlert, alert_id)
        assert alert is not None
        if error is None:
            alert.status, alert.delivered_at, alert.last_error = "delivered", utcnow(), None
            return "delivered"
        alert.last_error = error
        if alert.attempts >= MAX_ATTEMPTS:
            alert.status = "failed"
            return "failed"
        alert.status, alert.next_attempt_at = (
            "pending",
            utcnow() + backoff(alert.attempts, RETRY_BASE, RETRY_CAP, jitter=0.1),
        )
        return "retry"


STUCK_AFTER = timedelta(minutes=10)


def release_stuck() -> int:
    """Alerts left `sending` by a crashed scheduler go back to pending (a webhook may see an
    alert twice, which its X-Fuwutong-Delivery id lets it ignore; an SMS is never resent)."""
    with transaction():
        result = db.session.execute(
            update(SlaAlert)
            .where(SlaAlert.status == "sending", SlaAlert.next_attempt_at < utcnow() - STUCK_AFTER)
            .values(status="pending")
            .execution_options(synchronize_session=False)
        )
    return int(getattr(result, "rowcount", 0) or 0)


def list_alerts(
    brand_id: int, *, status: str | None = None, state: str | None = None
) -> Select[Any]:
    """The brand's alerts, newest first, optionally in one delivery status and SLA state."""
    stmt = select(SlaAlert).where(SlaAlert.brand_id == brand_id)
    if status is not None:
        stmt = stmt.where(SlaAlert.status == status)
    if state is not None:
        stmt = stmt.where(SlaAlert.state == state)
    return stmt.order_by(SlaAlert.id.desc())


def redeliver(brand: Brand, alert_id: int) -> SlaAlert:
    """Send a failed alert again: a fresh round of attempts starting now."""
    alert = db.session.get(SlaAlert, alert_id)
    if alert is None or alert.brand_id != brand.id:
        raise NotFound(f"SLA alert {alert_id} not found.")
    if alert.status != "failed":
        raise Conflict(
            f"SLA alert {alert_id} is {alert.status}; only failed alerts are redelivered.",
            code="not_failed",
        )
    if not brand.sla_webhook_url:
        raise Unprocessable("The brand has no sla_webhook_url to deliver to.")
    alert.status, alert.attempts, alert.next_attempt_at = "pending", 0, utcnow()
    db.session.flush()
    return alert
