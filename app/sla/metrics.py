"""SLA states and metrics as SQL over the per-job facts, with the indexes they need.

Each promise has a start (job creation), a deadline and a moment it was kept:
  met       kept by the deadline          breached  kept late, or not kept and overdue
  at_risk   not yet kept, not yet due, and predicted to be missed
  ok        not yet kept, not yet due     n/a       not promised, or the job was cancelled
Predictions: a booked window (or planned ETA) after the completion deadline, a planned ETA
after the window's end (plus tolerance), or less than a fifth of the time left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    tuple_,
)

from app.db import UTCDateTime
from app.extensions import db
from app.scheduling.models import Booking
from app.sla.models import JobSla

SLAS = ("assign", "contact", "schedule", "complete", "arrival", "first_visit")
STATES = ("met", "breached", "at_risk", "ok", "n/a")
RISK_SHARE = 0.2  # at risk when less than this share of the target time is left


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def seconds_between(start: Any, end: Any) -> ColumnElement[float]:
    """end − start in seconds, on PostgreSQL and SQLite."""
    if _dialect() == "postgresql":
        return cast(func.extract("epoch", end - start), Float)
    return cast((func.julianday(end) - func.julianday(start)) * 86400.0, Float)


def week_of(column: Any) -> ColumnElement[str]:
    """The Monday (UTC) of the week an instant falls in, as YYYY-MM-DD."""
    if _dialect() == "postgresql":
        return func.to_char(func.date_trunc("week", func.timezone("UTC", column)), "YYYY-MM-DD")
    return func.date(column, "-6 days", "weekday 1")


def at(now: datetime) -> ColumnElement[datetime]:
    """`now` as a SQL value of the same type as the fact columns."""
    return literal(now, type_=UTCDateTime())


def state(sla: str, now: datetime) -> ColumnElement[str]:
    """The SQL expression of one promise's state for every job."""
    f = JobSla
    cancelled = f.cancelled_at.is_not(None)
    if sla == "first_visit":
        return case(
            (f.track_first_visit.is_(False), "n/a"),
            (f.first_visit_ok.is_(True), "met"),
            (f.first_visit_ok.is_(False), "breached"),
            (cancelled, "n/a"),
            else_="ok",
        )
    if sla == "arrival":
        eta_late = and_(
            Booking.estimated_start.is_not(None),
            f.window_end.is_not(None),
            Booking.estimated_start > f.window_end,
        )
        return case(
            (f.arrival_tolerance_minutes.is_(None), "n/a"),
            (and_(f.arrived_at.is_not(None), f.arrival_due.is_(None)), "n/a"),
            (and_(f.arrived_at.is_not(None), f.arrived_at <= f.arrival_due), "met"),
            (f.arrived_at.is_not(None), "breached"),
            (cancelled, "n/a"),
            (and_(f.window_end.is_not(None), at(now) > f.window_end), "breached"),
            (eta_late, "at_risk"),
            else_="ok",
        )
    stop = {
        "assign": f.assigned_at,
        "contact": f.contacted_at,
        "schedule": f.scheduled_at,
        "complete": f.completed_at,
    }[sla]
    due = {
        "assign": f.assign_due,
        "contact": f.contact_due,
        "schedule": f.schedule_due,
        "complete": f.complete_due,
    }[sla]
    left_share = seconds_between(at(now), due) / func.nullif(seconds_between(f.created_at, due), 0)
    predicted: list[ColumnElement[bool]] = [left_share < RISK_SHARE]
    if sla == "complete":
        predicted.append(and_(f.window_start.is_not(None), f.window_start > due))
        predicted.append(and_(Booking.estimated_start.is_not(None), Booking.estimated_start > due))
    return case(
        (due.is_(None), "n/a"),
        (and_(stop.is_not(None), stop <= due), "met"),
        (stop.is_not(None), "breached"),
        (cancelled, "n/a"),
        (at(now) > due, "breached"),
        (or_(*predicted), "at_risk"),
        else_="ok",
    )


@dataclass(frozen=True)
class Filters:
    brand_id: int | None = None
    dealer_id: int | None = None
    category: str | None = None
    region_id: int | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


