"""Idempotent intake: one brand's Idempotency-Key yields one job, whatever the retries."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Response, current_app, jsonify, request
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.db import transaction, utcnow
from app.errors import Conflict, Unprocessable
from app.extensions import db
from app.jobs.models import IdempotencyRecord

MAX_KEY_LENGTH = 255
# The header as the OpenAPI document states it, for every intake endpoint.
IDEMPOTENCY_KEY_DOC = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
    "description": "Retry-safe key: the same key and body replay the first response",
}


@dataclass(frozen=True)
class Outcome:
    status: int
    body: dict[str, Any]
    replayed: bool


def fingerprint(payload: Any) -> str:
    """Hash a request body so that equal JSON, however formatted, compares equal."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str | None) -> str | None:
    """Validate an Idempotency-Key header value."""
    if key is None:
        return None
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise Unprocessable(
            f"Idempotency-Key must be 1–{MAX_KEY_LENGTH} printable characters.",
            code="invalid_idempotency_key",
            fields={"Idempotency-Key": ["invalid"]},
        )
    return key


def _live_record(brand_id: int, key: str) -> IdempotencyRecord | None:
    ttl = timedelta(hours=current_app.config["IDEMPOTENCY_TTL_HOURS"])
    record = db.session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.brand_id == brand_id, IdempotencyRecord.key == key
        )
    )
    if record is not None and record.created_at < utcnow() - ttl:
        db.session.delete(record)
        db.session.flush()
        return None
    return record


def _replay(record: IdempotencyRecord, digest: str) -> Outcome:
    if record.request_hash != digest:
        raise Unprocessable(
            "This Idempotency-Key was already used with a different request body.",
            code="idempotency_key_reused",
            fields={"Idempotency-Key": ["already used for another request"]},
        )
    return Outcome(record.status_code, record.response_body, replayed=True)


def run_once(
    *,
    brand_id: int,
    key: str | None,
    payload: Any,
    perform: Callable[[], dict[str, Any]],
    status: int = 201,
) -> Outcome:
    """Create once per (brand, key); a retry with the same body gets the first answer."""
    digest = fingerprint(payload)
    for attempt in range(2):
        try:
            with transaction():
                if key is not None:
                    record = _live_record(brand_id, key)
                    if record is not None:
                        return _replay(record, digest)
                body = perform()
                if key is not None:
                    db.session.add(
                        IdempotencyRecord(
                            brand_id=brand_id,
                            key=key,
                            request_hash=digest,
                            status_code=status,
                            response_body=body,
                        )
                    )
                    db.session.flush()
            return Outcome(status, body, replayed=False)
        except (IntegrityError, Conflict) as error:
            # A concurrent request with the same key (or external_id) committed after we looked
            # for the key: we hit its row at insert (IntegrityError) or the service found its
            # external_id (Conflict). Look again: the second pass replays it or reports the
            # duplicate.
            if attempt or (isinstance(error, Conflict) and key is None):
                raise
    raise AssertionError("unreachable")


def purge_expired() -> int:
    """Delete records older than the retention period; return how many."""
    ttl = timedelta(hours=current_app.config["IDEMPOTENCY_TTL_HOURS"])
    result = db.session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < utcnow() - ttl)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def intake_response(
    brand_id: int, perform: Callable[[], dict[str, Any]], location: str
) -> Response:
    """Run a brand's intake once per Idempotency-Key and answer it: the first response, or
    its replay (`Idempotent-Replayed: true`), with `Location` at `location` + the new id."""
    outcome = run_once(
        brand_id=brand_id,
        key=check_key(request.headers.get("Idempotency-Key")),
        payload=request.get_json(),
        perform=perform,
    )
    response = jsonify(outcome.body)
    response.status_code = outcome.status
    if outcome.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"{location}/{outcome.body['id']}"
    return response
