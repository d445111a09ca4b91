"""SLA states and metrics as SQL over the per-job facts, with the indexes they need.

Each promise has a start (job creation), a deadline and a moment it was kept:
  met       kept by the deadline          breached  kept late, or not kept and overdue
  at_risk   not yet kept, not yet due, and predicted to be missed
  ok        not yet kept, not yet due     n/a       not promised, or the job was cancelled
Predictions: a booked window (or planned ETA) after the completion deadline, a planned ETA
after the window's end plus tolerance, an open plan issue on the booked day (arrival and
completion), or less than a fifth of the target left (in business time when the clock pauses).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
)

from app.db import UTCDateTime
from app.extensions import db
from app.scheduling.models import Booking
from app.sla.models import TIMED_PROMISES, JobSla

SLAS = ("assign", "contact", "schedule", "complete", "arrival", "first_visit")
STATES = ("met", "breached", "at_risk", "ok", "n/a")


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def seconds_between(start: Any, end: Any) -> ColumnElement[float]:
    """end − start in seconds, on PostgreSQL and SQLite."""
    if _dialect() == "postgresql":
        # date_part gives double precision; extract() gives numeric, which is far slower.
        return cast(func.date_part("epoch", end - start), Float)
    return cast((func.julianday(end) - func.julianday(start)) * 86400.0, Float)


def _offsets(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """The zone's UTC offset (seconds) from each of its changes between two instants."""

    def offset(moment: datetime) -> int:
        return int(moment.astimezone(zone).utcoffset().total_seconds())  # type: ignore[union-attr]

    found = [(start, offset(start))]
    day = start
    while day < end:
        following = min(day + timedelta(days=1), end)
        if offset(following) != found[-1][1]:
            low, high = day, following  # the change is in here: find its second
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                low, high = (low, middle) if offset(middle) != found[-1][1] else (middle, high)
            found.append((high.replace(microsecond=0), offset(high)))
        day = following
    return found


def week_of(column: Any, zone: str, start: datetime, end: datetime) -> ColumnElement[Any]:
    """The local Monday (in `zone`) of the week an instant falls in: a date on PostgreSQL (it
    groups far faster than formatted text), YYYY-MM-DD text on SQLite (see `_week_text`).

    SQLite has no time zones: the offsets in force between start and end become a CASE.
    """
    if _dialect() == "postgresql":
        return cast(func.date_trunc("week", func.timezone(zone, column)), Date)
    offsets = _offsets(ZoneInfo(zone), start, end)
    shifts = [f"{seconds:+d} seconds" for _, seconds in offsets]
    whens = [(column < at(since), shifts[n]) for n, (since, _) in enumerate(offsets[1:])]
    shift: Any = case(*whens, else_=shifts[-1]) if whens else literal(shifts[0])
    return func.date(column, shift, "-6 days", "weekday 1")


def at(now: datetime) -> ColumnElement[datetime]:
    """`now` as a SQL value of the same type as the fact columns."""
    return literal(now, type_=UTCDateTime())


EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # where an open-ended report's offsets start
CODES = {"n/a": 0, "met": 1, "breached": 2, "at_risk": 3, "ok": 4}


