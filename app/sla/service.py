"""SLA reports for a principal: who may see which numbers, the summary, flagged jobs, CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from flask import Response, stream_with_context
from sqlalchemy import select

from app.auth.enums import Role
from app.auth.service import Principal
from app.extensions import db
from app.jobs.models import Job
from app.network.models import Dealer
from app.sla.league import rank, score
from app.sla.metrics import SLAS, Filters, facts, job_states, state, summary_rows
from app.sla.models import JobSla, SlaRegion
from app.sla.policies import report_zone

DEFAULT_DAYS = 90


def filters_for(principal: Principal, args: dict[str, Any], now: datetime) -> Filters:
    """The principal's walls applied to the requested filters (a dealer sees only itself)."""
    brand_id = principal.brand_id if principal.role is Role.BRAND else args.get("brand_id")
    dealer_id = principal.dealer_id if principal.role is Role.DEALER else args.get("dealer_id")
    return Filters(
        brand_id=brand_id,
        dealer_id=dealer_id,
        category=args.get("category"),
        region_id=args.get("region_id"),
        created_from=args.get("created_from") or now - timedelta(days=DEFAULT_DAYS),
        created_to=args.get("created_to") or now,
    )


def _shape(row: dict[str, Any], label: str | None = None) -> dict[str, Any]:
    return {
        **{k: v for k, v in row.items() if not k.endswith(("_met", "_breached", "_at_risk"))},
        **score(row),
        "label": label,
        "breached": {sla: int(row.get(f"{sla}_breached") or 0) for sla in SLAS},
        "at_risk": {sla: int(row.get(f"{sla}_at_risk") or 0) for sla in SLAS},
    }


def _names(model: Any, ids: set[Any]) -> dict[Any, str]:
    """Names of the rows a summary mentions (not of the whole table)."""
    ids.discard(None)
    if not ids:
        return {}
    return dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())


def summary(principal: Principal, args: dict[str, Any], now: datetime) -> dict[str, Any]:
    """KPIs, weekly trend, dealer league table and breakdowns for the filtered jobs."""
    filters = filters_for(principal, args, now)
    rows = summary_rows(filters, now, zone=report_zone(filters.brand_id))
    dealer_names = _names(Dealer, {r["key"] for r in rows["dealer_id"]})
    region_names = _names(SlaRegion, {r["key"] for r in rows["region_id"]})
    # Jobs not assigned yet belong to no dealer: they are not in the league.
    dealers = rank(
        [_shape(r, dealer_names.get(r["key"])) for r in rows["dealer_id"] if r["key"] is not None]
    )
    return {
        "created_from": filters.created_from,
        "created_to": filters.created_to,
        "totals": _shape(rows["total"][0]),
        "weekly": [_shape(r, r["key"]) for r in rows["week"]],
        "dealers": dealers,
        "categories": [_shape(r, r["key"]) for r in rows["category"]],
        "regions": [_shape(r, region_names.get(r["key"])) for r in rows["region_id"]],
    }


def flagged(principal: Principal, args: dict[str, Any], now: datetime) -> dict[str, Any]:
    """One page of the jobs with a promise at risk or breached: {items, total, page, per_page}."""
    filters = filters_for(principal, args, now)
    states = (args["state"],) if args.get("state") else ("at_risk", "breached")
    page, per_page = args.get("page", 1), args.get("per_page", 50)
    found, total = job_states(filters, now, states=states, page=page, per_page=per_page)
    names = _names(Dealer, {item["facts"].dealer_id for item in found})
    items = [
        {
            "job_id": item["facts"].job_id,
            "dealer_id": item["facts"].dealer_id,
            "dealer_name": names.get(item["facts"].dealer_id),
            "category": item["facts"].category,
            "created_at": item["facts"].created_at,
            "states": item["states"],
        }
        for item in found
    ]
    return {"items": items, "total": total, "page": page, "per_page": per_page}


EXPORT_COLUMNS = [
    "job_id", "external_id", "status", "category", "dealer_id", "created_at", "assigned_at",
    "contacted_at", "scheduled_at", "arrived_at", "completed_at", "cancelled_at",
    "assign_due", "contact_due", "schedule_due", "complete_due", "arrival_due",
    *(f"{sla}_state" for sla in SLAS),
]  # fmt: skip


def export_response(principal: Principal, args: dict[str, Any], now: datetime) -> Response:
    """The CSV export as a streamed download."""
    rows = stream_with_context(export_csv(principal, args, now))
    response = Response(rows, mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="sla-jobs.csv"'
    return response


def export_csv(principal: Principal, args: dict[str, Any], now: datetime) -> Iterator[str]:
    """The filtered jobs with their SLA columns, as CSV lines (streamed)."""
    filters = filters_for(principal, args, now)
    stmt = (
        facts(filters)
        .join(Job, Job.id == JobSla.job_id)
        .with_only_columns(
            JobSla, Job.external_id, Job.status, *(state(s, now).label(s) for s in SLAS)
        )
        .order_by(JobSla.created_at, JobSla.job_id)
        .execution_options(yield_per=2000)
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(EXPORT_COLUMNS)
    yield flush()
    for row in db.session.execute(stmt):
        fact = row[0]
        values: list[Any] = [
            fact.job_id,
            row.external_id,
            row.status,
            fact.category,
            fact.dealer_id,
        ]
        for name in EXPORT_COLUMNS[5:17]:
            value = getattr(fact, name)
            values.append(value.isoformat() if value else "")
        values += [getattr(row, sla) for sla in SLAS]
        writer.writerow(values)
        yield flush()
