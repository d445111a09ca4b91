"""Status changes from the phone: each applied exactly once, in order, through the one lifecycle.

An event carries the phone's own id (client_event_id, unique in the event log) and the phone's
clock. Sending it again answers with the first outcome instead of applying it twice; an
event the job's state no longer allows answers 409 naming the current state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from app.auth.service import Principal
from app.db import transaction, utcnow
from app.errors import AppError, Unprocessable
from app.extensions import db
from app.field.enums import TARGET, AttachmentKind, FieldAction
from app.field.errors import ProofMissing
from app.field.models import Attachment
from app.field.service import FieldJob, Visit, describe, get_job
from app.geo.distance import haversine_m
from app.geo.travel import TravelTimeError
from app.jobs import service as jobs
from app.jobs.enums import JobStatus
from app.jobs.models import Job, JobEvent
from app.network.models import Installer
from app.network.service import get_dealer
from app.scheduling.availability import travel_provider
from app.scheduling.models import Booking
from app.scheduling.service import release_booking

# How far the phone's clock may be from ours before an event is refused as implausible.
CLOCK_AHEAD = timedelta(days=1)
CLOCK_BEHIND = timedelta(days=30)


@dataclass
class EventOutcome:
    """What became of one event from the phone."""

    client_event_id: str
    job_id: int
    result: str  # applied | replayed | rejected
    status: int
    event: JobEvent | None = None
    job: FieldJob | None = None
    warnings: list[str] = field(default_factory=list)
    error: dict[str, Any] | None = None


def apply_event(principal: Principal, job_id: int, fields: dict[str, Any]) -> EventOutcome:
    """Apply one event to one of the installer's jobs, or replay its first outcome."""
    for attempt in range(2):
        try:
            with transaction():
                job = get_job(principal, job_id, lock=True)
                earlier = db.session.scalar(
                    select(JobEvent).where(JobEvent.client_event_id == fields["client_event_id"])
                )
                if earlier is not None:
                    return _replay(earlier, job, principal, fields)
                event, warnings = _perform(job, principal, fields)
                return EventOutcome(
                    fields["client_event_id"],
                    job.id,
                    "applied",
                    201,
                    event,
                    describe(job, principal),
                    warnings,
                )
        except (IntegrityError, StaleDataError):
            # A concurrent copy of this event (or another change to the job) committed first;
            # the second pass sees it and replays or refuses accordingly.
            if attempt:
                raise
    raise AssertionError("unreachable")


def sync(principal: Principal, events: list[dict[str, Any]]) -> list[EventOutcome]:
    """Apply a phone's queued events in order, each in its own unit of work."""
    outcomes = []
    for fields in events:
        try:
            outcomes.append(apply_event(principal, fields["job_id"], fields))
        except AppError as error:
            outcomes.append(_rejected(principal, fields, error))
    return outcomes


def _rejected(principal: Principal, fields: dict[str, Any], error: AppError) -> EventOutcome:
    body = {"code": error.code, "message": error.message, "fields": error.fields, **error.extra}
    current = None
    if error.status != 404:
        try:
            current = describe(get_job(principal, fields["job_id"]), principal)
        except AppError:
            current = None
    return EventOutcome(
        fields["client_event_id"],
        fields["job_id"],
        "rejected",
        error.status,
        job=current,
        error=body,
    )


def _replay(
    earlier: JobEvent, job: Job, principal: Principal, fields: dict[str, Any]
) -> EventOutcome:
    action = (earlier.payload or {}).get("action")
    if earlier.job_id != job.id or action != fields["type"]:
        raise Unprocessable(
            f"client_event_id {fields['client_event_id']} was already used for another event.",
            code="client_event_id_reused",
            fields={"client_event_id": ["already used for another event"]},
        )
    warnings = list((earlier.payload or {}).get("warnings") or [])
    return EventOutcome(
        fields["client_event_id"],
        job.id,
        "replayed",
        200,
        earlier,
        describe(job, principal),
        warnings,
    )


def _check_clock(client_time: datetime, now: datetime) -> None:
    if not now - CLOCK_BEHIND <= client_time <= now + CLOCK_AHEAD:
        raise Unprocessable(
            "client_time is too far from the server's time; check the phone's clock.",
            fields={"client_time": ["implausible"]},
        )


