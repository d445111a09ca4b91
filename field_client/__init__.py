"""Fuwutong field client: the installer's web app (web/, served at /field/) and a small typed
Python client for the field API, used by the tests, `fieldctl`, and dealers' own tools.

    from field_client import FieldClient

    with FieldClient("http://127.0.0.1:5000") as client:
        client.request_code("+8613900000001")
        client.verify_code("+8613900000001", "123456")
        for job in client.route().jobs:
            print(job.visit.sequence, job.consumer_name, job.actions)
        client.post_event(job.id, "en_route")

client_time is read from the machine's clock; pass `clock=` (a callable returning an aware
datetime) to FieldClient, event_body or fieldctl's main to read another one (tests pass theirs).
"""

from field_client._client import Clock, FieldClient, event_body, new_id, system_clock
from field_client._exceptions import (
    APIError,
    AuthenticationError,
    BadRequest,
    ConflictError,
    FieldError,
    Gone,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    ServerError,
    TransportError,
    UnsupportedMediaType,
    ValidationError,
)
from field_client._models import (
    Attachment,
    Device,
    Event,
    EventResult,
    Installer,
    Item,
    Job,
    Outcome,
    Route,
    Session,
    Visit,
)

__all__ = [
    "APIError",
    "Attachment",
    "AuthenticationError",
    "BadRequest",
    "Clock",
    "ConflictError",
    "Device",
    "Event",
    "EventResult",
    "FieldClient",
    "FieldError",
    "Gone",
    "Installer",
    "Item",
    "Job",
    "NotFound",
    "Outcome",
    "PayloadTooLarge",
    "PermissionDenied",
    "RateLimited",
    "Route",
    "ServerError",
    "Session",
    "TransportError",
    "UnsupportedMediaType",
    "ValidationError",
    "Visit",
    "event_body",
    "new_id",
    "system_clock",
]
