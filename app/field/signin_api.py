"""Dealer endpoints for installer invites and devices; the installer's own sign-in endpoints
under /api/field (the field app's sign-in)."""

from typing import Any

from flask import current_app

from app.auth.decorators import current_principal, require_role
from app.auth.enums import Role
from app.db import transaction
from app.extensions import limiter
from app.field import access_blp, signin_blp
from app.field import signin as installer_auth
from app.field.signin_schemas import (
    CodeRequestSchema,
    CodeSentSchema,
    CodeVerifySchema,
    DeviceTokenSchema,
    InviteCreateSchema,
    InviteRedeemSchema,
    InviteSchema,
    MeSchema,
    SignInSchema,
)
from app.network.models import Dealer, Installer
from app.network.service import get_installer

NO_AUTH: dict[str, Any] = {"security": []}


@access_blp.route("/installers/<int:installer_id>/invite", methods=["POST"])
@require_role(Role.ADMIN, Role.DEALER)
@access_blp.arguments(InviteCreateSchema, required=False)
@access_blp.response(201, InviteSchema)
def invite_installer(args: dict[str, Any], installer_id: int) -> Any:
    """Text the installer a single-use link that signs the field app in on their phone."""
    principal = current_principal()
    with transaction():
        installer = get_installer(principal, installer_id)
        invite, _ = installer_auth.create_invite(installer, principal.actor, locale=args["locale"])
        return {**_columns(invite, InviteSchema), "sent_to": installer.phone}


@access_blp.route("/installers/<int:installer_id>/devices", methods=["GET"])
@require_role(Role.ADMIN, Role.DEALER)
@access_blp.response(200, DeviceTokenSchema(many=True))
def list_devices(installer_id: int) -> Any:
    """List the phones an installer signed in on, newest first."""
    return installer_auth.list_devices(get_installer(current_principal(), installer_id))


@access_blp.route("/installers/<int:installer_id>/devices/<int:device_id>/revoke", methods=["POST"])
@require_role(Role.ADMIN, Role.DEALER)
@access_blp.response(200, DeviceTokenSchema)
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


@signin_blp.route("/auth/code", methods=["POST"])
@limiter.limit(_code_limit, error_message="Too many code requests from this address.")
@signin_blp.arguments(CodeRequestSchema)
@signin_blp.response(202, CodeSentSchema)
@signin_blp.doc(**NO_AUTH)
def request_code(args: dict[str, Any]) -> Any:
    """Text a 6-digit sign-in code to an installer's phone (valid 10 minutes, 5 tries)."""
    installer_auth.request_code(args["phone"], locale=args["locale"])
    config = current_app.config
    return {
        "sent": True,
        "expires_in": config["FIELD_CODE_MINUTES"] * 60,
        "retry_after": config["FIELD_CODE_COOLDOWN_SECONDS"],
    }


@signin_blp.route("/auth/verify", methods=["POST"])
@limiter.limit(_signin_limit, error_message="Too many sign-in attempts from this address.")
@signin_blp.arguments(CodeVerifySchema)
@signin_blp.response(200, SignInSchema)
@signin_blp.doc(**NO_AUTH)
def verify_code(args: dict[str, Any]) -> Any:
    """Exchange the SMS code for a device token."""
    return _signed_in(
        installer_auth.verify_code(args["phone"], args["code"], device_name=args["device_name"])
    )


@signin_blp.route("/auth/invite", methods=["POST"])
@limiter.limit(_signin_limit, error_message="Too many sign-in attempts from this address.")
@signin_blp.arguments(InviteRedeemSchema)
@signin_blp.response(200, SignInSchema)
@signin_blp.doc(**NO_AUTH)
def redeem_invite(args: dict[str, Any]) -> Any:
    """Exchange a dealer's invite link (single use) for a device token."""
    return _signed_in(installer_auth.redeem_invite(args["token"], device_name=args["device_name"]))


@signin_blp.route("/auth/logout", methods=["POST"])
@require_role(Role.INSTALLER)
@signin_blp.response(204)
def sign_out() -> None:
    """Sign this phone out (revoke its device token)."""
    with transaction():
        installer_auth.sign_out(current_principal())


@signin_blp.route("/me", methods=["GET"])
@require_role(Role.INSTALLER)
@signin_blp.response(200, MeSchema)
def me() -> Any:
    """Who is signed in on this phone."""
    device, installer, dealer = installer_auth.whoami(current_principal())
    return {"installer": _profile(installer, dealer), "device": device}
