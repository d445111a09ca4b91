"""API keys and users: input and output."""

import marshmallow as ma

from app.auth.enums import API_KEY_ROLES
from app.fields import Id


class ApiKeyCreateSchema(ma.Schema):
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))
    role = ma.fields.String(
        required=True, validate=ma.validate.OneOf([str(r) for r in API_KEY_ROLES])
    )
    brand_id = Id(load_default=None, allow_none=True, strict=True)
    dealer_id = Id(load_default=None, allow_none=True, strict=True)


class ApiKeySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    role = ma.fields.String(required=True)
    brand_id = ma.fields.Integer(allow_none=True)
    dealer_id = ma.fields.Integer(allow_none=True)
    prefix = ma.fields.String(
        required=True, metadata={"description": "First characters of the key"}
    )
    active = ma.fields.Boolean(required=True)
    created_at = ma.fields.DateTime(required=True)
    last_used_at = ma.fields.DateTime(allow_none=True)
    revoked_at = ma.fields.DateTime(allow_none=True)


class ApiKeyCreatedSchema(ApiKeySchema):
    key = ma.fields.String(
        required=True, metadata={"description": "The raw key; shown only in this response"}
    )


class UserCreateSchema(ma.Schema):
    email = ma.fields.Email(required=True, validate=ma.validate.Length(max=254))
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=120))
    password = ma.fields.String(
        required=True, load_only=True, validate=ma.validate.Length(min=10, max=200)
    )
    role = ma.fields.String(
        required=True, validate=ma.validate.OneOf([str(r) for r in API_KEY_ROLES])
    )
    brand_id = Id(load_default=None, allow_none=True)
    dealer_id = Id(load_default=None, allow_none=True)


class UserSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    email = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    role = ma.fields.String(required=True)
    brand_id = ma.fields.Integer(allow_none=True)
    dealer_id = ma.fields.Integer(allow_none=True)
    active = ma.fields.Boolean(required=True)
    created_at = ma.fields.DateTime(required=True)
    last_login_at = ma.fields.DateTime(allow_none=True)
