"""The SLA dashboard: KPIs, weekly trends, dealer league table, breakdowns, flagged jobs,
each job's clocks and event timeline, CSV export. A dealer sees its own scorecard."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, render_template, request

from app.auth.enums import Role
from app.auth.scoping import visible
from app.auth.service import Principal
from app.auth.web import error_page, page_login_required
from app.db import utcnow
from app.errors import AppError
from app.extensions import db
from app.fields import in_years
from app.jobs import service as jobs
from app.network.enums import Category
from app.network.models import Brand, Dealer
from app.sla import charts
from app.sla import pages_bp as bp
from app.sla import service as sla
from app.sla.league import MIN_DUE, Z
from app.sla.metrics import SLAS, job_clocks
from app.sla.policies import regions, report_zone
from app.sla.texts import code_word, language, texts

READERS = (Role.ADMIN, Role.BRAND, Role.DEALER)
bp.register_error_handler(AppError, error_page)


PER_PAGE = 25  # jobs at risk or breached per page


def _page(template: str, **context: Any) -> Response:
    lang = language()
    words = {
        "lang": lang,
        "t": texts(lang),
        "w": lambda domain, code: code_word(domain, code, lang),
    }
    response = Response(render_template(template, **words, **context))
    response.headers["Content-Language"] = lang
    response.headers["Cache-Control"] = "no-store"
    return response


def _zone(principal: Principal) -> ZoneInfo:
    """The brand's report zone (its business calendar's), else the deployment default."""
    return ZoneInfo(report_zone(principal.brand_id))


def _day(name: str) -> date | None:
    try:
        day = date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None
    return day if in_years(day.year) else None


def _int(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def filters_from_query(now: datetime, zone: ZoneInfo) -> tuple[dict[str, Any], dict[str, Any]]:
    """The API filters for the page's query string (its days in `zone`), and the form's values
    to show back."""
    today = now.astimezone(zone).date()
    first, last = _day("from") or today - timedelta(days=89), _day("to") or today
    category = (
        request.args.get("category")
        if request.args.get("category") in {str(c) for c in Category}
        else None
    )
    args = {
        "created_from": datetime.combine(first, time(), zone),
        "created_to": datetime.combine(last + timedelta(days=1), time(), zone),
        "category": category,
        "dealer_id": _int("dealer_id"),
        "region_id": _int("region_id"),
        "brand_id": _int("brand_id"),
    }
    form = {
        "from": first,
        "to": last,
        "category": category,
        "dealer_id": args["dealer_id"],
        "region_id": args["region_id"],
        "brand_id": args["brand_id"],
    }
    return args, form


@bp.get("/")
@page_login_required(*READERS)
def dashboard(principal: Principal) -> Response:
    """The dashboard for the signed-in brand (or the dealer's scorecard)."""
    now = utcnow()
    zone = _zone(principal)
    args, form = filters_from_query(now, zone)
    summary = sla.summary(principal, args, now)
    page = max(_int("page") or 1, 1)
    flagged = sla.flagged(principal, {**args, "page": page, "per_page": PER_PAGE}, now)
    pages = max(1, -(-flagged["total"] // PER_PAGE))
    if page > pages:  # past the end (the list shrank): show the last page
        page = pages
        flagged = sla.flagged(principal, {**args, "page": page, "per_page": PER_PAGE}, now)
    t = texts(language())
    weeks = summary["weekly"]
    labels = [w["key"][5:] for w in weeks]
    trend = charts.line_chart(
        labels,
        [
            (t["on_time"], [w["on_time_pct"] for w in weeks]),
            (t["first_visit"], [w["first_visit_pct"] for w in weeks]),
        ],
    )
    volume = charts.bar_chart(
        labels,
        [
            (t["completed"], [w["completed"] for w in weeks]),
            (t["open"], [w["jobs"] - w["completed"] - w["cancelled"] for w in weeks]),
            (t["cancelled"], [w["cancelled"] for w in weeks]),
        ],
    )
    breaches = charts.bar_chart(
        labels,
        [
            (code_word("promise", name, language()), [w["breached"][name] for w in weeks])
            for name in ("schedule", "complete", "arrival")
        ],
    )
    return _page(
        "sla/dashboard.html",
        summary=summary,
        flagged=flagged,
        trend=trend,
        volume=volume,
        breaches=breaches,
        form=form,
        slas=SLAS,
        categories=[str(c) for c in Category],
        dealers=list(db.session.scalars(visible(Dealer, principal).order_by(Dealer.name)))
        if principal.role is not Role.DEALER
        else [],
        regions=regions(principal.brand_id) if principal.brand_id else [],
        brands=list(db.session.scalars(visible(Brand, principal).order_by(Brand.name)))
        if principal.role is Role.ADMIN
        else [],
        query=_query(exclude=("page",)),
        page=page,
        pages=pages,
        is_dealer=principal.role is Role.DEALER,
        zone=zone,
        min_due=MIN_DUE,
        z=Z,
    )


def _query(*, exclude: tuple[str, ...] = ()) -> str:
    """This page's query string without some parameters (to add them back changed)."""
    from urllib.parse import urlencode

    kept = [(k, v) for k, v in request.args.items(multi=True) if k not in exclude]
    return urlencode(kept)


@bp.get("/jobs/<int:job_id>")
@page_login_required(*READERS)
def job(job_id: int, principal: Principal) -> Response:
    """One job's SLA clocks and its event timeline."""
    row = jobs.get_job(principal, job_id)
    dealer = db.session.get(Dealer, row.dealer_id) if row.dealer_id else None
    return _page(
        "sla/job.html",
        job=row,
        dealer=dealer,
        clocks=job_clocks(row.id, utcnow()),
        events=jobs.events_for(principal, row),
        zone=ZoneInfo(row.timezone),
    )


@bp.get("/export.csv")
@page_login_required(*READERS)
def export(principal: Principal) -> Response:
    """The filtered jobs with their SLA columns, as CSV."""
    now = utcnow()
    args, _ = filters_from_query(now, _zone(principal))
    return sla.export_response(principal, args, now)
