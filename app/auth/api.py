"""Admin endpoints for API keys; dealer endpoints for installer invites and devices; the
installer's own sign-in endpoints under /api/field."""

from typing import Any

from flask import current_app

from app.auth import blp, field_blp, users
from app.auth import devices as installer_auth
from app.auth.decorators import current_principal, require_role
from app.auth.enums import Role
from app.auth.schemas import (
    ApiKeyCreatedSchema,
    ApiKeyCreateSchema,
    ApiKeySchema,
    CodeRequestSchema,
    CodeSentSchema,
    CodeVerifySchema,
    DeviceTokenSchema,
    InviteCreateSchema,
    InviteRedeemSchema,
    InviteSchema,
    MeSchema,
    SignInSchema,
    UserCreateSchema,
    UserSchema,
)
from app.auth.service import create_api_key, list_api_keys, revoke_api_key
from app.db import transaction
from app.extensions import limiter
from app.network.models import Dealer, Installer
from app.network.service import get_installer

NO_AUTH: dict[str, Any] = {"security": []}


@blp.route("/api-keys", methods=["POST"])
@require_role(Role.ADMIN)
@blp.arguments(ApiKeyCreateSchema)
@blp.response(201, ApiKeyCreatedSchema)
def create_key(args: dict[str, Any]) -> dict[str, Any]:
    """Issue an API key; the raw key is in this response only."""
    with transaction():
        key, raw_key = create_api_key(**args)
    return {**{name: getattr(key, name) for name in ApiKeySchema().fields}, "key": raw_key}


@blp.route("/api-keys", methods=["GET"])
@require_role(Role.ADMIN)
@blp.response(200, ApiKeySchema(many=True))
def list_keys() -> Any:
    """List API keys (hashes are never shown)."""
    return list_api_keys()


@blp.route("/api-keys/<int:key_id>/revoke", methods=["POST"])
@require_role(Role.ADMIN)
@blp.response(200, ApiKeySchema)
def revoke_key(key_id: int) -> Any:
    """Revoke an API key; it answers 401 from now on."""
    with transaction():
        return revoke_api_key(key_id)


@blp.route("/installers/<int:installer_id>/invite", methods=["POST"])
@require_role(Role.ADMIN, Role.DEALER)
@blp.arguments(InviteCreateSchema, required=False)
@blp.response(201, InviteSchema)
def invite_installer(args: dict[str, Any], installer_id: int) -> Any:
    """Text the installer a single-use link that signs the field app in on their phone."""
    principal = current_principal()
    with transaction():
        installer = get_installer(principal, installer_id)
        invite, _ = installer_auth.create_invite(installer, principal.actor, locale=args["locale"])
        return {**_columns(invite, InviteSchema), "sent_to": installer.phone}


@blp.route("/installers/<int:installer_id>/devices", methods=["GET"])
@require_role(Role.ADMIN, Role.DEALER)
@blp.response(200, DeviceTokenSchema(many=True))
def list_devices(installer_id: int) -> Any:
    """List the phones an installer signed in on, newest first."""
    return installer_auth.list_devices(get_installer(current_principal(), installer_id))


@blp.route("/installers/<int:installer_id>/devices/<int:device_id>/revoke", methods=["POST"])
@require_role(Role.ADMIN, Role.DEALER)
@blp.response(200, DeviceTokenSchema)
def revoke_device(installer_id: int, device_id: int) -> Any:
    """Sign a phone out: its device token answers 401 from now on."""
    with transaction():
        installer = get_installer(current_principal(), installer_id)
        return installer_auth.revoke_device(installer, device_id)


def _columns(row: Any, schema: type) -> dict[str, Any]:
    return {name: getattr(row, name) for name in schema().fields if hasattr(row, name)}


def _profile(installer: Installer, dealer: Dealer) -> dict[str, Any]:
    return {
        "id": installer.id,
        "name": installer.name,
        "phone": installer.phone,
        "timezone": installer.timezone,
        "dealer_id": dealer.id,
        "dealer_name": dealer.name,
        "dealer_phone": dealer.phone,
    }


def _signed_in(result: installer_auth.SignIn) -> dict[str, Any]:
    return {
        "token": result.raw_token,
        "device": result.device,
        "installer": _profile(result.installer, result.dealer),
    }


def _code_limit() -> str:
    return str(current_app.config["FIELD_CODE_RATE_LIMIT"])


def _signin_limit() -> str:
    return str(current_app.config["FIELD_SIGNIN_RATE_LIMIT"])


@field_blp.route("/auth/code", methods=["POST"])
@limiter.limit(_code_limit, error_message="Too many code requests from this address.")
@field_blp.arguments(CodeRequestSchema)
@field_blp.response(202, CodeSentSchema)
@field_blp.doc(**NO_AUTH)
def request_code(args: dict[str, Any]) -> Any:
    """Text a 6-digit sign-in code to an installer's phone (valid 10 minutes, 5 tries)."""
    installer_auth.request_code(args["phone"], locale=args["locale"])
    config = current_app.config
    return {
        "sent": True,
        "expires_in": config["FIELD_CODE_MINUTES"] * 60,
        "retry_after": config["FIELD_CODE_COOLDOWN_SECONDS"],
    }


@field_blp.route("/auth/verify", methods=["POST"])
@limiter.limit(_signin_limit, error_message="Too many sign-in attempts from this address.")
@field_blp.arguments(CodeVerifySchema)
@field_blp.response(200, SignInSchema)
@field_blp.doc(**NO_AUTH)
def verify_code(args: dict[str, Any]) -> Any:
    """Exchange the SMS code for a device token."""
    return _signed_in(
        installer_auth.verify_code(args["phone"], args["code"], device_name=args["device_name"])
    )


@field_blp.route("/auth/invite", methods=["POST"])
@limiter.limit(_signin_limit, error_message="Too many sign-in attempts from this address.")
@field_blp.arguments(InviteRedeemSchema)
@field_blp.response(200, SignInSchema)
@field_blp.doc(**NO_AUTH)
def redeem_invite(args: dict[str, Any]) -> Any:
    """Exchange a dealer's invite link (single use) for a device token."""
    return _signed_in(installer_auth.redeem_invite(args["token"], device_name=args["device_name"]))


@field_blp.route("/auth/logout", methods=["POST"])
@require_role(Role.INSTALLER)
@field_blp.response(204)
def sign_out() -> None:
    """Sign this phone out (revoke its device token)."""
    with transaction():
        installer_auth.sign_out(current_principal())


@field_blp.route("/me", methods=["GET"])
@require_role(Role.INSTALLER)
@field_blp.response(200, MeSchema)
def me() -> Any:
    """Who is signed in on this phone."""
    device, installer, dealer = installer_auth.whoami(current_principal())
    return {"installer": _profile(installer, dealer), "device": device}


@blp.route("/users", methods=["POST"])
@require_role(Role.ADMIN)
@blp.arguments(UserCreateSchema)
@blp.response(201, UserSchema)
def create_user(args: dict[str, Any]) -> Any:
    """Add a person who signs in to the web pages (dashboard, day plans) with a password."""
    with transaction():
        return users.create_user(**args)


@blp.route("/users", methods=["GET"])
@require_role(Role.ADMIN)
@blp.response(200, UserSchema(many=True))
def list_users() -> Any:
    """List the people who can sign in."""
    return users.list_users()


@blp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@require_role(Role.ADMIN)
@blp.response(200, UserSchema)
def deactivate_user(user_id: int) -> Any:
    """Stop a person signing in (their open sessions end too)."""
    with transaction():
        return users.deactivate_user(user_id)
