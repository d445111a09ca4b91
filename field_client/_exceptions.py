"""Errors raised by the field client: one class per answer the API gives, plus transport."""

from __future__ import annotations

from typing import Any


class FieldError(Exception):
    """Anything that went wrong talking to the field API."""


class TransportError(FieldError):
    """The server could not be reached (no signal, timeout, refused connection)."""


class APIError(FieldError):
    """The server answered with an error: {"error": {"code", "message", "fields"}}."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        raw = body.get("error")
        detail: dict[str, Any] = raw if isinstance(raw, dict) else {}
        self.status = status
        self.code: str = str(detail.get("code") or "error")
        self.message: str = str(detail.get("message") or f"HTTP {status}")
        self.fields: dict[str, Any] = dict(detail.get("fields") or {})
        self.detail: dict[str, Any] = dict(detail)
        super().__init__(f"{status} {self.code}: {self.message}")


class BadRequest(APIError):
    """400: the request could not be read."""


class AuthenticationError(APIError):
    """401: no, unknown, expired or revoked device token; or a wrong sign-in code."""


class PermissionDenied(APIError):
    """403: the credential's role may not call this endpoint."""


class NotFound(APIError):
    """404: no such object, or not yours."""


class ConflictError(APIError):
    """409: the job's state does not allow it (see current_status)."""

    @property
    def current_status(self) -> str | None:
        value = self.detail.get("current_status")
        return str(value) if value is not None else None


class Gone(APIError):
    """410: an invite link that was used or expired."""


class PayloadTooLarge(APIError):
    """413: the upload is larger than the server accepts."""


class UnsupportedMediaType(APIError):
    """415: not JSON, or an upload that is not JPEG, PNG or WebP."""


class ValidationError(APIError):
    """422: the input did not validate; see fields."""


class RateLimited(APIError):
    """429: too many requests; retry_after says how many seconds to wait."""

    @property
    def retry_after(self) -> int | None:
        value = self.detail.get("retry_after")
        return int(value) if value is not None else None


class ServerError(APIError):
    """5xx: the server failed."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    409: ConflictError,
    410: Gone,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: ValidationError,
    429: RateLimited,
}


def error_for(status: int, body: Any) -> APIError:
    """The exception for an error answer."""
    kind = _BY_STATUS.get(status, ServerError if status >= 500 else APIError)
    return kind(status, body if isinstance(body, dict) else {})
