"""Orders and their visits (README "Orders, visits, crews and loads"): intake, after-sales
visits, the goods' arrival, the order's derived status, and listing for brand and dealer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, exists, select

from app.auth.scoping import get_visible, visible
from app.auth.service import Actor, Principal
from app.db import utcnow
from app.errors import Conflict, Unprocessable
from app.extensions import db
from app.jobs.enums import CARRIES_GOODS, GoodsStatus, JobKind, JobStatus, OrderStatus
from app.jobs.models import Job, Order
from app.jobs.service import _locate, check_free, new_visit, record_event

# What an order's visits share (copied onto each visit: every reader — matching, windows,
# SMS, plans — reads them from the visit).
SHARED = (
    "category",
    "items",
    "consumer",
    "address",
    "lat",
    "lon",
    "timezone",
    "requested_by",
    "notes",
)
CLOSED = frozenset({JobStatus.COMPLETED, JobStatus.CANCELLED})
# How later visits of an order are named among the brand's jobs: "<order id>/<n>".
MAX_SEQUENCE = 50


def goods_status(order: Order) -> GoodsStatus:
    if order.goods_received_at is not None:
        return GoodsStatus.RECEIVED
    if order.goods_expected_on is not None:
        return GoodsStatus.EXPECTED
    return GoodsStatus.UNKNOWN


def waits_for_goods(job: Job) -> bool:
    """Whether the visit needs goods that are not at the dealer yet."""
    return job.needs_goods and job.order.goods_received_at is None


def order_status(order: Order) -> OrderStatus:
    """The order's status, from its visits: all closed → completed, cancelled or partly
    cancelled; an open visit waiting for goods → waiting_for_goods; otherwise open."""
    statuses = [JobStatus(v.status) for v in order.visits]
    if statuses and all(s in CLOSED for s in statuses):
        if all(s is JobStatus.CANCELLED for s in statuses):
            return OrderStatus.CANCELLED
        if any(s is JobStatus.CANCELLED for s in statuses):
            return OrderStatus.PARTLY_CANCELLED
        return OrderStatus.COMPLETED
    if any(JobStatus(v.status) not in CLOSED and waits_for_goods(v) for v in order.visits):
        return OrderStatus.WAITING_FOR_GOODS
    return OrderStatus.OPEN


def _visit_fields(shared: dict[str, Any], visit: dict[str, Any], n: int) -> dict[str, Any]:
    kind = JobKind(visit["kind"])
    needs_goods = visit.get("needs_goods")
    return {
        **shared,
        "kind": str(kind),
        "required_skills": visit.get("required_skills") or [],
        "duration_minutes": visit["duration_minutes"],
        "notes": visit.get("notes") or shared.get("notes") or "",
        "sequence": n,
        "needs_goods": kind in CARRIES_GOODS if needs_goods is None else needs_goods,
        "min_gap_hours": visit.get("min_gap_hours"),
        "same_crew_same_day": bool(visit.get("same_crew_same_day")),
    }


def check_visits(visits: list[dict[str, Any]], *, first: int = 1, key: str = "visits") -> None:
    """Refuse (422) a dependency that does not name an earlier visit of the order, or that
    says neither how long after nor same crew, or both. Errors name the visit by its place in
    the list, as the schema's own errors do: {"visits": {"1": {"after": [...]}}}."""
    errors: dict[str, dict[str, list[str]]] = {}
    for n, visit in enumerate(visits, start=first):
        after = visit.get("after")
        where = errors.setdefault(str(n - first), {})
        gap, same = visit.get("min_gap_hours"), bool(visit.get("same_crew_same_day"))
        if after is None:
            if gap is not None or same:
                where["after"] = ["required with min_gap_hours or same_crew_same_day"]
            continue
        if not 1 <= after < n:
            where["after"] = [f"the sequence of an earlier visit (1 to {n - 1})"]
        if (gap is None) == (not same):
            where["_schema"] = ["a dependency needs min_gap_hours or same_crew_same_day (one)"]
    found: dict[str, Any] = {place: errs for place, errs in errors.items() if errs}
    if first + len(visits) - 1 > MAX_SEQUENCE:
        found["_schema"] = [f"an order has at most {MAX_SEQUENCE} visits"]
    if found:
        raise Unprocessable(
            'Each dependency names an earlier visit by its sequence ("after": 1) and either '
            "min_gap_hours (e.g. 24) or same_crew_same_day: true.",
            fields={key: found},
        )


