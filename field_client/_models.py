"""What the field API answers, as typed, immutable values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


def _instant(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class Installer:
    id: int
    name: str
    phone: str
    timezone: str
    dealer_id: int
    dealer_name: str
    dealer_phone: str | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Installer:
        return cls(
            data["id"],
            data["name"],
            data["phone"],
            data["timezone"],
            data["dealer_id"],
            data["dealer_name"],
            data.get("dealer_phone"),
        )


@dataclass(frozen=True)
class Device:
    """One signed-in phone (or script)."""

    id: int
    name: str
    via: str
    prefix: str
    active: bool
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Device:
        return cls(
            data["id"],
            data["name"],
            data["via"],
            data["prefix"],
            data["active"],
            datetime.fromisoformat(data["created_at"]),
            datetime.fromisoformat(data["expires_at"]),
            _instant(data.get("last_used_at")),
            _instant(data.get("revoked_at")),
        )


@dataclass(frozen=True)
class Session:
    """A sign-in: the device token to send, who it belongs to, and the device record."""

    token: str | None
    installer: Installer
    device: Device

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Session:
        return cls(
            data.get("token"),
            Installer.from_json(data["installer"]),
            Device.from_json(data["device"]),
        )


@dataclass(frozen=True)
class Item:
    sku: str
    name: str
    quantity: int


@dataclass(frozen=True)
class Visit:
    """The booked window (local time) and the job's place in the day's route."""

    local_date: date
    sequence: int
    window_start: datetime
    window_end: datetime
    estimated_start: datetime

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Visit:
        return cls(
            date.fromisoformat(data["local_date"]),
            data["sequence"],
            datetime.fromisoformat(data["window_start"]),
            datetime.fromisoformat(data["window_end"]),
            datetime.fromisoformat(data["estimated_start"]),
        )


@dataclass(frozen=True)
class Outcome:
    status: str
    reason: str | None
    note: str
    at: datetime


@dataclass(frozen=True)
class Attachment:
    id: int
    job_id: int
    kind: str
    content_type: str
    size: int
    width: int
    height: int
    sha256: str
    client_upload_id: str | None
    created_at: datetime

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Attachment:
        return cls(
            data["id"],
            data["job_id"],
            data["kind"],
            data["content_type"],
            data["size"],
            data["width"],
            data["height"],
            data["sha256"],
            data.get("client_upload_id"),
            datetime.fromisoformat(data["created_at"]),
        )


@dataclass(frozen=True)
class Job:
    """A job as the installer's phone sees it."""

    id: int
    external_id: str
    status: str
    dispatched: bool
    actions: tuple[str, ...]
    visit: Visit | None
    outcome: Outcome | None
    brand: str
    kind: str
    category: str
    duration_minutes: int
    required_skills: tuple[str, ...]
    items: tuple[Item, ...]
    notes: str
    consumer_name: str
    consumer_phone: str
    address: str
    lat: float
    lon: float
    timezone: str
    attachments: tuple[Attachment, ...]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Job:
        outcome = data.get("outcome")
        return cls(
            id=data["id"],
            external_id=data["external_id"],
            status=data["status"],
            dispatched=data["dispatched"],
            actions=tuple(data["actions"]),
            visit=Visit.from_json(data["visit"]) if data.get("visit") else None,
            outcome=(
                Outcome(
                    outcome["status"],
                    outcome.get("reason"),
                    outcome["note"],
                    datetime.fromisoformat(outcome["at"]),
                )
                if outcome
                else None
            ),
            brand=data["brand"],
            kind=data["kind"],
            category=data["category"],
            duration_minutes=data["duration_minutes"],
            required_skills=tuple(data["required_skills"]),
            items=tuple(Item(i["sku"], i["name"], i["quantity"]) for i in data["items"]),
            notes=data["notes"],
            consumer_name=data["consumer"]["name"],
            consumer_phone=data["consumer"]["phone"],
            address=data["address"],
            lat=data["lat"],
            lon=data["lon"],
            timezone=data["timezone"],
            attachments=tuple(Attachment.from_json(a) for a in data["attachments"]),
        )


@dataclass(frozen=True)
class Route:
    day: date
    today: date
    timezone: str
    jobs: tuple[Job, ...]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Route:
        return cls(
            date.fromisoformat(data["date"]),
            date.fromisoformat(data["today"]),
            data["timezone"],
            tuple(Job.from_json(j) for j in data["jobs"]),
        )


@dataclass(frozen=True)
class Event:
    """An entry of the job's event log."""

    id: int
    type: str
    from_status: str | None
    to_status: str | None
    occurred_at: datetime
    client_time: datetime | None
    client_event_id: str | None
    payload: dict[str, Any]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Event:
        return cls(
            data["id"],
            data["type"],
            data.get("from_status"),
            data.get("to_status"),
            datetime.fromisoformat(data["occurred_at"]),
            _instant(data.get("client_time")),
            data.get("client_event_id"),
            dict(data.get("payload") or {}),
        )


@dataclass(frozen=True)
class EventResult:
    """What became of one status change: applied, replayed (sent before) or rejected."""

    client_event_id: str
    job_id: int
    result: str
    status: int
    event: Event | None
    job: Job | None
    warnings: tuple[str, ...]
    error: dict[str, Any] | None

    @property
    def ok(self) -> bool:
        return self.result in {"applied", "replayed"}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EventResult:
        return cls(
            data["client_event_id"],
            data["job_id"],
            data["result"],
            data["status"],
            Event.from_json(data["event"]) if data.get("event") else None,
            Job.from_json(data["job"]) if data.get("job") else None,
            tuple(data.get("warnings") or ()),
            data.get("error"),
        )
