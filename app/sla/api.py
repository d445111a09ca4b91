"""SLA endpoints: policies, regions, business calendar, the summary, flagged jobs, CSV, clocks."""

from __future__ import annotations

from typing import Any

from flask import Response

from app.auth.decorators import current_principal, require_role
from app.auth.enums import Role
from app.auth.scoping import get_visible
from app.db import transaction, utcnow
from app.jobs import orders
from app.jobs import service as jobs
from app.network.models import Brand
from app.pagination import page_schema, paginate
from app.sla import alerts, blp, policies
from app.sla import orders as order_sla
from app.sla import service as sla
from app.sla.metrics import job_clocks
from app.sla.schemas import (
    AlertArgsSchema,
    AlertSchema,
    CalendarOutSchema,
    CalendarSchema,
    ClockSchema,
    ExportArgsSchema,
    FlaggedArgsSchema,
    FlaggedJobSchema,
    OrderSlaSchema,
    PolicyCreateSchema,
    PolicyFieldsSchema,
    PolicySchema,
    RegionCreateSchema,
    RegionSchema,
    SummaryArgsSchema,
    SummarySchema,
)

READERS = (Role.ADMIN, Role.BRAND, Role.DEALER)
OWNERS = (Role.ADMIN, Role.BRAND)


def _brand(brand_id: int) -> Brand:
    return get_visible(Brand, brand_id, current_principal())


@blp.route("/brands/<int:brand_id>/sla-policies", methods=["GET"])
@require_role(*OWNERS)
@blp.response(200, PolicySchema(many=True))
def list_policies(brand_id: int) -> Any:
    """The brand's policies in force (one per scope)."""
    return policies.in_force(_brand(brand_id).id)


@blp.route("/brands/<int:brand_id>/sla-policies", methods=["POST"])
@require_role(*OWNERS)
@blp.arguments(PolicyCreateSchema, required=False)
@blp.response(201, PolicySchema)
def create_policy(args: dict[str, Any], brand_id: int) -> Any:
    """Promise targets for all the brand's jobs, a category, a region, or both."""
    with transaction():
        return policies.create_policy(_brand(brand_id).id, args)


@blp.route("/brands/<int:brand_id>/sla-policies/<int:policy_id>", methods=["PUT"])
@require_role(*OWNERS)
@blp.arguments(PolicyFieldsSchema, required=False)
@blp.response(200, PolicySchema)
def revise_policy(args: dict[str, Any], brand_id: int, policy_id: int) -> Any:
    """Change targets: a new version for new jobs; jobs already created keep theirs."""
    with transaction():
        return policies.revise_policy(policies.get_policy(_brand(brand_id).id, policy_id), args)


@blp.route("/brands/<int:brand_id>/sla-policies/<int:policy_id>", methods=["DELETE"])
@require_role(*OWNERS)
@blp.response(204)
def retire_policy(brand_id: int, policy_id: int) -> None:
    """Stop applying a policy to new jobs."""
    with transaction():
        policies.retire_policy(policies.get_policy(_brand(brand_id).id, policy_id))


@blp.route("/brands/<int:brand_id>/sla-regions", methods=["GET"])
@require_role(*OWNERS)
@blp.response(200, RegionSchema(many=True))
def list_regions(brand_id: int) -> Any:
    """The brand's regions."""
    return policies.regions(_brand(brand_id).id)


@blp.route("/brands/<int:brand_id>/sla-regions", methods=["POST"])
@require_role(*OWNERS)
@blp.arguments(RegionCreateSchema)
@blp.response(201, RegionSchema)
def create_region(args: dict[str, Any], brand_id: int) -> Any:
    """Add a named region (GeoJSON polygon) for policies and breakdowns."""
    with transaction():
        return policies.create_region(_brand(brand_id).id, args["name"], args["geometry"])