def _add_visits(
    order: Order, shared: dict[str, Any], visits: list[dict[str, Any]], actor: Actor
) -> list[Job]:
    by_sequence = {v.sequence: v for v in order.visits}
    first = max(by_sequence, default=0) + 1
    check_visits(visits, first=first)
    added = []
    for n, visit in enumerate(visits, start=first):
        fields = _visit_fields(shared, visit, n)
        fields["external_id"] = order.external_id if n == 1 else f"{order.external_id}/{n}"
        if n > 1:
            check_free(order.brand_id, fields["external_id"])
        if visit.get("after") is not None:
            fields["after_job_id"] = by_sequence[visit["after"]].id
        job = new_visit(order, fields, actor)
        by_sequence[n] = job
        added.append(job)
    db.session.refresh(order, ["visits"])
    return added


def create_order(brand_id: int, fields: dict[str, Any], actor: Actor) -> Order:
    """Take a brand's order with its visits (external_id unique per brand)."""
    check_free(brand_id, fields["external_id"])
    check_visits(fields["visits"])
    order = Order(
        brand_id=brand_id,
        external_id=fields["external_id"],
        goods_expected_on=fields.get("goods_expected_on"),
    )
    db.session.add(order)
    db.session.flush()
    shared = {key: fields[key] for key in SHARED if key in fields}
    if shared.get("lat") is None:
        shared.update(_locate(shared))
    else:
        shared["location_source"] = "provided"
    _add_visits(order, shared, fields["visits"], actor)
    return order


def add_visits(order: Order, visits: list[dict[str, Any]], actor: Actor) -> list[Job]:
    """Add visits to an order, also once it is closed (after-sales: a repair, a haul-away,
    a second install); they copy the consumer and place of the order's first visit."""
    first = order.visits[0]
    shared = {
        "category": first.category,
        "items": first.items,
        "consumer": first.consumer,
        "address": first.address,
        "lat": first.lat,
        "lon": first.lon,
        "location_source": first.location_source,
        "timezone": first.timezone,
        "requested_by": None,
        "notes": "",
    }
    added = _add_visits(order, shared, visits, actor)
    for job in added:
        record_event(job, "after_sales", actor, payload={"order_status": str(order_status(order))})
    db.session.flush()
    return added


def set_goods_expected(order: Order, on: date | None, actor: Actor) -> Order:
    """The brand's expected arrival of the goods at the dealer (or none: not known yet)."""
    if order.goods_received_at is not None:
        raise Conflict(
            f"The goods of order {order.id} were received on "
            f"{order.goods_received_at.isoformat()}; the expected day no longer applies.",
            code="goods_received",
        )
    if order.goods_expected_on == on:
        return order
    order.goods_expected_on = on
    _tell_visits(order, "goods_expected", actor, {"on": on.isoformat() if on else None})
    return order


def receive_goods(order: Order, actor: Actor, *, at: datetime | None = None) -> bool:
    """The dealer has the goods; return False when they were already received (no change)."""
    if order.goods_received_at is not None:
        return False
    order.goods_received_at = at or utcnow()
    _tell_visits(order, "goods_received", actor, {"at": order.goods_received_at.isoformat()})
    return True


def _tell_visits(order: Order, type_: str, actor: Actor, payload: dict[str, Any]) -> None:
    """Note the goods' news on every open visit that needs them (the consumer's SMS and the
    SLA read the visits' events)."""
    db.session.flush()
    for job in order.visits:
        if job.needs_goods and JobStatus(job.status) not in CLOSED:
            record_event(job, type_, actor, payload=payload)
    db.session.flush()


def get_order(principal: Principal, order_id: int) -> Order:
    """Load an order the principal may see (other tenants' orders are 404)."""
    return get_visible(Order, order_id, principal, label="Order")


def lock_order(order: Order) -> None:
    """Serialise changes to one order's goods and visits (row lock on PostgreSQL)."""
    db.session.execute(select(Order.id).where(Order.id == order.id).with_for_update())
    db.session.refresh(order)


def search_orders(principal: Principal, filters: dict[str, Any]) -> Select[Order]:
    """The principal's orders, newest first; `waiting="goods"`: those with an open visit that
    needs goods not yet received, oldest first (the longest wait on top)."""
    stmt = visible(Order, principal)
    if filters.get("external_id") is not None:
        stmt = stmt.where(Order.external_id == filters["external_id"])
    if filters.get("brand_id") is not None:
        stmt = stmt.where(Order.brand_id == filters["brand_id"])
    if filters.get("dealer_id") is not None:
        stmt = stmt.where(
            exists(
                select(Job.id).where(
                    Job.order_id == Order.id, Job.dealer_id == filters["dealer_id"]
                )
            )
        )
    if filters.get("waiting") == "goods":
        open_visit_needing_goods = exists(
            select(Job.id).where(
                Job.order_id == Order.id,
                Job.needs_goods.is_(True),
                Job.status.not_in([str(s) for s in CLOSED]),
            )
        )
        stmt = stmt.where(Order.goods_received_at.is_(None), open_visit_needing_goods)
        return stmt.order_by(Order.created_at, Order.id)
    return stmt.order_by(Order.created_at.desc(), Order.id.desc())
