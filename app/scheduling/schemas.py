"""Windows, bookings, day views and capacity blocks, as the API shows them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import marshmallow as ma

from app.fields import Id, Instant


class WindowArgsSchema(ma.Schema):
    from_ = ma.fields.Date(
        data_key="from",
        load_default=None,
        metadata={"description": "First local day (YYYY-MM-DD); default today"},
    )
    days = ma.fields.Integer(load_default=14, validate=ma.validate.Range(min=1, max=60))


class WindowSchema(ma.Schema):
    start = ma.fields.String(
        required=True, metadata={"description": "ISO 8601 with the local offset"}
    )
    end = ma.fields.String(required=True)
    date = ma.fields.Date(required=True, metadata={"description": "Local date"})
    label = ma.fields.String(required=True, metadata={"description": "In the consumer's language"})
    installers = ma.fields.Integer(
        required=True, metadata={"description": "How many installers can take it"}
    )
    score = ma.fields.Integer(
        required=True, metadata={"description": "Extra driving in minutes; lower is better"}
    )


class WindowListSchema(ma.Schema):
    job_id = ma.fields.Integer(required=True)
    timezone = ma.fields.String(required=True)
    windows = ma.fields.List(ma.fields.Nested(WindowSchema), required=True)


class BookingInputSchema(ma.Schema):
    window_start = Instant(
        required=True, metadata={"description": "A window's start as listed by /windows"}
    )


class BookingSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    job_id = ma.fields.Integer(required=True)
    dealer_id = ma.fields.Integer(required=True)
    installer_id = ma.fields.Integer(
        required=True, metadata={"description": "Tentative until the day is planned"}
    )
    window_start = ma.fields.String(required=True)
    window_end = ma.fields.String(required=True)
    local_date = ma.fields.Date(required=True)
    label = ma.fields.String(required=True)
    sequence = ma.fields.Integer(required=True)
    estimated_start = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(required=True)


class MoveInputSchema(ma.Schema):
    installer_id = Id(required=True, strict=True)


class DayArgsSchema(ma.Schema):
    date = ma.fields.Date(required=True)


class DayInstallerSchema(ma.Schema):
    installer_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    max_jobs_per_day = ma.fields.Integer(required=True)
    bookings = ma.fields.List(ma.fields.Nested(BookingSchema), required=True)


class DaySchema(ma.Schema):
    dealer_id = ma.fields.Integer(required=True)
    date = ma.fields.Date(required=True)
    installers = ma.fields.List(ma.fields.Nested(DayInstallerSchema), required=True)


class BlockInputSchema(ma.Schema):
    installer_id = Id(
        load_default=None,
        allow_none=True,
        strict=True,
        metadata={"description": "Empty: the whole dealer"},
    )
    starts_at = Instant(required=True)
    ends_at = Instant(required=True)
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))

    @ma.validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        if data["ends_at"] <= data["starts_at"]:
            raise ma.ValidationError("A block must end after it starts.", "ends_at")
        if data["ends_at"] - data["starts_at"] > timedelta(days=31):
            raise ma.ValidationError(
                "Blocks are limited to 31 days; use time off for longer.", "ends_at"
            )


class BlockSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    dealer_id = ma.fields.Integer(required=True)
    installer_id = ma.fields.Integer(allow_none=True)
    starts_at = ma.fields.DateTime(required=True)
    ends_at = ma.fields.DateTime(required=True)
    reason = ma.fields.String(required=True)


class DispatchedSchema(ma.Schema):
    job_id = ma.fields.Integer(required=True)
    installer_id = ma.fields.Integer(required=True)
    sequence = ma.fields.Integer(required=True)


class DispatchDaySchema(ma.Schema):
    dealer_id = ma.fields.Integer(required=True)
    date = ma.fields.Date(required=True)
    dispatched = ma.fields.List(
        ma.fields.Nested(DispatchedSchema),
        required=True,
        metadata={"description": "Jobs dispatched now, per installer in route order"},
    )
