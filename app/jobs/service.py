"""Job rules: the one lifecycle state machine, intake, changes, cancellation, the event log."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import Select, select

from app.auth.enums import Role
from app.auth.scoping import get_visible, visible
from app.auth.service import Actor, Principal
from app.errors import Conflict
from app.extensions import db
from app.geo.geocoding import geocode_address
from app.jobs.enums import JobStatus
from app.jobs.models import Feedback, Job, JobEvent, Order
from app.jobs.signals import job_cancelled, job_cancelling, job_created, job_event, job_relocated
from app.network.service import check_skills

S = JobStatus
# The lifecycle (DESIGN.md). Every status change goes through transition() below.
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    S.CREATED: frozenset({S.ASSIGNED, S.CANCELLED}),
    # back to created: the dealer declined and no other dealer can take it
    S.ASSIGNED: frozenset({S.CREATED, S.SCHEDULED, S.CANCELLED}),
    # back to assigned: the booking was cancelled
    S.SCHEDULED: frozenset({S.ASSIGNED, S.DISPATCHED, S.CANCELLED}),
    # back to scheduled: taken off the day plan (rescheduled or re-planned);
    # back to assigned: the booking was cancelled before the installer set off
    S.DISPATCHED: frozenset({S.ASSIGNED, S.SCHEDULED, S.EN_ROUTE, S.CANCELLED}),
    S.EN_ROUTE: frozenset({S.ON_SITE, S.CANCELLED}),
    S.ON_SITE: frozenset({S.IN_PROGRESS, S.FAILED, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.COMPLETED, S.FAILED, S.CANCELLED}),
    # a failed visit goes back to dispatch for a new visit
    S.FAILED: frozenset({S.ASSIGNED, S.CANCELLED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}
OPEN_STATUSES = frozenset(s for s, nexts in TRANSITIONS.items() if nexts)
# Before the visit starts the address and the work itself may still change.
EDITABLE_LOCATION = frozenset({S.CREATED, S.ASSIGNED})


class IllegalTransition(Conflict):
    code = "illegal_transition"


def allowed_next(status: str) -> list[str]:
    """List the statuses a job in `status` may move to."""
    return sorted(TRANSITIONS[JobStatus(status)])


def record_event(
    job: Job,
    type_: str,
    actor: Actor,
    *,
    payload: dict[str, Any] | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    client_event_id: str | None = None,
    client_time: datetime | None = None,
) -> JobEvent:
    """Append an event to the job's audit log."""
    event = JobEvent(
        job=job,
        type=type_,
        from_status=from_status,
        to_status=to_status,
        actor_role=actor.role,
        actor_id=actor.id,
        payload=payload or {},
        client_event_id=client_event_id,
        client_time=client_time,
    )
    db.session.add(event)
    job_event.send(job, event=event)
    return event


def transition(
    job: Job,
    to: JobStatus | str,
    actor: Actor,
    *,
    type_: str | None = None,
    payload: dict[str, Any] | None = None,
    client_event_id: str | None = None,
    client_time: datetime | None = None,
    flush: bool = True,
) -> JobEvent:
    """Move a job to a new status if the lifecycle allows it, and record the event.

    `flush=False` leaves the flush to a caller that changes many jobs at once (a day plan).
    """
    to = JobStatus(to)
    current = JobStatus(job.status)
    if to not in TRANSITIONS[current]:
        nexts = allowed_next(current)
        raise IllegalTransition(
            f"Job {job.id} is {current}; it cannot become {to}. "
            + (f"Allowed next: {', '.join(nexts)}." if nexts else "It is closed."),
            current_status=str(current),
            allowed_statuses=nexts,
        )
    job.status = to
    event = record_event(
        job,
        type_ or str(to),
        actor,
        payload=payload,
        from_status=str(current),
        to_status=str(to),
        client_event_id=client_event_id,
        client_time=client_time,
    )
    if flush:
        db.session.flush()
    return event


