"""FieldClient: the installer's side of the field API, over requests."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import requests

from field_client._exceptions import TransportError, error_for
from field_client._models import Attachment, EventResult, Job, Route, Session

DEFAULT_TIMEOUT = 10.0
ACTIONS = ("en_route", "arrived", "start_work", "complete", "fail")
REASONS = ("customer_absent", "wrong_or_damaged_item", "site_not_ready", "needs_parts", "other")

# What a client reads the time from: an aware datetime now. The machine's clock unless given
# (tests pass their frozen clock so client_time agrees with the server's time).
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The machine's clock, in UTC."""
    return datetime.now(UTC)


def new_id() -> str:
    """A fresh client id for an event or upload (a UUID)."""
    return str(uuid.uuid4())


def event_body(
    action: str,
    *,
    client_event_id: str | None = None,
    client_time: datetime | None = None,
    clock: Clock = system_clock,
    position: tuple[float, float] | None = None,
    accuracy_m: float | None = None,
    reason: str | None = None,
    note: str = "",
    checklist: Iterable[tuple[str, bool]] = (),
    signer_name: str | None = None,
    photos: Sequence[str] = (),
    signature: str | None = None,
) -> dict[str, Any]:
    """The JSON of one status change; keep it (with its id) to resend it safely. client_time
    is the moment of the change: `clock()` unless given."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    when = client_time or clock()
    if when.tzinfo is None:
        raise ValueError("client_time must carry a time zone")
    body: dict[str, Any] = {
        "client_event_id": client_event_id or new_id(),
        "type": action,
        "client_time": when.isoformat(),
        "note": note,
    }
    if position is not None:
        body["position"] = {"lat": position[0], "lon": position[1], "accuracy_m": accuracy_m}
    if reason is not None:
        body["reason"] = reason
    if checklist:
        body["checklist"] = [{"label": label, "done": done} for label, done in checklist]
    if signer_name is not None:
        body["signer_name"] = signer_name
    if photos:
        body["photos"] = list(photos)
    if signature is not None:
        body["signature"] = signature
    return body


class FieldClient:
    """Sign in as an installer, read the route, and post status changes and proof of work."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.clock = clock
        self.token = token
        self.timeout = timeout
        self._session = session or requests.Session()
        self._owns_session = session is None

    def __enter__(self) -> FieldClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connections this client opened."""
        if self._owns_session:
            self._session.close()

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = self._session.request(
                method, self.base_url + path, headers=headers, timeout=self.timeout, **kwargs
            )
        except requests.RequestException as error:
            raise TransportError(f"{method} {path}: {error}") from error
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = {}
            raise error_for(response.status_code, body)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._request(method, path, **kwargs).json()

    # Sign-in

    def request_code(self, phone: str, *, locale: str = "zh-CN") -> None:
        """Ask for a 6-digit code by SMS (the answer does not say whether the number is known)."""
        self._request("POST", "/api/field/auth/code", json={"phone": phone, "locale": locale})

    def verify_code(self, phone: str, code: str, *, device_name: str = "fieldctl") -> Session:
        """Exchange the SMS code for a device token; the client uses it from now on."""
        body = {"phone": phone, "code": code, "device_name": device_name}
        session = Session.from_json(self._json("POST", "/api/field/auth/verify", json=body))
        self.token = session.token
        return session

    def redeem_invite(self, invite: str, *, device_name: str = "fieldctl") -> Session:
        """Sign in with a dealer's invite link (or the token after #invite=)."""
        token = invite.split("#invite=", 1)[-1]
        body = {"token": token, "device_name": device_name}
        session = Session.from_json(self._json("POST", "/api/field/auth/invite", json=body))
        self.token = session.token
        return session

    def me(self) -> Session:
        """Who this token signs in as (the token itself is not repeated)."""
        return Session.from_json(self._json("GET", "/api/field/me"))

    def logout(self) -> None:
        """Revoke this token."""
        self._request("POST", "/api/field/auth/logout")
        self.token = None

    # Work

    def route(self, day: date | None = None) -> Route:
        """The jobs of a day (default today) in planned order."""
        params = {"date": day.isoformat()} if day else None
        return Route.from_json(self._json("GET", "/api/field/route", params=params))

    def job(self, job_id: int) -> Job:
        """One job."""
        return Job.from_json(self._json("GET", f"/api/field/jobs/{job_id}"))

    def post_event(self, job_id: int, action: str, **fields: Any) -> EventResult:
        """Post one status change (see event_body for the fields); 409 raises ConflictError."""
        body = fields.pop("body", None) or event_body(action, clock=self.clock, **fields)
        data = self._json("POST", f"/api/field/jobs/{job_id}/events", json=body)
        return EventResult.from_json(data)

    def sync(self, events: Sequence[Mapping[str, Any]]) -> list[EventResult]:
        """Send queued events (each an event_body plus job_id) in order; rejections are results."""
        data = self._json("POST", "/api/field/sync", json={"events": [dict(e) for e in events]})
        return [EventResult.from_json(r) for r in data["results"]]

    def upload(
        self,
        job_id: int,
        kind: str,
        content: bytes | IO[bytes] | str | Path,
        *,
        content_type: str = "application/octet-stream",
        client_upload_id: str | None = None,
    ) -> Attachment:
        """Upload a photo or signature (JPEG, PNG or WebP); a retry with the same id is safe."""
        if isinstance(content, str | Path):
            content = Path(content).read_bytes()
        params = {"kind": kind, "client_upload_id": client_upload_id or new_id()}
        files = {"file": ("upload", content, content_type)}
        data = self._json(
            "POST", f"/api/field/jobs/{job_id}/attachments", params=params, files=files
        )
        return Attachment.from_json(data)

    def attachment_content(self, attachment_id: int) -> bytes:
        """The bytes of one of your jobs' photos or signatures."""
        return self._request("GET", f"/api/field/attachments/{attachment_id}/content").content
