"""Input and output of the network endpoints."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from itertools import pairwise
from typing import Any

import marshmallow as ma

from app.fields import (
    Flag,
    Instant,
    JsonNumber,
    Latitude,
    Longitude,
    Phone,
    Skills,
    TimeZone,
    distinct,
)
from app.network.enums import Category

CATEGORIES = [str(c) for c in Category]
ASSIGNMENT_MODES = ["auto", "manual"]
_name = ma.validate.Length(min=1, max=120)


class BrandCreateSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=_name)
    code = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(r"^[a-z0-9][a-z0-9-]{1,39}$", error="2–40 of a-z, 0-9 and -."),
        metadata={"description": "Short unique code used in links and reports"},
    )
    assignment_mode = ma.fields.String(
        load_default="auto",
        validate=ma.validate.OneOf(ASSIGNMENT_MODES),
        metadata={"description": "auto: a dealer is chosen at intake; manual: the brand assigns"},
    )


class BrandUpdateSchema(ma.Schema):
    name = ma.fields.String(validate=_name)
    assignment_mode = ma.fields.String(validate=ma.validate.OneOf(ASSIGNMENT_MODES))
    sla_webhook_url = ma.fields.Url(
        allow_none=True,
        schemes={"https", "http"},
        validate=ma.validate.Length(max=500),
        metadata={
            "description": "Where SLA alerts are POSTed (signed): an absolute http(s) URL with "
            "a host name; needs an sla_webhook_secret, sent with it or stored before",
            "pattern": "^https?://",
            "example": "https://hooks.example.com/sla",
        },
    )
    sla_webhook_secret = ma.fields.String(
        load_only=True,
        allow_none=True,
        validate=ma.validate.Length(min=16, max=200),
        metadata={"description": "HMAC-SHA256 key for X-Fuwutong-Signature; write-only"},
    )
    ops_phone = Phone(allow_none=True, metadata={"description": "Gets an SMS for each breach"})


class BrandSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    code = ma.fields.String(required=True)
    assignment_mode = ma.fields.String(required=True)
    sla_webhook_url = ma.fields.String(allow_none=True)
    has_webhook_secret = ma.fields.Function(lambda b: bool(b.sla_webhook_secret), required=True)
    ops_phone = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime(required=True)


def _window_template(template: list[list[str]]) -> None:
    periods = []
    for start, end in template:
        if end <= start:
            raise ma.ValidationError(f"Window {start}–{end} must end after it starts.")
        periods.append((start, end))
    periods.sort()
    for (_, end), (start, _) in pairwise(periods):
        if start < end:
            raise ma.ValidationError("Windows overlap.")


_HHMM = ma.validate.Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]$", error="Use HH:MM (24 h).")


class DealerSettingsSchema(ma.Schema):
    """Booking policy and travel estimate; every field optional."""

    window_template = ma.fields.List(
        ma.fields.List(ma.fields.String(validate=_HHMM), validate=ma.validate.Length(equal=2)),
        validate=[ma.validate.Length(min=1, max=24), _window_template],
        metadata={"description": 'Local windows, e.g. [["08:00", "10:00"], ["10:00", "12:00"]]'},
    )
    lead_time_hours = ma.fields.Integer(strict=True, validate=ma.validate.Range(min=0, max=24 * 14))
    horizon_days = ma.fields.Integer(strict=True, validate=ma.validate.Range(min=1, max=60))
    change_cutoff_hours = ma.fields.Integer(
        strict=True, validate=ma.validate.Range(min=0, max=24 * 14)
    )
    road_factor = JsonNumber(validate=ma.validate.Range(min=1.0, max=3.0))
    average_speed_kmh = JsonNumber(validate=ma.validate.Range(min=5.0, max=120.0))
    plan_at = ma.fields.String(
        validate=_HHMM,
        metadata={"description": "Local time at which tomorrow's day plan is made, e.g. 18:00"},
    )


class DealerCreateSchema(DealerSettingsSchema):
    name = ma.fields.String(required=True, validate=_name)
    timezone = TimeZone(required=True)
    phone = Phone(load_default=None, allow_none=True)


class DealerUpdateSchema(DealerSettingsSchema):
    name = ma.fields.String(validate=_name)
    timezone = TimeZone()
    phone = Phone(allow_none=True)
    active = Flag()


class DealerSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    timezone = ma.fields.String(required=True)
    phone = ma.fields.String(allow_none=True)
    active = ma.fields.Boolean(required=True)
    has_service_area = ma.fields.Function(lambda d: d.area is not None, required=True)
    window_template = ma.fields.List(ma.fields.List(ma.fields.String()), required=True)
    lead_time_hours = ma.fields.Integer(required=True)
    horizon_days = ma.fields.Integer(required=True)
    change_cutoff_hours = ma.fields.Integer(required=True)
    road_factor = JsonNumber(required=True)
    average_speed_kmh = JsonNumber(required=True)
    plan_at = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(required=True)


class ServiceAreaInputSchema(ma.Schema):
    """A GeoJSON Polygon or MultiPolygon ([lon, lat] order), or a Feature holding one."""

    class Meta:
        unknown = ma.INCLUDE  # GeoJSON allows foreign members such as "bbox" or "properties"

    type = ma.fields.String(
        required=True, validate=ma.validate.OneOf(["Polygon", "MultiPolygon", "Feature"])
    )
    coordinates = ma.fields.List(
        # Positions are checked with the geometry, which names what is wrong with them.
        ma.fields.List(ma.fields.Raw(allow_none=True)),
        metadata={
            "description": "Polygon: rings of [lon, lat] positions, the first ring the outline, "
            "each closed (last position = first) and not crossing itself; MultiPolygon: a list "
            "of those",
        },
    )
    geometry = ma.fields.Dict(metadata={"description": "A Feature's Polygon or MultiPolygon"})


# For the API document: a square around People's Square, Shanghai; closed ring, [lon, lat].
SERVICE_AREA_EXAMPLE = {
    "type": "Polygon",
    "coordinates": [
        [[121.42, 31.19], [121.53, 31.19], [121.53, 31.28], [121.42, 31.28], [121.42, 31.19]]
    ],
}


class ServiceAreaSchema(ma.Schema):
    dealer_id = ma.fields.Integer(required=True)
    geometry = ma.fields.Dict(required=True, metadata={"description": "GeoJSON geometry"})
    area_km2 = ma.fields.Float(required=True)
    updated_at = ma.fields.DateTime(required=True)


class AuthorizationInputSchema(ma.Schema):
    categories = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(CATEGORIES)),
        required=True,
        validate=[ma.validate.Length(min=1), distinct],
        metadata={"uniqueItems": True},
    )


class AuthorizationSchema(ma.Schema):
    brand_id = ma.fields.Integer(required=True)
    dealer_id = ma.fields.Integer(required=True)
    categories = ma.fields.List(ma.fields.String(), required=True)
    created_at = ma.fields.DateTime(required=True)


_HH_MM = {"pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "08:00"}


class ShiftSchema(ma.Schema):
    """A weekly shift in the installer's local time; ISO weekday 1 = Monday … 7 = Sunday."""

    weekday = ma.fields.Integer(
        required=True, strict=True, validate=ma.validate.Range(min=1, max=7)
    )
    start = ma.fields.Time(required=True, format="%H:%M", attribute="start_time", metadata=_HH_MM)
    end = ma.fields.Time(required=True, format="%H:%M", attribute="end_time", metadata=_HH_MM)

    @ma.validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        if data["end_time"] <= data["start_time"]:
            raise ma.ValidationError("A shift must end after it starts (same day).", "end")