def find_by_external_id(brand_id: int, external_id: str) -> Job | None:
    """Return a brand's job by its own order id."""
    return db.session.scalar(
        select(Job).where(Job.brand_id == brand_id, Job.external_id == external_id)
    )


def _locate(fields: dict[str, Any]) -> dict[str, Any]:
    """Fill lat/lon from the address when the caller did not send them."""
    if fields.get("lat") is not None:
        return {"location_source": "provided"}
    place = geocode_address(fields["address"])
    return {"lat": place.lat, "lon": place.lon, "location_source": "geocoded"}


def _flatten(fields: dict[str, Any]) -> dict[str, Any]:
    fields = dict(fields)
    consumer = fields.pop("consumer", None) or {}
    fields.update({f"consumer_{key}": value for key, value in consumer.items()})
    return fields


def create_job(brand_id: int, fields: dict[str, Any], actor: Actor) -> Job:
    """Take a brand's order of one visit as a new job (external_id unique per brand): an order
    with this one visit, which needs no goods rule (as before orders had visits)."""
    from app.jobs.orders import create_order

    fields = dict(fields)
    visit = {key: fields.pop(key) for key in ("kind", "required_skills", "duration_minutes")}
    order = create_order(brand_id, {**fields, "visits": [{**visit, "needs_goods": False}]}, actor)
    return order.visits[0]


def check_free(brand_id: int, external_id: str) -> None:
    """Refuse (409) an order id the brand already used, for an order or for a visit.

    The order is looked up first and its first visit read after it: an order and its visits
    commit together, so a concurrent intake seen by the first query is whole in the second
    (under READ COMMITTED, looking for the job first could miss it and then see its order).
    """
    order = db.session.scalar(
        select(Order).where(Order.brand_id == brand_id, Order.external_id == external_id)
    )
    if order is not None:
        first = db.session.scalar(
            select(Job.id).where(Job.order_id == order.id).order_by(Job.sequence).limit(1)
        )
        ids: dict[str, Any] = {"order_id": order.id, **({"job_id": first} if first else {})}
        what = f"order {order.id}"
    elif (existing := find_by_external_id(brand_id, external_id)) is not None:
        ids, what = {"job_id": existing.id, "order_id": existing.order_id}, f"job {existing.id}"
    else:
        return
    raise Conflict(
        f"external_id {external_id!r} is already {what}.",
        code="duplicate_external_id",
        fields={"external_id": ["already used"]},
        **ids,
    )


def new_visit(order: Any, fields: dict[str, Any], actor: Actor) -> Job:
    """Add one visit (job) to an order: its event log starts with `created`, and the domains
    above react (matching the visit to a dealer)."""
    check_skills(fields.get("required_skills") or [])
    fields = _flatten(fields)
    fields.setdefault("timezone", None)
    fields["timezone"] = fields["timezone"] or current_app.config["DEFAULT_TIMEZONE"]
    if "location_source" not in fields:
        fields.update(_locate(fields))
    job = Job(brand_id=order.brand_id, order_id=order.id, status=JobStatus.CREATED, **fields)
    db.session.add(job)
    db.session.flush()
    record_event(job, "created", actor, to_status=str(JobStatus.CREATED))
    db.session.flush()
    job_created.send(job)
    return job


