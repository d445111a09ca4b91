"""Order input and output: an order with its visits, after-sales visits, the goods."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from app.fields import Flag, Id, Latitude, Longitude, Skills, TimeZone
from app.jobs.enums import GoodsStatus, JobKind, OrderStatus
from app.jobs.schemas import (
    BOTH_OR_NEITHER,
    ConsumerSchema,
    ItemSchema,
    JobSchema,
    _both_or_neither,
)
from app.network.enums import Category
from app.openapi import states

_KINDS = [str(k) for k in JobKind]


class VisitCreateSchema(ma.Schema):
    """One visit of an order; `after` names an earlier visit of the same order by its
    sequence (1 is the first visit), with `min_gap_hours` or `same_crew_same_day`."""

    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(_KINDS))
    required_skills = Skills()
    duration_minutes = ma.fields.Integer(
        required=True, strict=True, validate=ma.validate.Range(min=5, max=720)
    )
    needs_goods = Flag(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "Bookable only once the goods are at the dealer; default: true "
            "for delivery and delivery_install, false otherwise"
        },
    )
    after = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=ma.validate.Range(min=1, max=50),
        metadata={
            "description": "The sequence of the earlier visit this one follows",
            "example": 1,
        },
    )
    min_gap_hours = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=ma.validate.Range(min=0, max=720),
        metadata={"description": "At least this long after the earlier visit's window ends"},
    )
    same_crew_same_day = Flag(
        load_default=False,
        metadata={"description": "The same installer, the same day, after the earlier visit"},
    )
    notes = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))


def _visits(required: bool = True) -> ma.fields.List:
    return ma.fields.List(
        ma.fields.Nested(VisitCreateSchema),
        required=required,
        validate=ma.validate.Length(min=1, max=10),
    )


@states(**BOTH_OR_NEITHER)
class OrderCreateSchema(ma.Schema):
    """A brand's order: what was sold, to whom and where, and the visits it takes."""

    external_id = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=90),
        metadata={
            "description": "The brand's own order id; unique per brand",
            "example": "OAK-1001",
        },
    )
    category = ma.fields.String(
        required=True, validate=ma.validate.OneOf([str(c) for c in Category])
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
    goods_expected_on = ma.fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "When the goods should reach the dealer (YYYY-MM-DD)"},
    )
    visits = _visits()

    @ma.validates_schema
    def _location(self, data: dict[str, Any], **_: Any) -> None:
        _both_or_neither(data)


class VisitsAddSchema(ma.Schema):
    """After-sales visits added to an order (also a completed one)."""

    visits = _visits()


class GoodsExpectedSchema(ma.Schema):
    goods_expected_on = ma.fields.Date(
        required=True,
        allow_none=True,
        metadata={"description": "YYYY-MM-DD, or null when not known any more"},
    )


class OrderListArgsSchema(ma.Schema):
    waiting = ma.fields.String(
        validate=ma.validate.OneOf(["goods"]),
        metadata={
            "description": "goods: orders with a visit waiting for its goods, longest wait first"
        },
    )
    external_id = ma.fields.String(validate=ma.validate.Length(min=1, max=100))
    brand_id = Id()
    dealer_id = Id(metadata={"description": "Orders with a visit given to this dealer"})
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))


class GoodsSchema(ma.Schema):
    status = ma.fields.String(
        required=True, validate=ma.validate.OneOf([str(s) for s in GoodsStatus])
    )
    expected_on = ma.fields.Date(allow_none=True)
    received_at = ma.fields.DateTime(allow_none=True)
    waiting_since = ma.fields.DateTime(
        allow_none=True,
        metadata={"description": "When the order started waiting (its intake), while it waits"},
    )


class OrderSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    brand_id = ma.fields.Integer(required=True)
    external_id = ma.fields.String(required=True)
    status = ma.fields.String(
        required=True, validate=ma.validate.OneOf([str(s) for s in OrderStatus])
    )
    goods = ma.fields.Nested(GoodsSchema, required=True)
    visits = ma.fields.List(ma.fields.Nested(JobSchema), required=True)
    created_at = ma.fields.DateTime(required=True)
