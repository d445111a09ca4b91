"""Job input and output; the API contract, not the table layout."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from app.fields import Id, Instant, Latitude, Longitude, Phone, Skills, TimeZone, distinct
from app.jobs.enums import JobKind, JobStatus, Locale
from app.network.enums import Category
from app.openapi import states

_CATEGORIES = [str(c) for c in Category]
_KINDS = [str(k) for k in JobKind]
_STATUSES = [str(s) for s in JobStatus]


class ItemSchema(ma.Schema):
    sku = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    quantity = ma.fields.Integer(
        load_default=1, strict=True, validate=ma.validate.Range(min=1, max=999)
    )


class ConsumerSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))
    phone = Phone(required=True)
    locale = ma.fields.String(
        load_default=str(Locale.ZH_CN), validate=ma.validate.OneOf([str(x) for x in Locale])
    )


class ConsumerUpdateSchema(ma.Schema):
    """Only the contact details sent change; the others keep their values."""

    name = ma.fields.String(validate=ma.validate.Length(min=1, max=120))
    phone = Phone()
    locale = ma.fields.String(validate=ma.validate.OneOf([str(x) for x in Locale]))


# lat and lon come together: both numbers, or neither (absent or null).
_NOT_A_NUMBER = {"not": {"type": "number"}}
BOTH_OR_NEITHER = {
    "anyOf": [
        {
            "required": ["lat", "lon"],
            "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}},
        },
        {"properties": {"lat": _NOT_A_NUMBER, "lon": _NOT_A_NUMBER}},
    ]
}


def _both_or_neither(data: dict[str, Any]) -> None:
    if (data.get("lat") is None) != (data.get("lon") is None):
        raise ma.ValidationError("Send both lat and lon, or neither.", "lat")


@states(**BOTH_OR_NEITHER)
class JobCreateSchema(ma.Schema):
    """A brand's order. Status, ids and assignment are set by the platform, never by the caller.
    lat and lon come together, or the address is geocoded."""

    external_id = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=100),
        metadata={"description": "The brand's own order id; unique per brand"},
    )
    category = ma.fields.String(required=True, validate=ma.validate.OneOf(_CATEGORIES))
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(_KINDS))
    required_skills = Skills()
    duration_minutes = ma.fields.Integer(
        required=True, strict=True, validate=ma.validate.Range(min=5, max=720)
    )
    items = ma.fields.List(
        ma.fields.Nested(ItemSchema), load_default=list, validate=ma.validate.Length(max=100)
    )
    consumer = ma.fields.Nested(ConsumerSchema, required=True)
    address = ma.fields.String(required=True, validate=ma.validate.Length(min=3, max=300))
    lat = Latitude(load_default=None, allow_none=True)
    lon = Longitude(load_default=None, allow_none=True)
    timezone = TimeZone(load_default=None, allow_none=True)
    requested_by = ma.fields.Date(load_default=None, allow_none=True)
    notes = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))

    @ma.validates_schema
    def _location(self, data: dict[str, Any], **_: Any) -> None:
        _both_or_neither(data)


@states(**BOTH_OR_NEITHER)
class JobUpdateSchema(ma.Schema):
    """Fields a brand may still change; anything else is refused as unknown. lat and lon come
    together."""

    items = ma.fields.List(ma.fields.Nested(ItemSchema), validate=ma.validate.Length(max=100))
    consumer = ma.fields.Nested(ConsumerUpdateSchema)
    address = ma.fields.String(validate=ma.validate.Length(min=3, max=300))
    lat = Latitude(allow_none=True)
    lon = Longitude(allow_none=True)
    requested_by = ma.fields.Date(allow_none=True)
    notes = ma.fields.String(validate=ma.validate.Length(max=2000))

    @ma.validates_schema
    def _location(self, data: dict[str, Any], **_: Any) -> None:
        if "lat" in data or "lon" in data:
            _both_or_neither(data)


class CancelSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))


class JobListArgsSchema(ma.Schema):
    status = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(_STATUSES)),
        validate=distinct,
        metadata={"description": "Repeat to match any of several statuses", "uniqueItems": True},
    )
    category = ma.fields.String(validate=ma.validate.OneOf(_CATEGORIES))
    external_id = ma.fields.String(validate=ma.validate.Length(min=1, max=100))
    brand_id = Id()
    dealer_id = Id()
    installer_id = Id()
    created_from = Instant(metadata={"description": "Inclusive, ISO 8601 with offset"})
    created_to = Instant(metadata={"description": "Exclusive, ISO 8601 with offset"})
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))


class JobConsumerOutSchema(ma.Schema):
    name = ma.fields.String(required=True)
    phone = ma.fields.String(required=True)
    locale = ma.fields.String(required=True)


class JobBookingSchema(ma.Schema):
    """The booked window in UTC; /jobs/{id}/booking shows it in local time."""

    window_start = ma.fields.DateTime(required=True)
    window_end = ma.fields.DateTime(required=True)
    installer_id = ma.fields.Integer(required=True)


class PlanIssueSchema(ma.Schema):
    """Why the latest day plan could not keep the job's booked window."""

    code = ma.fields.String(required=True, metadata={"description": "Machine reason"})
    message = ma.fields.String(required=True)
    date = ma.fields.Date(required=True, metadata={"description": "The planned local day"})


class JobSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    brand_id = ma.fields.Integer(required=True)
    external_id = ma.fields.String(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(_STATUSES))
    category = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    required_skills = ma.fields.List(ma.fields.String(), required=True)
    duration_minutes = ma.fields.Integer(required=True)
    items = ma.fields.List(ma.fields.Nested(ItemSchema), required=True)
    consumer = ma.fields.Nested(JobConsumerOutSchema, required=True)
    address = ma.fields.String(required=True)
    lat = ma.fields.Float(required=True)
    lon = ma.fields.Float(required=True)
    location_source = ma.fields.String(required=True)
    timezone = ma.fields.String(required=True)
    requested_by = ma.fields.Date(allow_none=True)
    notes = ma.fields.String(required=True)
    dealer_id = ma.fields.Integer(allow_none=True)
    installer_id = ma.fields.Integer(allow_none=True)
    unassigned_reason = ma.fields.String(
        allow_none=True, metadata={"description": "Why no dealer could be chosen"}
    )
    booking = ma.fields.Nested(JobBookingSchema, allow_none=True)
    plan_issue = ma.fields.Nested(
        PlanIssueSchema,
        allow_none=True,
        metadata={"description": "Set while the day plan cannot keep the booked window"},
    )
    allowed_next = ma.fields.List(
        ma.fields.String(),
        required=True,
        metadata={"description": "Statuses this job may move to next"},
    )
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)
    order_id = ma.fields.Integer(
        required=True, metadata={"description": "The order this visit is of"}
    )
    sequence = ma.fields.Integer(
        required=True, metadata={"description": "The visit's number in its order"}
    )
    needs_goods = ma.fields.Boolean(
        required=True, metadata={"description": "Bookable only once the goods are at the dealer"}
    )
    after_job_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "The earlier visit this one depends on"}
    )
    min_gap_hours = ma.fields.Integer(allow_none=True)
    same_crew_same_day = ma.fields.Boolean(required=True)


class JobEventSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    job_id = ma.fields.Integer(required=True)
    type = ma.fields.String(required=True)
    from_status = ma.fields.String(allow_none=True)
    to_status = ma.fields.String(allow_none=True)
    actor_role = ma.fields.String(required=True)
    actor_id = ma.fields.String(required=True)
    occurred_at = ma.fields.DateTime(required=True)
    client_time = ma.fields.DateTime(allow_none=True)
    client_event_id = ma.fields.String(allow_none=True)
    payload = ma.fields.Dict(required=True)