def facts(filters: Filters) -> Select[Any]:
    """The per-job facts matching the filters, joined to the current booking (for its ETA)."""
    stmt = select(JobSla).outerjoin(Booking, Booking.job_id == JobSla.job_id)
    for column, value in (
        (JobSla.brand_id, filters.brand_id),
        (JobSla.dealer_id, filters.dealer_id),
        (JobSla.category, filters.category),
        (JobSla.region_id, filters.region_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if filters.created_from is not None:
        stmt = stmt.where(JobSla.created_at >= filters.created_from)
    if filters.created_to is not None:
        stmt = stmt.where(JobSla.created_at < filters.created_to)
    return stmt


def _pct(numerator: Any, denominator: Any) -> ColumnElement[float]:
    return cast(100.0 * numerator / func.nullif(denominator, 0), Float)


DIMENSIONS = ("week", "dealer_id", "category", "region_id")


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def _per_job(filters: Filters, now: datetime) -> Any:
    """One row per filtered job with its dimensions, flags, durations and every SLA state."""
    f = JobSla
    arrived = and_(f.arrived_at.is_not(None), f.arrival_due.is_not(None))
    columns: list[Any] = [
        week_of(f.created_at).label("week"),
        f.dealer_id.label("dealer_id"),
        f.category.label("category"),
        f.region_id.label("region_id"),
        _flag(arrived).label("arrival"),
        _flag(and_(arrived, f.arrived_at <= f.arrival_due)).label("on_time"),
        _flag(f.first_visit_ok.is_(True)).label("first_ok"),
        _flag(f.first_visit_ok.is_not(None)).label("first_known"),
        _flag(f.completed_at.is_not(None)).label("done"),
        _flag(f.cancelled_at.is_not(None)).label("gone"),
        (seconds_between(f.created_at, f.scheduled_at) / 3600.0).label("h_schedule"),
        (seconds_between(f.created_at, f.completed_at) / 3600.0).label("h_complete"),
        *(state(sla, now).label(f"s_{sla}") for sla in SLAS),
    ]
    return facts(filters).with_only_columns(*columns).subquery("per_job")


def _measures(j: Any) -> list[Any]:
    columns: list[Any] = [
        func.count().label("jobs"),
        func.sum(j.c.done).label("completed"),
        func.sum(j.c.gone).label("cancelled"),
        func.sum(j.c.arrival).label("arrivals"),
        _pct(func.sum(j.c.on_time), func.sum(j.c.arrival)).label("on_time_pct"),
        _pct(func.sum(j.c.first_ok), func.sum(j.c.first_known)).label("first_visit_pct"),
    ]
    for sla in SLAS:
        column = j.c[f"s_{sla}"]
        columns.append(func.sum(_flag(column == "breached")).label(f"{sla}_breached"))
        columns.append(func.sum(_flag(column == "at_risk")).label(f"{sla}_at_risk"))
    if _dialect() == "postgresql":
        for name in ("schedule", "complete"):
            hours = j.c[f"h_{name}"]
            columns.append(
                func.percentile_cont(0.5).within_group(hours).label(f"median_hours_to_{name}")
            )
    return columns


def _medians(j: Any, dimension: str | None) -> dict[Any, dict[str, float]]:
    """SQLite has no percentile aggregate: fetch the durations and take the middle."""
    found: dict[Any, dict[str, float]] = {}
    key = j.c[dimension] if dimension else literal(None)
    for name in ("schedule", "complete"):
        hours = j.c[f"h_{name}"]
        values: dict[Any, list[float]] = {}
        for group_key, value in db.session.execute(select(key, hours).where(hours.is_not(None))):
            values.setdefault(group_key, []).append(float(value))
        for group_key, numbers in values.items():
            numbers.sort()
            middle = len(numbers) // 2
            odd = len(numbers) % 2
            median = numbers[middle] if odd else (numbers[middle - 1] + numbers[middle]) / 2
            found.setdefault(group_key, {})[f"median_hours_to_{name}"] = median
    return found


def _tidy(row: dict[str, Any]) -> dict[str, Any]:
    for key in (
        "median_hours_to_schedule",
        "median_hours_to_complete",
        "on_time_pct",
        "first_visit_pct",
    ):
        row[key] = round(float(row[key]), 1) if row.get(key) is not None else None
    for key in ("jobs", "completed", "cancelled", "arrivals"):
        row[key] = int(row[key] or 0)
    return row


def summary_rows(filters: Filters, now: datetime) -> dict[str, list[dict[str, Any]]]:
    """Aggregates overall ("total") and per week, dealer, category and region, in one pass
    on PostgreSQL (GROUPING SETS over the per-job states) or one query each on SQLite."""
    j = _per_job(filters, now)
    found: dict[str, list[dict[str, Any]]] = {"total": [], **{d: [] for d in DIMENSIONS}}
    if _dialect() == "postgresql":
        stmt = select(
            *(j.c[d] for d in DIMENSIONS),
            *(func.grouping(j.c[d]).label(f"g_{d}") for d in DIMENSIONS),
            *_measures(j),
        ).group_by(func.grouping_sets(tuple_(), *(tuple_(j.c[d]) for d in DIMENSIONS)))
        for row in db.session.execute(stmt):
            values = dict(row._mapping)
            grouped_by = [d for d in DIMENSIONS if values[f"g_{d}"] == 0]
            dimension = grouped_by[0] if grouped_by else "total"
            values["key"] = values[dimension] if grouped_by else None
            found[dimension].append(_tidy(values))
    else:
        for dimension in ("total", *DIMENSIONS):
            key = j.c[dimension] if dimension != "total" else literal(None)
            stmt = select(key.label("key"), *_measures(j))
            if dimension != "total":
                stmt = stmt.group_by(key)
            medians = _medians(j, None if dimension == "total" else dimension)
            for row in db.session.execute(stmt):
                values = dict(row._mapping)
                values.update(medians.get(values["key"], {}))
                found[dimension].append(_tidy(values))
    for rows in found.values():
        rows.sort(key=lambda r: (r["key"] is None, str(r["key"])))
    if not found["total"]:
        found["total"] = [_tidy({"key": None, "jobs": 0})]
    return found


def job_states(
    filters: Filters,
    now: datetime,
    *,
    states: tuple[str, ...] = ("at_risk", "breached"),
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Jobs with a promise in one of the given states (open jobs first, newest first)."""
    expressions = {sla: state(sla, now) for sla in SLAS}
    stmt = (
        facts(filters)
        .with_only_columns(JobSla, *(expr.label(sla) for sla, expr in expressions.items()))
        .where(or_(*(expr.in_(states) for expr in expressions.values())))
        .order_by(JobSla.completed_at.is_not(None), JobSla.created_at.desc())
        .limit(limit)
    )
    found = []
    for row in db.session.execute(stmt):
        fact = row[0]
        found.append({"facts": fact, "states": {sla: getattr(row, sla) for sla in SLAS}})
    return found


def job_clocks(job_id: int, now: datetime) -> list[dict[str, Any]]:
    """Each promise of one job: target, deadline, when kept, elapsed time, state."""
    from app.sla.clock import business_time_between
    from app.sla.models import SlaPolicy
    from app.sla.policies import calendar_of

    row = db.session.execute(
        facts(Filters())
        .with_only_columns(JobSla, *(state(s, now).label(s) for s in SLAS))
        .where(JobSla.job_id == job_id)
    ).first()
    if row is None:
        return []
    fact: JobSla = row[0]
    policy = db.session.get(SlaPolicy, fact.policy_id) if fact.policy_id else None
    calendar = calendar_of(fact.brand_id) if policy and policy.business_hours else None
    clocks = []
    for sla in SLAS:
        target = getattr(policy, f"{sla}_minutes", None) if policy else None
        if sla == "arrival":
            due, kept, target = (
                fact.arrival_due or fact.window_end,
                fact.arrived_at,
                fact.arrival_tolerance_minutes,
            )
        elif sla == "first_visit":
            due, kept = None, fact.completed_at if fact.first_visit_ok else None
        else:
            due = getattr(fact, f"{sla}_due")
            kept = {
                "assign": fact.assigned_at,
                "contact": fact.contacted_at,
                "schedule": fact.scheduled_at,
                "complete": fact.completed_at,
            }[sla]
        end = kept or fact.cancelled_at or now
        elapsed = business_time_between(fact.created_at, end, calendar)
        clocks.append(
            {
                "sla": sla,
                "state": getattr(row, sla),
                "target_minutes": target,
                "due_at": due,
                "kept_at": kept,
                "elapsed_minutes": round(elapsed.total_seconds() / 60),
            }
        )
    return clocks