@blp.route("/brands/<int:brand_id>/business-calendar", methods=["PUT"])
@require_role(*OWNERS)
@blp.arguments(CalendarSchema)
@blp.response(200, CalendarOutSchema)
def put_calendar(args: dict[str, Any], brand_id: int) -> Any:
    """Set business hours and holidays (policies with business_hours pause outside them)."""
    holidays = [day.isoformat() for day in args["holidays"]]
    with transaction():
        return policies.set_calendar(_brand(brand_id).id, args["timezone"], args["hours"], holidays)


@blp.route("/brands/<int:brand_id>/business-calendar", methods=["GET"])
@require_role(*OWNERS)
@blp.response(200, CalendarOutSchema)
def get_calendar(brand_id: int) -> Any:
    """Read the business hours and holidays."""
    return policies.get_calendar(_brand(brand_id).id)


@blp.route("/sla/summary", methods=["GET"])
@require_role(*READERS)
@blp.arguments(SummaryArgsSchema, location="query")
@blp.response(200, SummarySchema)
def summary(args: dict[str, Any]) -> Any:
    """KPIs, weekly trend, dealer league table, breakdowns (a dealer sees its own scorecard)."""
    return sla.summary(current_principal(), args, utcnow())


@blp.route("/sla/jobs", methods=["GET"])
@require_role(*READERS)
@blp.arguments(FlaggedArgsSchema, location="query")
@blp.response(200, page_schema(FlaggedJobSchema))
def flagged_jobs(args: dict[str, Any]) -> Any:
    """Jobs with a promise at risk or breached, one page at a time (`page`, `per_page` ≤ 200),
    open jobs first, newest first; `total` counts them all."""
    return sla.flagged(current_principal(), args, utcnow())


@blp.route("/sla/export.csv", methods=["GET"])
@require_role(*READERS)
@blp.arguments(ExportArgsSchema, location="query")
@blp.response(200, description="CSV (UTF-8 with BOM), one row per job with its SLA columns")
def export(args: dict[str, Any]) -> Response:
    """Export the filtered jobs with their SLA dates and states as CSV."""
    return sla.export_response(current_principal(), args, utcnow())


@blp.route("/jobs/<int:job_id>/sla", methods=["GET"])
@require_role(*READERS)
@blp.response(200, ClockSchema(many=True))
def clocks(job_id: int) -> Any:
    """The job's SLA clocks: target, deadline, when kept, elapsed, state."""
    job = jobs.get_job(current_principal(), job_id)
    return job_clocks(job.id, utcnow())


@blp.route("/orders/<int:order_id>/sla", methods=["GET"])
@require_role(*READERS)
@blp.response(200, OrderSlaSchema)
def order_clocks(order_id: int) -> Any:
    """The order's SLA, from its visits: the first visit's assign, contact and schedule
    clocks, the last visit's completion, the worst arrival and first-visit result."""
    return order_sla.order_clocks(orders.get_order(current_principal(), order_id), utcnow())


@blp.route("/brands/<int:brand_id>/sla-alerts", methods=["GET"])
@require_role(*OWNERS)
@blp.arguments(AlertArgsSchema, location="query")
@blp.response(200, page_schema(AlertSchema))
def list_alerts(args: dict[str, Any], brand_id: int) -> Any:
    """The brand's SLA alerts and their webhook delivery, newest first."""
    stmt = alerts.list_alerts(
        _brand(brand_id).id, status=args.get("status"), state=args.get("state")
    )
    return paginate(stmt, page=args["page"], per_page=args["per_page"])


@blp.route("/brands/<int:brand_id>/sla-alerts/<int:alert_id>/redeliver", methods=["POST"])
@require_role(*OWNERS)
@blp.response(200, AlertSchema)
def redeliver_alert(brand_id: int, alert_id: int) -> Any:
    """Send a failed alert again (a fresh round of retries)."""
    with transaction():
        return alerts.redeliver(_brand(brand_id), alert_id)
