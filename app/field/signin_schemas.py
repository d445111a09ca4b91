"""Installer sign-in and devices: input and output."""

import marshmallow as ma

from app.fields import Phone

_LOCALES = ["zh-CN", "en"]


def _locale() -> ma.fields.String:
    return ma.fields.String(
        load_default="zh-CN",
        validate=ma.validate.OneOf(_LOCALES),
        metadata={"description": "Language of the SMS"},
    )


def _device_name() -> ma.fields.String:
    return ma.fields.String(
        load_default="phone",
        validate=ma.validate.Length(min=1, max=120),
        metadata={"description": "Shown to the dealer in the list of signed-in phones"},
    )


class CodeRequestSchema(ma.Schema):
    phone = Phone(required=True)
    locale = _locale()


class CodeSentSchema(ma.Schema):
    sent = ma.fields.Boolean(
        required=True,
        metadata={"description": "Always true: the answer does not tell who is an installer"},
    )
    expires_in = ma.fields.Integer(required=True, metadata={"description": "Seconds"})
    retry_after = ma.fields.Integer(
        required=True, metadata={"description": "Seconds before another code may be asked for"}
    )


class CodeVerifySchema(ma.Schema):
    phone = Phone(required=True)
    code = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(r"^[0-9]{6}$", error="The code is 6 digits."),
    )
    device_name = _device_name()


class InviteRedeemSchema(ma.Schema):
    token = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=16, max=200),
        metadata={"description": "The part after #invite= in the invite link"},
    )
    device_name = _device_name()


class InstallerProfileSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    phone = ma.fields.String(required=True)
    timezone = ma.fields.String(required=True)
    dealer_id = ma.fields.Integer(required=True)
    dealer_name = ma.fields.String(required=True)
    dealer_phone = ma.fields.String(allow_none=True)


class DeviceTokenSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    installer_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    via = ma.fields.String(required=True, metadata={"description": "code or invite"})
    prefix = ma.fields.String(required=True)
    active = ma.fields.Boolean(required=True)
    created_at = ma.fields.DateTime(required=True)
    expires_at = ma.fields.DateTime(required=True)
    last_used_at = ma.fields.DateTime(allow_none=True)
    revoked_at = ma.fields.DateTime(allow_none=True)


class SignInSchema(ma.Schema):
    token = ma.fields.String(
        required=True,
        metadata={"description": "Device token: send as 'Authorization: Bearer <token>'"},
    )
    device = ma.fields.Nested(DeviceTokenSchema, required=True)
    installer = ma.fields.Nested(InstallerProfileSchema, required=True)


class MeSchema(ma.Schema):
    installer = ma.fields.Nested(InstallerProfileSchema, required=True)
    device = ma.fields.Nested(DeviceTokenSchema, required=True)


class InviteCreateSchema(ma.Schema):
    locale = _locale()


class InviteSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    installer_id = ma.fields.Integer(required=True)
    sent_to = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(required=True)
    expires_at = ma.fields.DateTime(required=True)
