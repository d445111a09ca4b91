"""SLA policies, regions, calendars and metrics as the API shows them."""

from __future__ import annotations

import itertools
from typing import Any

import marshmallow as ma

from app.fields import Flag, Id, Instant, TimeZone
from app.network.enums import Category
from app.pagination import PageArgsSchema
from app.sla.alerts import STATUSES

_minutes = ma.validate.Range(min=1, max=60 * 24 * 90)


class PolicyFieldsSchema(ma.Schema):
    assign_minutes = ma.fields.Integer(
        allow_none=True,
        strict=True,
        validate=_minutes,
        metadata={"description": "Order to dealer assigned"},
    )
    contact_minutes = ma.fields.Integer(
        allow_none=True,
        strict=True,
        validate=_minutes,
        metadata={"description": "Order to invitation delivered"},
    )
    schedule_minutes = ma.fields.Integer(
        allow_none=True,
        strict=True,
        validate=_minutes,
        metadata={"description": "Order to window booked"},
    )
    complete_minutes = ma.fields.Integer(
        allow_none=True,
        strict=True,
        validate=_minutes,
        metadata={"description": "Order to completion"},
    )
    arrival_tolerance_minutes = ma.fields.Integer(
        allow_none=True,
        strict=True,
        validate=ma.validate.Range(min=0, max=240),
        metadata={"description": "On-time arrival: inside the booked window plus this"},
    )
    track_first_visit = Flag()
    business_hours = Flag(
        metadata={"description": "Clocks pause outside the brand's business hours"}
    )


class PolicyCreateSchema(PolicyFieldsSchema):
    category = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.OneOf([str(c) for c in Category])
    )
    region_id = Id(load_default=None, allow_none=True)


class PolicySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    brand_id = ma.fields.Integer(required=True)
    category = ma.fields.String(allow_none=True)
    region_id = ma.fields.Integer(allow_none=True)
    version = ma.fields.Integer(required=True)
    assign_minutes = ma.fields.Integer(allow_none=True)
    contact_minutes = ma.fields.Integer(allow_none=True)
    schedule_minutes = ma.fields.Integer(allow_none=True)
    complete_minutes = ma.fields.Integer(allow_none=True)
    arrival_tolerance_minutes = ma.fields.Integer(allow_none=True)
    track_first_visit = ma.fields.Boolean(required=True)
    business_hours = ma.fields.Boolean(required=True)
    created_at = ma.fields.DateTime(required=True)
    superseded_at = ma.fields.DateTime(allow_none=True)


class RegionCreateSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=80))
    geometry = ma.fields.Dict(
        required=True, metadata={"description": "GeoJSON Polygon or MultiPolygon"}
    )


class RegionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    geometry = ma.fields.Dict(required=True)


_HHMM = ma.validate.Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]$", error="Use HH:MM (24 h).")


def _hours(value: dict[str, Any]) -> None:
    if not any(value.values()):
        raise ma.ValidationError("Give at least one working period.")
    for day, periods in value.items():
        if day not in {"1", "2", "3", "4", "5", "6", "7"}:
            raise ma.ValidationError(f"{day!r} is not an ISO weekday (1 = Monday … 7 = Sunday).")
        ordered = sorted(periods)
        for period in ordered:
            if period[1] <= period[0]:
                raise ma.ValidationError(f"{period[0]}–{period[1]} must end after it starts.")
        for (_, end), (start, _) in itertools.pairwise(ordered):
            if start < end:
                raise ma.ValidationError(f"Periods on weekday {day} overlap.")


def _periods() -> ma.fields.List:
    return ma.fields.List(
        ma.fields.List(ma.fields.String(validate=_HHMM), validate=ma.validate.Length(equal=2)),
        metadata={"example": [["09:00", "18:00"]]},
    )


class WeekHoursSchema(ma.Schema.from_dict({str(day): _periods() for day in range(1, 8)})):  # type: ignore[misc]
    """Working periods by ISO weekday, "1" (Monday) … "7" (Sunday); other keys are refused."""

    error_messages = {"unknown": "Not an ISO weekday; use 1 (Monday) … 7 (Sunday)."}


class CalendarSchema(ma.Schema):
    timezone = TimeZone(required=True)
    hours = ma.fields.Nested(
        WeekHoursSchema,
        required=True,
        validate=_hours,
        metadata={
            "description": "Working periods by ISO weekday (1 = Monday … 7 = Sunday), local "
            "time; at least one period; each ends after it starts; periods of a day do not "
            "overlap",
            "example": {"1": [["09:00", "18:00"]], "6": [["10:00", "16:00"]]},
        },
    )
    holidays = ma.fields.List(ma.fields.Date(), load_default=list)


class CalendarOutSchema(ma.Schema):
    timezone = ma.fields.String(required=True)
    hours = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.List(ma.fields.String())),
        required=True,
    )
    holidays = ma.fields.List(
        ma.fields.String(), required=True, metadata={"description": "YYYY-MM-DD"}
    )


