"""The one JSON error shape, the domain errors, and the handlers that produce it."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Flask, Response, jsonify
from flask_limiter.errors import RateLimitExceeded
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class AppError(Exception):
    """A request that cannot be served as asked; rendered as the JSON error shape."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, Any] | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.status = status or self.status
        self.fields = fields or {}
        self.headers = headers or {}
        self.extra = extra


class BadRequest(AppError):
    status, code = 400, "bad_request"


class Unauthorized(AppError):
    status, code = 401, "unauthorized"


class Forbidden(AppError):
    status, code = 403, "forbidden"


class NotFound(AppError):
    status, code = 404, "not_found"


class Conflict(AppError):
    status, code = 409, "conflict"


class Gone(AppError):
    status, code = 410, "gone"


class Unprocessable(AppError):
    status, code = 422, "validation_error"


class TooManyRequests(AppError):
    status, code = 429, "rate_limited"


class ServiceUnavailable(AppError):
    status, code = 503, "service_unavailable"


def error_body(
    code: str, message: str, fields: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    """Build the one error payload."""
    return {"error": {"code": code, "message": message, "fields": fields or {}, **extra}}


def error_response(
    status: int,
    code: str,
    message: str,
    fields: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """Render the error payload as a JSON response."""
    response = jsonify(error_body(code, message, fields, **extra))
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


# Flask/werkzeug statuses mapped to stable machine codes.
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}


def _flatten_messages(messages: Any) -> dict[str, Any]:
    """Turn webargs' {location: {field: [msg]}} into {field: [msg]}."""
    if not isinstance(messages, dict):
        return {"_schema": messages}
    fields: dict[str, Any] = {}
    for location, errors in messages.items():
        if isinstance(errors, dict):
            fields.update(errors)
        else:
            fields[f"_{location}"] = errors
    return fields


def http_exception_response(error: HTTPException) -> Response:
    """Render any werkzeug HTTP error (including webargs validation aborts) as the error shape."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    code = _HTTP_CODES.get(status, "error" if status < 500 else "internal_error")
    message = data.get("message") or error.description or error.name
    fields: dict[str, Any] = {}
    if "messages" in data or "errors" in data:
        fields = _flatten_messages(data.get("errors", data.get("messages")))
        if status == 400 and "_json" in fields:
            code, message = "invalid_json", "The request body is not valid JSON."
        else:
            message = "The request did not validate; see fields."
    valid_methods = getattr(error, "valid_methods", None)
    if status == 405 and valid_methods:
        message = f"Method not allowed here; allowed: {', '.join(sorted(valid_methods))}."
    headers = dict(data.get("headers") or {})
    response = error_response(status, code, message, fields, headers)
    for name, value in error.get_headers():
        if name.lower() not in {"content-type", "content-length"}:
            response.headers[name] = value
    return response


def rate_limited_response(error: RateLimitExceeded) -> Response:
    """Render a Flask-Limiter refusal, saying when to try again."""
    from app.extensions import limiter

    current = limiter.current_limit
    retry = max(1, int(current.reset_at - time.time())) if current else 60
    message = (error.description or "Too many requests.").rstrip(".")
    return error_response(
        429,
        "rate_limited",
        f"{message}. Try again in {retry} s.",
        headers={"Retry-After": str(retry)},
        retry_after=retry,
    )


def transient_failure_response(error: Exception) -> Response:
    """Answer a unit of work the database kept refusing because of concurrent ones (503)."""
    from app.db import ATTEMPTS, RETRY_AFTER_SECONDS, sqlstate

    reason = "a deadlock" if sqlstate(error) == "40P01" else "concurrent changes"
    return error_response(
        503,
        "try_again",
        f"The database refused the change {ATTEMPTS} times because of {reason}; nothing "
        f"was saved. Send the same request again in {RETRY_AFTER_SECONDS} s.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        retry_after=RETRY_AFTER_SECONDS,
    )


def register_error_handlers(app: Flask) -> None:
    """Make every error answer with the one JSON shape."""

    app.register_error_handler(RateLimitExceeded, rate_limited_response)

    @app.errorhandler(AppError)
    def _app_error(error: AppError) -> Response:
        return error_response(
            error.status, error.code, error.message, error.fields, error.headers, **error.extra
        )

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        if isinstance(error, HTTPException):
            return http_exception_response(error)
        log.exception("unhandled error")
        return error_response(500, "internal_error", "An unexpected error occurred.")
