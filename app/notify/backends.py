"""Where messages go: Twilio (the real one) or the log (the default; nothing leaves the machine)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol

import requests
from flask import current_app
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

log = logging.getLogger(__name__)

# Twilio errors worth retrying: too many requests; everything else 4xx is final.
TRANSIENT_CODES = frozenset({"20429", "20003"})


class SendError(Exception):
    """The provider refused or could not be reached."""

    def __init__(self, code: str, message: str, *, transient: bool) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.transient = transient


@dataclass(frozen=True)
class Sent:
    provider_id: str
    status: str  # the provider's first status (queued, accepted, sent …)


class Backend(Protocol):
    def send(self, *, to: str, body: str, status_callback: str | None) -> Sent: ...


class LogBackend:
    """Log the message and consider it delivered (it stands in for a phone on this machine)."""

    def send(self, *, to: str, body: str, status_callback: str | None) -> Sent:
        log.info("SMS to %s: %s", to, body)
        return Sent(provider_id="", status="delivered")


class TwilioBackend:
    """Send through Twilio's REST API; the HTTP client is pluggable (tests use a fake one)."""

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str = "",
        messaging_service_sid: str = "",
        http_client: HttpClient | None = None,
        timeout: float = 10,
    ) -> None:
        if not account_sid or not auth_token:
            raise ValueError("SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        if not from_number and not messaging_service_sid:
            raise ValueError("SMS_BACKEND=twilio needs TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID")
        # Without a timeout one stalled connection would block the sender for good; with it a
        # hang becomes a network error, which is retried.
        http_client = http_client or TwilioHttpClient(timeout=timeout)
        self.client = Client(account_sid, auth_token, http_client=http_client)
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid

    def send(self, *, to: str, body: str, status_callback: str | None) -> Sent:
        options: dict[str, Any] = {"to": to, "body": body}
        if self.messaging_service_sid:
            options["messaging_service_sid"] = self.messaging_service_sid
        else:
            options["from_"] = self.from_number
        if status_callback:
            options["status_callback"] = status_callback
        try:
            message = self.client.messages.create(**options)
        except TwilioRestException as error:
            code = str(error.code or error.status)
            transient = error.status >= 500 or error.status == 429 or code in TRANSIENT_CODES
            raise SendError(code, str(error.msg)[:300], transient=transient) from error
        except (requests.RequestException, TwilioException, OSError) as error:
            raise SendError("network", str(error)[:300], transient=True) from error
        return Sent(provider_id=message.sid or "", status=str(message.status or "queued"))


_http_client: HttpClient | None = None


def use_http_client(client: HttpClient | None) -> None:
    """Route Twilio calls through this HTTP client (tests: a recording fake; None: the real one)."""
    global _http_client
    _http_client = client


def backend() -> Backend:
    """The backend chosen by SMS_BACKEND."""
    config = current_app.config
    if config["SMS_BACKEND"] == "twilio":
        return TwilioBackend(
            account_sid=config["TWILIO_ACCOUNT_SID"],
            auth_token=config["TWILIO_AUTH_TOKEN"],
            from_number=config["TWILIO_FROM"],
            messaging_service_sid=config["TWILIO_MESSAGING_SERVICE_SID"],
            http_client=_http_client,
            timeout=float(config["TWILIO_TIMEOUT"]),
        )
    if config["SMS_BACKEND"] == "log":
        return LogBackend()
    raise ValueError(f"unknown SMS_BACKEND {config['SMS_BACKEND']!r} (use log or twilio)")
