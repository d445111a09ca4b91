"""A fake Twilio HTTP client (no network) and a Twilio-configured app."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from twilio.http import HttpClient
from twilio.http.response import Response

from app.notify import backends

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token-123"
FROM = "+15005550006"
CALLBACK = "https://fwt.example/webhooks/twilio/status"


class FakeTwilioHttp(HttpClient):
    """Records every request Twilio's client would send and answers from a script."""

    def __init__(self) -> None:
        super().__init__(logger=__import__("logging").getLogger("fake-twilio"), is_async=False)
        self.calls: list[dict[str, Any]] = []
        self.script: list[Any] = []  # (status, body) tuples or exceptions, used in order
        self.lock = threading.Lock()
        self.counter = 0

    def request(
        self,
        method,
        uri,
        params=None,
        data=None,
        headers=None,
        auth=None,
        timeout=None,
        allow_redirects=False,
    ):  # type: ignore[no-untyped-def]
        with self.lock:
            self.calls.append(
                {"method": method, "uri": uri, "data": dict(data or {}), "auth": auth}
            )
            step = self.script.pop(0) if self.script else None
            self.counter += 1
            sid = f"SM{self.counter:032d}"
        if isinstance(step, Exception):
            raise step
        status, body = step or (201, {"sid": sid, "status": "queued"})
        return Response(status, json.dumps(body), headers={})


def twilio_error(status: int, code: int, message: str = "error") -> tuple[int, dict[str, Any]]:
    return status, {
        "code": code,
        "message": message,
        "more_info": "https://www.twilio.com/docs/errors",
        "status": status,
    }


@pytest.fixture
def twilio(app, monkeypatch) -> Iterator[FakeTwilioHttp]:  # type: ignore[no-untyped-def]
    """Switch the app to the Twilio backend, talking to a recording fake."""
    fake = FakeTwilioHttp()
    for key, value in {
        "SMS_BACKEND": "twilio",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM": FROM,
        "TWILIO_STATUS_CALLBACK_URL": CALLBACK,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    backends.use_http_client(fake)
    yield fake
    backends.use_http_client(None)
