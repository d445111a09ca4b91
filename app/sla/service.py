"""SLA reports for a principal: who may see which numbers, the summary, flagged jobs, CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

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
from app.sla.texts import ZH, code_word, language

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


# (column, zh-CN header, en header); times are local to the report zone, named in the header.
EXPORT_COLUMNS = [
    ("job_id", "工单号", "job id"),
    ("external_id", "品牌订单号", "brand order id"),
    ("status", "状态", "status"),
    ("category", "品类", "category"),
    ("dealer_id", "服务商编号", "dealer id"),
    ("dealer_name", "服务商", "dealer"),
    ("created_at", "下单时间", "ordered"),
    ("assigned_at", "分配时间", "dealer assigned"),
    ("contacted_at", "联系客户时间", "customer reached"),
    ("scheduled_at", "预约时间", "visit booked"),
    ("arrived_at", "到达时间", "arrived"),
    ("completed_at", "完工时间", "completed"),
    ("cancelled_at", "取消时间", "cancelled"),
    ("assign_due", "分配截止", "assign due"),
    ("contact_due", "联系截止", "contact due"),
    ("schedule_due", "预约截止", "booking due"),
    ("complete_due", "完工截止", "completion due"),
    ("arrival_due", "到达截止", "arrival due"),
]
TIMES = [name for name, _, _ in EXPORT_COLUMNS if name.endswith(("_at", "_due"))]


def export_header(lang: str, zone: str) -> list[str]:
    """The CSV's first row: column names in the language, times' zone named, one column per
    promise's state."""
    index = 1 if lang == ZH else 2
    names = [
        f"{column[index]} ({zone})" if column[0] in TIMES else column[index]
        for column in EXPORT_COLUMNS
    ]
    state = "状态" if lang == ZH else "state"
    sep = "：" if lang == ZH else ": "
    return [*names, *(f"{code_word('promise', sla, lang)}{sep}{state}" for sla in SLAS)]


def local_time(moment: datetime | None, zone: ZoneInfo) -> str:
    """An instant as local ISO date and time to the second ("2026-12-01 12:00:05"), which
    spreadsheets read as a date; empty when absent."""
    if moment is None:
        return ""
    return moment.astimezone(zone).replace(microsecond=0, tzinfo=None).isoformat(sep=" ")


def export_response(principal: Principal, args: dict[str, Any], now: datetime) -> Response:
    """The CSV export as a streamed download (UTF-8 with a byte-order mark, for Excel)."""
    rows = stream_with_context(export_csv(principal, args, now))
    response = Response(rows, mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = 'attachment; filename="sla-jobs.csv"'
    return response


def export_csv(principal: Principal, args: dict[str, Any], now: datetime) -> Iterator[str]:
    """The filtered jobs with their SLA columns, as CSV lines (streamed): a BOM first, then
    the header; times in the brand's report zone, codes as words in the requested language."""
    filters = filters_for(principal, args, now)
    lang = args.get("lang") or language()
    zone_name = report_zone(filters.brand_id)
    zone = ZoneInfo(zone_name)
    stmt = (
        facts(filters)
        .join(Job, Job.id == JobSla.job_id)
        .outerjoin(Dealer, Dealer.id == JobSla.dealer_id)
        .with_only_columns(
            JobSla,
            Job.external_id,
            Job.status,
            Dealer.name.label("dealer_name"),
            *(state(s, now).label(s) for s in SLAS),
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

    writer.writerow(export_header(lang, zone_name))
    yield "\ufeff" + flush()
    for row in db.session.execute(stmt):
        fact = row[0]
        values: list[Any] = [
            fact.job_id,
            row.external_id,
            code_word("status", row.status, lang),
            code_word("category", fact.category, lang),
            fact.dealer_id if fact.dealer_id is not None else "",
            row.dealer_name or "",
        ]
        values += [local_time(getattr(fact, name), zone) for name in TIMES]
        values += [code_word("state", getattr(row, sla), lang) for sla in SLAS]
        writer.writerow(values)
        yield flush()