def _no_overlap(shifts: list[dict[str, Any]]) -> None:
    by_day: dict[int, list[tuple[time, time]]] = {}
    for shift in shifts:
        by_day.setdefault(shift["weekday"], []).append((shift["start_time"], shift["end_time"]))
    for periods in by_day.values():
        periods.sort()
        for (_, end), (start, _) in pairwise(periods):
            if start < end:
                raise ma.ValidationError("Shifts on the same weekday overlap.")


def Shifts(**kwargs: Any) -> ma.fields.List:
    """A week of shifts."""
    return ma.fields.List(
        ma.fields.Nested(ShiftSchema), validate=[ma.validate.Length(max=28), _no_overlap], **kwargs
    )


class InstallerCreateSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=_name)
    phone = Phone(required=True)
    skills = Skills()
    home_lat = Latitude(required=True)
    home_lon = Longitude(required=True)
    timezone = TimeZone(required=True)
    max_jobs_per_day = ma.fields.Integer(
        load_default=6, strict=True, validate=ma.validate.Range(min=1, max=30)
    )
    active = Flag(load_default=True)
    shifts = Shifts(load_default=list)


class InstallerUpdateSchema(ma.Schema):
    name = ma.fields.String(validate=_name)
    phone = Phone()
    skills = Skills(empty_default=False)
    home_lat = Latitude()
    home_lon = Longitude()
    timezone = TimeZone()
    max_jobs_per_day = ma.fields.Integer(strict=True, validate=ma.validate.Range(min=1, max=30))
    active = Flag()


class ShiftsInputSchema(ma.Schema):
    shifts = Shifts(required=True)


class TimeOffInputSchema(ma.Schema):
    starts_at = Instant(required=True)
    ends_at = Instant(required=True)
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))

    @ma.validates_schema
    def _ordered(self, data: dict[str, Any], **_: Any) -> None:
        starts: datetime = data["starts_at"]
        ends: datetime = data["ends_at"]
        if ends <= starts:
            raise ma.ValidationError("Time off must end after it starts.", "ends_at")
        if ends - starts > timedelta(days=366):
            raise ma.ValidationError(
                "Time off longer than a year; deactivate the installer instead.", "ends_at"
            )


class TimeOffSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    starts_at = ma.fields.DateTime(required=True)
    ends_at = ma.fields.DateTime(required=True)
    reason = ma.fields.String(required=True)


class InstallerSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    dealer_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    phone = ma.fields.String(required=True)
    skills = ma.fields.List(ma.fields.String(), required=True)
    home_lat = ma.fields.Float(required=True)
    home_lon = ma.fields.Float(required=True)
    timezone = ma.fields.String(required=True)
    max_jobs_per_day = ma.fields.Integer(required=True)
    active = ma.fields.Boolean(required=True)
    shifts = ma.fields.List(ma.fields.Nested(ShiftSchema), required=True)
    time_off = ma.fields.List(ma.fields.Nested(TimeOffSchema), required=True)
    created_at = ma.fields.DateTime(required=True)


_AT_RISK = {
    "description": "Booked jobs not yet started that this installer can no longer do as booked "
    "(inactive, without the skills, off, or not working then). The change is kept; their days "
    "are re-planned, which moves each job to another installer or reports it as a plan issue."
}


class TimeOffCreatedSchema(TimeOffSchema):
    jobs_at_risk = ma.fields.List(ma.fields.Integer(), required=True, metadata=_AT_RISK)


class InstallerChangedSchema(InstallerSchema):
    jobs_at_risk = ma.fields.List(ma.fields.Integer(), required=True, metadata=_AT_RISK)
