"""API keys and users: input and output."""

import marshmallow as ma

from app.auth.enums import API_KEY_ROLES
from app.fields import Id
from app.openapi import NOT_A_VALUE, states

# Who owns a key or a user, by role: a brand's names its brand_id, a dealer's its dealer_id,
# an admin's neither (check_owner in service.py).
_ID = {"type": "integer"}
OWNER_BY_ROLE = {
    "oneOf": [
        {
            "properties": {
                "role": {"enum": ["admin"]},
                "brand_id": NOT_A_VALUE,
                "dealer_id": NOT_A_VALUE,
            }
        },
        {
            "properties": {"role": {"enum": ["brand"]}, "brand_id": _ID, "dealer_id": NOT_A_VALUE},
            "required": ["brand_id"],
        },
        {
            "properties": {"role": {"enum": ["dealer"]}, "brand_id": NOT_A_VALUE, "dealer_id": _ID},
            "required": ["dealer_id"],
        },
    ]
}


@states(**OWNER_BY_ROLE)
class ApiKeyCreateSchema(ma.Schema):
    """An admin key names no owner, a brand key its brand_id, a dealer key its dealer_id."""

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


@states(**OWNER_BY_ROLE)
class UserCreateSchema(ma.Schema):
    """An admin names no owner, a brand user its brand_id, a dealer user its dealer_id; the
    e-mail address must be new."""

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