class SummaryArgsSchema(ma.Schema):
    created_from = Instant(
        metadata={"description": "Jobs created from (inclusive); default 90 days ago"}
    )
    created_to = Instant(metadata={"description": "Jobs created before (exclusive); default now"})
    category = ma.fields.String(validate=ma.validate.OneOf([str(c) for c in Category]))
    dealer_id = Id()
    region_id = Id()
    brand_id = Id(metadata={"description": "Admins only: one brand"})


class ExportArgsSchema(SummaryArgsSchema):
    lang = ma.fields.String(
        validate=ma.validate.OneOf(["zh-CN", "en"]),
        metadata={
            "description": "Language of the header and words (default: Accept-Language, else zh-CN)"
        },
    )


class MetricsRowSchema(ma.Schema):
    key = ma.fields.Raw(
        allow_none=True, metadata={"description": "Week, dealer id, category or region id"}
    )
    label = ma.fields.String(allow_none=True)
    jobs = ma.fields.Integer(required=True)
    completed = ma.fields.Integer(required=True)
    cancelled = ma.fields.Integer(required=True)
    arrivals = ma.fields.Integer(required=True)
    on_time_pct = ma.fields.Float(allow_none=True)
    first_visit_pct = ma.fields.Float(allow_none=True)
    median_hours_to_schedule = ma.fields.Float(allow_none=True)
    median_hours_to_complete = ma.fields.Float(allow_none=True)
    breached = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True)
    at_risk = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True)
    promises_due = ma.fields.Integer(
        required=True,
        metadata={
            "description": "Dealer promises (schedule, complete, arrival, first visit) met or breached"
        },
    )
    promises_kept = ma.fields.Integer(required=True, metadata={"description": "Of those, met"})
    kept_pct = ma.fields.Float(allow_none=True, metadata={"description": "kept / due × 100"})
    kept_lower_bound_pct = ma.fields.Float(
        allow_none=True,
        metadata={
            "description": "Wilson 95 % lower bound of kept / due × 100 (the league's order)"
        },
    )
    rank = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "League rank (dealers only); null: fewer than 20 promises due"},
    )


class SummarySchema(ma.Schema):
    created_from = ma.fields.DateTime(required=True)
    created_to = ma.fields.DateTime(required=True)
    totals = ma.fields.Nested(MetricsRowSchema, required=True)
    weekly = ma.fields.List(ma.fields.Nested(MetricsRowSchema), required=True)
    dealers = ma.fields.List(ma.fields.Nested(MetricsRowSchema), required=True)
    categories = ma.fields.List(ma.fields.Nested(MetricsRowSchema), required=True)
    regions = ma.fields.List(ma.fields.Nested(MetricsRowSchema), required=True)


class ClockSchema(ma.Schema):
    sla = ma.fields.String(required=True)
    state = ma.fields.String(required=True)
    target_minutes = ma.fields.Integer(allow_none=True)
    due_at = ma.fields.DateTime(allow_none=True)
    kept_at = ma.fields.DateTime(allow_none=True)
    elapsed_minutes = ma.fields.Integer(required=True)


class OrderClockSchema(ClockSchema):
    job_id = ma.fields.Integer(
        required=True, metadata={"description": "The visit whose clock decides the order's"}
    )


class VisitClocksSchema(ma.Schema):
    job_id = ma.fields.Integer(required=True)
    sequence = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    clocks = ma.fields.List(ma.fields.Nested(ClockSchema), required=True)


class OrderSlaSchema(ma.Schema):
    order_id = ma.fields.Integer(required=True)
    clocks = ma.fields.List(
        ma.fields.Nested(OrderClockSchema),
        required=True,
        metadata={
            "description": "assign, contact, schedule from the first visit; complete from the "
            "last; arrival and first_visit the worst of every visit"
        },
    )
    visits = ma.fields.List(ma.fields.Nested(VisitClocksSchema), required=True)


class FlaggedArgsSchema(SummaryArgsSchema, PageArgsSchema):
    state = ma.fields.String(load_default=None, validate=ma.validate.OneOf(["at_risk", "breached"]))


class FlaggedJobSchema(ma.Schema):
    job_id = ma.fields.Integer(required=True)
    dealer_id = ma.fields.Integer(allow_none=True)
    dealer_name = ma.fields.String(allow_none=True)
    category = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(required=True)
    states = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(), required=True)


class AlertArgsSchema(PageArgsSchema):
    status = ma.fields.String(
        validate=ma.validate.OneOf(STATUSES),
        metadata={"description": "Delivery status: pending, sending, delivered, failed, skipped"},
    )
    state = ma.fields.String(validate=ma.validate.OneOf(["at_risk", "breached"]))


class AlertSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    job_id = ma.fields.Integer(required=True)
    sla = ma.fields.String(required=True)
    state = ma.fields.String(required=True, metadata={"description": "at_risk or breached"})
    due_at = ma.fields.DateTime(allow_none=True)
    status = ma.fields.String(required=True)
    attempts = ma.fields.Integer(required=True)
    next_attempt_at = ma.fields.DateTime(required=True)
    last_error = ma.fields.String(allow_none=True)
    delivered_at = ma.fields.DateTime(allow_none=True)
    created_at = ma.fields.DateTime(required=True)
    payload = ma.fields.Dict(required=True, metadata={"description": "The webhook body"})
