"""/healthz (the process answers), /readyz (it can serve), /metrics (Prometheus)."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Response, current_app, jsonify, request

from app.errors import error_response
from app.extensions import limiter
from app.ops import blp, metrics, service
from app.ops.schemas import HealthSchema, ReadinessSchema

NO_AUTH: dict[str, Any] = {"security": []}


@blp.route("/healthz")
@limiter.exempt
@blp.response(200, HealthSchema)
@blp.doc(**NO_AUTH)
def healthz() -> Any:
    """Liveness: the web process answers (touches nothing else, so a slow database never
    gets a healthy process restarted)."""
    return {"status": "ok"}


@blp.route("/readyz")
@limiter.exempt
@blp.response(200, ReadinessSchema, description="Ready (status ok or degraded)")
@blp.alt_response(503, schema=ReadinessSchema, description="The database does not answer")
@blp.doc(**NO_AUTH)
def readyz() -> Any:
    """Readiness: the database answers. A stale scheduler heartbeat is reported as
    `degraded` (still 200): the API books safely while SMS and plans wait."""
    ready, body = service.readiness()
    response = jsonify(ReadinessSchema().dump(body))
    response.status_code = 200 if ready else 503
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/metrics")
@limiter.exempt
@blp.alt_response(401, description="METRICS_TOKEN is set and the bearer token differs")
@blp.doc(
    security=[],
    responses={
        "200": {
            "description": "Prometheus text exposition format (version 0.0.4)",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
def metrics_text() -> Any:
    """Request counts and latencies by route, task runs, queue depths and the scheduler's
    heartbeat age. When METRICS_TOKEN is set, send it as `Authorization: Bearer <token>`."""
    token = current_app.config.get("METRICS_TOKEN") or ""
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return error_response(
                401, "unauthorized", "Send the metrics token as 'Authorization: Bearer <token>'."
            )
    body, content_type = metrics.scrape()
    return Response(body, mimetype=None, content_type=content_type)