def update_job(job: Job, changes: dict[str, Any], actor: Actor) -> Job:
    """Change a job's details; the location only before the visit is scheduled."""
    if JobStatus(job.status) not in OPEN_STATUSES:
        raise Conflict(f"Job {job.id} is {job.status}; it can no longer change.", code="job_closed")
    changes = _flatten(changes)
    moves = {"address", "lat", "lon"} & changes.keys()
    if moves and JobStatus(job.status) not in EDITABLE_LOCATION:
        raise Conflict(
            f"Job {job.id} is {job.status}; its address can change only while it is "
            "created or assigned. Cancel the booking first.",
            code="location_locked",
            current_status=job.status,
        )
    if moves:
        changes.setdefault("lat", None)
        changes.setdefault("lon", None)
        changes.setdefault("address", job.address)
        changes.update(_locate(changes))
    before = {field: getattr(job, field) for field in changes}
    for field, value in changes.items():
        setattr(job, field, value)
    changed = {
        f: {"from": _plain(before[f]), "to": _plain(v)}
        for f, v in changes.items()
        if before[f] != v
    }
    if changed:
        record_event(job, "updated", actor, payload={"changes": changed})
    db.session.flush()
    if {"lat", "lon"} & changed.keys():
        job_relocated.send(job)
    return job


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def cancel_job(job: Job, reason: str, actor: Actor) -> Job:
    """Cancel an open job with a reason; its booked window is released.

    An order cancelled is never refused (the visit must not happen), but a cancellation
    inside the dealer's change cutoff is marked `late` in the event, for the dealer and SLA.
    """
    payload: dict[str, Any] = {"reason": reason}
    for _, facts in job_cancelling.send(job):
        payload.update(facts or {})
    transition(job, JobStatus.CANCELLED, actor, payload=payload)
    job_cancelled.send(job)
    return job


def get_job(principal: Principal, job_id: int) -> Job:
    """Load a job the principal may see (other tenants' jobs are 404)."""
    return get_visible(Job, job_id, principal, label="Job")


def search_jobs(principal: Principal, filters: dict[str, Any]) -> Select[Job]:
    """Select the principal's jobs matching the filters, newest first."""
    stmt = visible(Job, principal)
    if filters.get("status"):
        stmt = stmt.where(Job.status.in_(filters["status"]))
    for field in ("category", "external_id", "dealer_id", "brand_id", "installer_id"):
        if filters.get(field) is not None:
            stmt = stmt.where(getattr(Job, field) == filters[field])
    if filters.get("created_from") is not None:
        stmt = stmt.where(Job.created_at >= filters["created_from"])
    if filters.get("created_to") is not None:
        stmt = stmt.where(Job.created_at < filters["created_to"])
    return stmt.order_by(Job.created_at.desc(), Job.id.desc())


def jobs_by_ids(job_ids: list[int]) -> list[Job]:
    """Load several jobs at once."""
    if not job_ids:
        return []
    return list(db.session.scalars(select(Job).where(Job.id.in_(job_ids))))


def lock_jobs(ids: Collection[int] | Select[int]) -> None:
    """Lock job rows in id order, as every writer of several jobs does, so two cannot deadlock."""
    db.session.execute(select(Job.id).where(Job.id.in_(ids)).order_by(Job.id).with_for_update())


def job_events(job: Job) -> list[JobEvent]:
    """Return a job's audit log, oldest first."""
    return list(
        db.session.scalars(select(JobEvent).where(JobEvent.job_id == job.id).order_by(JobEvent.id))
    )


# What dealers and installers may not read in a job's log: other dealers' ranking figures,
# and another dealer's reasons for declining.
_BRAND_ONLY_KEYS = frozenset({"candidates"})
_DEALER_PRIVATE = frozenset({"declined", "reassigned"})


def events_for(principal: Principal, job: Job) -> list[dict[str, Any]]:
    """The job's audit log as this principal may read it (brands and admins see everything)."""
    shown = []
    for event in job_events(job):
        payload = dict(event.payload or {})
        if principal.role not in (Role.ADMIN, Role.BRAND):
            payload = {k: v for k, v in payload.items() if k not in _BRAND_ONLY_KEYS}
            own = (
                principal.dealer_id is not None and payload.get("dealer_id") == principal.dealer_id
            )
            if event.type in _DEALER_PRIVATE and not own:
                payload = {}
        shown.append(
            {column: getattr(event, column) for column in _EVENT_COLUMNS} | {"payload": payload}
        )
    return shown


_EVENT_COLUMNS = tuple(c.key for c in JobEvent.__table__.columns if c.key != "payload")


def existing_feedback(job: Job) -> Feedback | None:
    """The job's rating, if it has one."""
    return db.session.scalar(select(Feedback).where(Feedback.job_id == job.id))
