"""SMS templates, previews and the outbox as the API shows them."""

from __future__ import annotations

import marshmallow as ma

from app.fields import Id
from app.notify.enums import MessageStatus
from app.notify.templates import DEFAULTS


class PreviewInputSchema(ma.Schema):
    template = ma.fields.String(required=True, validate=ma.validate.OneOf(sorted(DEFAULTS)))
    locale = ma.fields.String(load_default="zh-CN", validate=ma.validate.OneOf(["zh-CN", "en"]))
    brand_id = Id(load_default=None, allow_none=True, strict=True)
    job_id = Id(
        load_default=None,
        allow_none=True,
        strict=True,
        metadata={"description": "Fill the placeholders from this job"},
    )
    body = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.Length(min=1, max=1600),
        metadata={"description": "Preview this text instead of the stored template"},
    )
    context = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(),
        load_default=dict,
        metadata={"description": "Placeholder values (override the job's)"},
    )


class PreviewSchema(ma.Schema):
    body = ma.fields.String(required=True)
    encoding = ma.fields.String(required=True, metadata={"description": "GSM-7 or UCS-2"})
    units = ma.fields.Integer(
        required=True, metadata={"description": "Septets (GSM-7) or UTF-16 units"}
    )
    segments = ma.fields.Integer(required=True)
    placeholders = ma.fields.List(ma.fields.String(), required=True)


class TemplateInputSchema(ma.Schema):
    body = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=1000))


class TemplateSchema(ma.Schema):
    key = ma.fields.String(required=True)
    locale = ma.fields.String(required=True)
    body = ma.fields.String(required=True)
    custom = ma.fields.Boolean(required=True, metadata={"description": "The brand's own wording"})
    segments = ma.fields.Integer(required=True, metadata={"description": "Of the text as written"})


class MessageListArgsSchema(ma.Schema):
    job_id = Id()
    status = ma.fields.String(validate=ma.validate.OneOf([str(s) for s in MessageStatus]))
    to = ma.fields.String(validate=ma.validate.Length(max=20))
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))


class MessageSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    to = ma.fields.String(required=True)
    body = ma.fields.String(required=True)
    template = ma.fields.String(required=True)
    locale = ma.fields.String(required=True)
    encoding = ma.fields.String(required=True)
    segments = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True)
    urgent = ma.fields.Boolean(required=True)
    attempts = ma.fields.Integer(required=True)
    next_attempt_at = ma.fields.DateTime(required=True)
    provider_id = ma.fields.String(allow_none=True)
    error_code = ma.fields.String(allow_none=True)
    error_message = ma.fields.String(allow_none=True)
    job_id = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.DateTime(required=True)
    sent_at = ma.fields.DateTime(allow_none=True)