def state(sla: str, now: datetime, *, codes: bool = False) -> ColumnElement[Any]:
    """The SQL expression of one promise's state for every job (names, or small int codes)."""
    f = JobSla

    def cases(*whens: tuple[Any, str], else_: str) -> ColumnElement[Any]:
        label = (lambda name: CODES[name]) if codes else (lambda name: name)
        return case(*((when, label(name)) for when, name in whens), else_=label(else_))

    cancelled = f.cancelled_at.is_not(None)
    if sla == "first_visit":
        return cases(
            (f.track_first_visit.is_(False), "n/a"),
            (f.first_visit_ok.is_(True), "met"),
            (f.first_visit_ok.is_(False), "breached"),
            (cancelled, "n/a"),
            else_="ok",
        )
    if sla == "arrival":
        eta_late = and_(
            Booking.estimated_start.is_not(None),
            f.arrival_due.is_not(None),
            Booking.estimated_start > f.arrival_due,
        )
        return cases(
            (f.arrival_tolerance_minutes.is_(None), "n/a"),
            (and_(f.arrived_at.is_not(None), f.arrival_due.is_(None)), "n/a"),
            (and_(f.arrived_at.is_not(None), f.arrived_at <= f.arrival_due), "met"),
            (f.arrived_at.is_not(None), "breached"),
            (cancelled, "n/a"),
            (and_(f.arrival_due.is_not(None), at(now) > f.arrival_due), "breached"),
            (or_(eta_late, f.plan_issue_date.is_not(None)), "at_risk"),
            else_="ok",
        )
    stop, due = getattr(f, TIMED_PROMISES[sla]), getattr(f, f"{sla}_due")
    risk_at = getattr(f, f"{sla}_risk_at")
    # risk_at: when less than a fifth of the target is left, in business time if it pauses.
    predicted: list[ColumnElement[bool]] = [and_(risk_at.is_not(None), at(now) > risk_at)]
    if sla == "complete":
        predicted.append(and_(f.window_start.is_not(None), f.window_start > due))
        predicted.append(and_(Booking.estimated_start.is_not(None), Booking.estimated_start > due))
        predicted.append(f.plan_issue_date.is_not(None))
    return cases(
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


DIMENSIONS = ("week", "dealer_id", "category", "region_id")
COUNTS = ("jobs", "completed", "cancelled", "arrivals", "on_time", "first_ok", "first_known")
MEDIANS = ("schedule", "complete")


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def _per_job(filters: Filters, now: datetime, zone: str) -> Any:
    """One row per filtered job: its dimensions, flags, durations and every state (as a code)."""
    f = JobSla
    span = (filters.created_from or EPOCH, filters.created_to or now)
    arrived = and_(f.arrived_at.is_not(None), f.arrival_due.is_not(None))
    columns: list[Any] = [
        week_of(f.created_at, zone, *span).label("week"),
        f.dealer_id.label("dealer_id"),
        f.category.label("category"),
        f.region_id.label("region_id"),
        _flag(f.completed_at.is_not(None)).label("completed"),
        _flag(f.cancelled_at.is_not(None)).label("cancelled"),
        _flag(arrived).label("arrivals"),
        _flag(and_(arrived, f.arrived_at <= f.arrival_due)).label("on_time"),
        _flag(f.first_visit_ok.is_(True)).label("first_ok"),
        _flag(f.first_visit_ok.is_not(None)).label("first_known"),
        (seconds_between(f.created_at, f.scheduled_at) / 3600.0).label("h_schedule"),
        (seconds_between(f.created_at, f.completed_at) / 3600.0).label("h_complete"),
        *(state(sla, now, codes=True).label(f"s_{sla}") for sla in SLAS),
    ]
    return facts(filters).with_only_columns(*columns).subquery("per_job")


def whole_minutes(hours: Any) -> ColumnElement[int]:
    """Hours as whole minutes, half a minute up, the same on PostgreSQL and SQLite: whole seconds
    first (SQLite's julianday is off by ~1e-5 s), then integer arithmetic (PostgreSQL rounds a
    double's halves to even, SQLite away from zero)."""
    seconds = cast(func.round(hours * 3600), Integer)
    return (seconds + 30) // 60


def _joined_minutes(hours: Any) -> ColumnElement[str]:
    """A cell's durations as one comma-joined text of whole minutes (cheap to send and parse)."""
    minutes = whole_minutes(hours)
    if _dialect() == "postgresql":
        return func.string_agg(cast(minutes, String), ",")
    return func.group_concat(minutes, ",")


def _cells(j: Any) -> list[dict[str, Any]]:
    """Sums per (week, dealer, category, region): small, and every report rolls up from it.

    Each cell also brings its durations, so the medians of any roll-up come from this same
    single pass over the jobs.
    """
    keys = [j.c[d] for d in DIMENSIONS]
    sums: list[Any] = [func.count().label("jobs")]
    sums += [func.sum(j.c[name]).label(name) for name in COUNTS[1:]]
    for sla in SLAS:
        code = j.c[f"s_{sla}"]
        sums.append(func.sum(_flag(code == CODES["met"])).label(f"{sla}_met"))
        sums.append(func.sum(_flag(code == CODES["breached"])).label(f"{sla}_breached"))
        sums.append(func.sum(_flag(code == CODES["at_risk"])).label(f"{sla}_at_risk"))
    for name in MEDIANS:
        sums.append(_joined_minutes(j.c[f"h_{name}"]).label(f"h_{name}"))
    stmt = select(*keys, *sums).group_by(*keys)
    cells = [dict(row._mapping) for row in db.session.execute(stmt)]
    for cell in cells:
        cell["week"] = _week_text(cell["week"])
    return cells


def _week_text(week: date | str | None) -> str | None:
    """A week key as YYYY-MM-DD text, whichever database grouped it."""
    return week.isoformat() if isinstance(week, date) else week


def _medians(cells: list[dict[str, Any]]) -> dict[str, dict[Any, dict[str, float]]]:
    """The median of each duration (hours, to the minute) per dimension and key."""
    parts: dict[tuple[str, Any, str], list[np.ndarray]] = {}
    for cell in cells:
        for name in MEDIANS:
            text_ = cell[f"h_{name}"]
            if not text_:
                continue
            minutes = np.array(text_.split(","), dtype=np.int64)
            parts.setdefault(("total", None, name), []).append(minutes)
            for d in DIMENSIONS:
                parts.setdefault((d, cell[d], name), []).append(minutes)
    found: dict[str, dict[Any, dict[str, float]]] = {"total": {}, **{d: {} for d in DIMENSIONS}}
    for (dimension, key, name), arrays in parts.items():
        found[dimension].setdefault(key, {})[name] = float(np.median(np.concatenate(arrays))) / 60
    return found


def _finish(row: dict[str, Any], medians: dict[str, float]) -> dict[str, Any]:
    def pct(part: int, whole: int) -> float | None:
        return round(100.0 * part / whole, 1) if whole else None

    row["on_time_pct"] = pct(row.pop("on_time"), row["arrivals"])
    row["first_visit_pct"] = pct(row.pop("first_ok"), row.pop("first_known"))
    for name in MEDIANS:
        value = medians.get(name)
        row[f"median_hours_to_{name}"] = round(float(value), 1) if value is not None else None
    return row


def summary_rows(
    filters: Filters, now: datetime, *, zone: str = "UTC"
) -> dict[str, list[dict[str, Any]]]:
    """Totals and rows per week (local to `zone`), dealer, category and region: one grouped
    pass over the jobs to cells of (week, dealer, category, region) sums, rolled up here."""
    j = _per_job(filters, now, zone)
    cells = _cells(j)
    medians = _medians(cells)
    measures = [
        *COUNTS,
        *(f"{sla}_{state}" for sla in SLAS for state in ("met", "breached", "at_risk")),
    ]
    rolled: dict[str, dict[Any, dict[str, int]]] = {"total": {}, **{d: {} for d in DIMENSIONS}}
    for cell in cells:
        for dimension, rows in rolled.items():
            key = cell[dimension] if dimension != "total" else None
            target = rows.setdefault(key, dict.fromkeys(measures, 0))
            for name in measures:
                target[name] += int(cell[name] or 0)
    if not rolled["total"]:
        rolled["total"][None] = dict.fromkeys(measures, 0)
    return {
        dimension: sorted(
            (
                _finish({"key": key, **sums}, medians[dimension].get(key, {}))
                for key, sums in rows.items()
            ),
            key=lambda r: (r["key"] is None, str(r["key"])),
        )
        for dimension, rows in rolled.items()
    }


def job_states(
    filters: Filters,
    now: datetime,
    *,
    states: tuple[str, ...] = ("at_risk", "breached"),
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the jobs with a promise in one of the given states (open jobs first, newest
    first), and how many there are in all."""
    expressions = {sla: state(sla, now) for sla in SLAS}
    stmt = facts(filters).where(or_(*(expr.in_(states) for expr in expressions.values())))
    total = db.session.scalar(stmt.with_only_columns(func.count()).order_by(None))
    stmt = (
        stmt.with_only_columns(JobSla, *(expr.label(sla) for sla, expr in expressions.items()))
        .order_by(JobSla.completed_at.is_not(None), JobSla.created_at.desc(), JobSla.job_id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    found = []
    for row in db.session.execute(stmt):
        fact = row[0]
        found.append({"facts": fact, "states": {sla: getattr(row, sla) for sla in SLAS}})
    return found, total or 0


def job_clocks(job_id: int, now: datetime) -> list[dict[str, Any]]:
    """Each promise of one job: target, deadline, when kept, elapsed time, state."""
    from app.jobs.models import Job
    from app.sla.clock import business_time_between
    from app.sla.facts import clock_for
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
                fact.arrival_due,
                fact.arrived_at,
                fact.arrival_tolerance_minutes,
            )
        elif sla == "first_visit":
            due, kept = None, fact.completed_at if fact.first_visit_ok else None
        else:
            due, kept = getattr(fact, f"{sla}_due"), getattr(fact, TIMED_PROMISES[sla])
        end = kept or fact.cancelled_at or now
        job = db.session.get(Job, fact.job_id)
        zone = job.timezone if job is not None else "UTC"
        elapsed = business_time_between(fact.created_at, end, clock_for(sla, calendar, zone))
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
