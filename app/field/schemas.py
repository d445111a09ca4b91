"""The field API's contract: the route, a job as the phone sees it, events, uploads."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from app.field.enums import AttachmentKind, FailureReason, FieldAction
from app.fields import Flag, Id, Instant, JsonNumber, Latitude, Longitude
from app.jobs.schemas import ItemSchema, JobEventSchema

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


def ClientId(**kwargs: Any) -> ma.fields.String:
    """A UUID made by the phone."""
    kwargs.setdefault("metadata", {}).setdefault("example", "3f2b8c1e-9a4d-4c1b-8f7e-2d6a5b4c3e21")
    return ma.fields.String(
        validate=ma.validate.Regexp(UUID_PATTERN, error="Not a UUID."), **kwargs
    )


class RouteArgsSchema(ma.Schema):
    date = ma.fields.Date(
        load_default=None,
        metadata={"description": "Local day (YYYY-MM-DD); default today in your time zone"},
    )


class VisitSchema(ma.Schema):
    local_date = ma.fields.Date(required=True)
    sequence = ma.fields.Integer(required=True, metadata={"description": "Place in the route"})
    window_start = ma.fields.DateTime(required=True, metadata={"description": "Local, offset"})
    window_end = ma.fields.DateTime(required=True)
    estimated_start = ma.fields.DateTime(required=True)


class OutcomeSchema(ma.Schema):
    status = ma.fields.String(required=True)
    reason = ma.fields.String(allow_none=True)
    note = ma.fields.String(required=True)
    at = ma.fields.DateTime(required=True)


class AttachmentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    job_id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(list(AttachmentKind)))
    content_type = ma.fields.String(required=True)
    size = ma.fields.Integer(required=True)
    width = ma.fields.Integer(required=True)
    height = ma.fields.Integer(required=True)
    sha256 = ma.fields.String(required=True)
    client_upload_id = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime(required=True)


class ConsumerContactSchema(ma.Schema):
    name = ma.fields.String(required=True)
    phone = ma.fields.String(required=True)


class FieldJobSchema(ma.Schema):
    """A job on the installer's phone."""

    id = ma.fields.Integer(required=True, attribute="job.id")
    external_id = ma.fields.String(required=True, attribute="job.external_id")
    status = ma.fields.String(required=True, attribute="job.status")
    dispatched = ma.fields.Boolean(
        required=True, metadata={"description": "False: planned but not dispatched yet"}
    )
    actions = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(list(FieldAction))),
        required=True,
        metadata={"description": "What the installer may do now"},
    )
    visit = ma.fields.Nested(VisitSchema, allow_none=True)
    outcome = ma.fields.Nested(OutcomeSchema, allow_none=True)
    brand = ma.fields.String(required=True, attribute="brand_name")
    kind = ma.fields.String(required=True, attribute="job.kind")
    category = ma.fields.String(required=True, attribute="job.category")
    duration_minutes = ma.fields.Integer(required=True, attribute="job.duration_minutes")
    required_skills = ma.fields.List(
        ma.fields.String(), required=True, attribute="job.required_skills"
    )
    items = ma.fields.List(ma.fields.Nested(ItemSchema), required=True, attribute="job.items")
    notes = ma.fields.String(required=True, attribute="job.notes")
    consumer = ma.fields.Nested(ConsumerContactSchema, required=True, attribute="job.consumer")
    address = ma.fields.String(required=True, attribute="job.address")
    lat = ma.fields.Float(required=True, attribute="job.lat")
    lon = ma.fields.Float(required=True, attribute="job.lon")
    timezone = ma.fields.String(required=True, attribute="job.timezone")
    attachments = ma.fields.List(ma.fields.Nested(AttachmentSchema), required=True)
    updated_at = ma.fields.DateTime(required=True, attribute="job.updated_at")


class RouteSchema(ma.Schema):
    date = ma.fields.Date(required=True, attribute="day")
    today = ma.fields.Date(required=True, metadata={"description": "Today in your time zone"})
    timezone = ma.fields.String(required=True)
    jobs = ma.fields.List(ma.fields.Nested(FieldJobSchema), required=True)


class PositionSchema(ma.Schema):
    lat = Latitude(required=True)
    lon = Longitude(required=True)
    accuracy_m = JsonNumber(
        load_default=None, allow_none=True, validate=ma.validate.Range(min=0, max=100_000)
    )