def _perform(job: Job, principal: Principal, fields: dict[str, Any]) -> tuple[JobEvent, list[str]]:
    now = utcnow()
    _check_clock(fields["client_time"], now)
    action = FieldAction(fields["type"])
    payload: dict[str, Any] = {"action": str(action), "device_id": principal.credential_id}
    warnings: list[str] = []
    position = fields.get("position")
    if position:
        payload["position"] = position
    # Only a move the lifecycle allows goes on to the checks below; others answer 409 there.
    legal = str(TARGET[action]) in jobs.allowed_next(job.status)
    if action is FieldAction.EN_ROUTE and legal:
        # As of the phone's clock: a queue synced hours later must not promise a fresh ETA.
        payload.update(_eta(job, position, fields["client_time"]))
    elif action is FieldAction.ARRIVED and position:
        distance = round(haversine_m(position["lat"], position["lon"], job.lat, job.lon))
        payload["distance_m"] = distance
        if distance > int(current_app.config["FIELD_ARRIVAL_RADIUS_M"]):
            warnings.append("far_from_address")
    elif action is FieldAction.COMPLETE and legal:
        payload.update(_proof(job, fields))
        payload.update(checklist=fields["checklist"], note=fields["note"])
    elif action is FieldAction.FAIL:
        visit = Visit.of(job.booking, job.timezone).snapshot() if job.booking else None
        payload.update(reason=fields["reason"], note=fields["note"], visit=visit)
    if warnings:
        payload["warnings"] = warnings
    event = jobs.transition(
        job,
        TARGET[action],
        principal.actor,
        payload=payload,
        client_event_id=fields["client_event_id"],
        client_time=fields["client_time"],
    )
    if action is FieldAction.FAIL:
        # Back to dispatch for a new visit; the consumer may book a new window at once.
        jobs.transition(
            job,
            JobStatus.ASSIGNED,
            principal.actor,
            type_="returned_to_dispatch",
            payload={"reason": fields["reason"], "failed_event_id": event.id},
        )
        release_booking(job)
    return event, warnings


def _eta(job: Job, position: dict[str, float] | None, at: datetime) -> dict[str, Any]:
    """Arrival time for the consumer's "on the way" message, for a start at `at`."""
    booking = job.booking
    planned = booking.estimated_start if booking else None
    source = "live" if position else "route"
    # Without a position the installer is reckoned to leave the day's previous visit (or home).
    origin = position or _previous_place(job)
    live = _live_arrival(job, origin, at) if origin else None
    if live is None:
        arrival = planned  # no position or no travel times: the plan's time
    elif booking is not None and planned is not None and at < booking.window_start:
        # Before the window opens the installer keeps the planned time, however close they are.
        arrival = max(live, planned)
    else:
        arrival = live
    if arrival is None:
        return {}
    local = arrival.astimezone(ZoneInfo(job.timezone))
    # Rounded up to the minute: "about 08:33" rather than a promise already missed.
    if local.second or local.microsecond:
        local = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
    source = source if arrival is live else "planned"
    return {"eta": local.strftime("%H:%M"), "eta_at": local.isoformat(), "eta_source": source}


def _previous_place(job: Job) -> dict[str, float] | None:
    """Where the installer was last: the visit before this one in the day's order, or home."""
    booking = job.booking
    if booking is None:
        return None
    before = db.session.execute(
        select(Job.lat, Job.lon)
        .join(Booking, Booking.job_id == Job.id)
        .where(
            Booking.installer_id == booking.installer_id,
            Booking.local_date == booking.local_date,
            Booking.sequence < booking.sequence,
        )
        .order_by(Booking.sequence.desc(), Booking.id.desc())
        .limit(1)
    ).first()
    if before is not None:
        return {"lat": before.lat, "lon": before.lon}
    installer = db.session.get(Installer, booking.installer_id)
    return {"lat": installer.home_lat, "lon": installer.home_lon} if installer else None


def _live_arrival(job: Job, position: dict[str, float], at: datetime) -> datetime | None:
    """When the installer gets to the job from where the phone was, by the dealer's travel times."""
    if job.dealer_id is None:
        return None
    try:
        with travel_provider(get_dealer(job.dealer_id)) as travel:
            seconds = travel.seconds((position["lat"], position["lon"]), (job.lat, job.lon))
    except (TravelTimeError, ValueError):
        return None
    return at + timedelta(seconds=int(seconds))


def _proof(job: Job, fields: dict[str, Any]) -> dict[str, Any]:
    """The photos and signature a completion needs, already uploaded for this job."""
    rows = list(db.session.scalars(select(Attachment).where(Attachment.job_id == job.id)))
    by_upload = {row.client_upload_id: row for row in rows if row.client_upload_id}
    named = [*fields["photos"], *([fields["signature"]] if fields.get("signature") else [])]
    missing = [upload_id for upload_id in named if upload_id not in by_upload]
    photos = [row for row in rows if row.kind == AttachmentKind.PHOTO]
    signatures = [row for row in rows if row.kind == AttachmentKind.SIGNATURE]
    if missing or not photos or not signatures:
        needs = []
        if not photos:
            needs.append("at least one photo")
        if not signatures:
            needs.append("the consumer's signature")
        if missing:
            needs.append(f"the uploads {', '.join(missing)}")
        raise ProofMissing(
            f"Job {job.id} cannot be completed yet: upload {' and '.join(needs)} first.",
            current_status=job.status,
            missing=missing,
        )
    signature = by_upload.get(fields.get("signature") or "") or signatures[-1]
    chosen = [by_upload[i] for i in fields["photos"]] or photos
    return {
        "signer_name": fields["signer_name"],
        "photos": [row.id for row in chosen],
        "signature": signature.id,
    }