class ChecklistItemSchema(ma.Schema):
    label = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    done = Flag(required=True)


class FieldEventSchema(ma.Schema):
    """One thing the installer did, as the phone recorded it (maybe hours before it is sent)."""

    client_event_id = ClientId(
        required=True, metadata={"description": "Made by the phone; the same id applies once"}
    )
    type = ma.fields.String(required=True, validate=ma.validate.OneOf(list(FieldAction)))
    client_time = Instant(
        required=True, metadata={"description": "The phone's clock when it happened"}
    )
    position = ma.fields.Nested(PositionSchema, load_default=None, allow_none=True)
    reason = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.OneOf(list(FailureReason)),
        metadata={"description": "fail: why the job could not be completed"},
    )
    note = ma.fields.String(load_default="", validate=ma.validate.Length(max=2000))
    checklist = ma.fields.List(
        ma.fields.Nested(ChecklistItemSchema),
        load_default=list,
        validate=ma.validate.Length(max=50),
    )
    signer_name = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(min=1, max=120)
    )
    photos = ma.fields.List(
        ClientId(),
        load_default=list,
        validate=ma.validate.Length(max=20),
        metadata={"description": "complete: client_upload_ids of the photos"},
    )
    signature = ClientId(
        load_default=None,
        allow_none=True,
        metadata={"description": "complete: client_upload_id of the signature"},
    )

    @ma.validates_schema
    def _by_type(self, data: dict[str, Any], **_: Any) -> None:
        if data["type"] == FieldAction.FAIL:
            if not data.get("reason"):
                raise ma.ValidationError("Say why the job could not be completed.", "reason")
            if data["reason"] == FailureReason.OTHER and not data["note"].strip():
                raise ma.ValidationError("Describe the reason in a note.", "note")
        if data["type"] == FieldAction.COMPLETE and not (data.get("signer_name") or "").strip():
            raise ma.ValidationError("The name of who signed is required.", "signer_name")


class SyncEventSchema(FieldEventSchema):
    job_id = Id(required=True, strict=True)


class SyncSchema(ma.Schema):
    events = ma.fields.List(
        ma.fields.Nested(SyncEventSchema),
        required=True,
        validate=ma.validate.Length(min=1, max=100),
        metadata={"description": "In the order they happened"},
    )


class EventResultSchema(ma.Schema):
    client_event_id = ma.fields.String(required=True)
    job_id = ma.fields.Integer(required=True)
    result = ma.fields.String(
        required=True, validate=ma.validate.OneOf(["applied", "replayed", "rejected"])
    )
    status = ma.fields.Integer(required=True, metadata={"description": "HTTP status it would get"})
    event = ma.fields.Nested(JobEventSchema, allow_none=True)
    job = ma.fields.Nested(FieldJobSchema, allow_none=True, metadata={"description": "Now"})
    warnings = ma.fields.List(ma.fields.String(), required=True)
    error = ma.fields.Dict(
        allow_none=True,
        metadata={"description": "When rejected: the error body {code, message, fields, …}"},
    )


class SyncResultSchema(ma.Schema):
    results = ma.fields.List(ma.fields.Nested(EventResultSchema), required=True)


class UploadArgsSchema(ma.Schema):
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf(list(AttachmentKind)))
    client_upload_id = ClientId(
        load_default=None, metadata={"description": "Made by the phone; retries are recognised"}
    )


class UploadFileSchema(ma.Schema):
    file = ma.fields.Raw(
        required=True,
        metadata={"type": "string", "format": "binary", "description": "JPEG, PNG or WebP"},
    )


class GoodsScanSchema(ma.Schema):
    code = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=100),
        metadata={
            "description": "The order code as scanned or typed: the brand's order id, or #<id>",
            "example": "OAK-1001",
        },
    )


class GoodsReceivedSchema(ma.Schema):
    order_id = ma.fields.Integer(required=True)
    external_id = ma.fields.String(required=True)
    received_at = ma.fields.DateTime(required=True)
    already = ma.fields.Boolean(
        required=True, metadata={"description": "True when the goods were already received"}
    )
    consumer_name = ma.fields.String(required=True)
    items = ma.fields.List(ma.fields.Nested(ItemSchema), required=True)
    visits = ma.fields.Integer(required=True)
