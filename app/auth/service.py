"""Credentials: issuing, revoking and checking API keys; who is calling (the Principal)."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NoReturn

from sqlalchemy import select, update

from app.auth.enums import API_KEY_ROLES, Role
from app.auth.models import ApiKey, DeviceToken
from app.db import transaction, utcnow
from app.errors import NotFound, Unauthorized, Unprocessable
from app.extensions import db

KEY_PREFIX = "fwt_"
DEVICE_PREFIX = "fwd_"  # device tokens of the field app (app/field/signin.py)
# last_used_at is a hint for operators, not an audit log: write it at most this often.
_LAST_USED_RESOLUTION = timedelta(minutes=1)
_last_used_written: dict[tuple[str, int], float] = {}


@dataclass(frozen=True)
class Actor:
    """Who caused a change, as written in audit events."""

    role: str
    id: str

    @property
    def label(self) -> str:
        """ "role:id" as stored in `created_by` / `requested_by` columns (64 characters)."""
        return f"{self.role}:{self.id}"[:64]


SYSTEM = Actor("system", "fuwutong")


@dataclass(frozen=True)
class Principal:
    """The caller of a request and the tenant it belongs to."""

    role: Role
    credential_id: int
    brand_id: int | None = None
    dealer_id: int | None = None
    installer_id: int | None = None
    # What kind of credential credential_id names: an API key, a device token, a person.
    credential_kind: str = "key"

    @property
    def actor(self) -> Actor:
        """Name the caller for audit events: the owner, then the credential used."""
        owner = {
            Role.BRAND: self.brand_id,
            Role.DEALER: self.dealer_id,
            Role.INSTALLER: self.installer_id,
        }.get(self.role)
        kind = "device" if self.role is Role.INSTALLER else self.credential_kind
        credential = f"{kind}:{self.credential_id}"
        return Actor(str(self.role), f"{owner}/{credential}" if owner is not None else credential)


def hash_key(raw_key: str) -> str:
    """Return the stored form of a raw key."""
    return hashlib.sha256(raw_key.encode()).hexdigest()


def create_api_key(
    *,
    role: Role,
    name: str,
    brand_id: int | None = None,
    dealer_id: int | None = None,
    raw_key: str | None = None,
) -> tuple[ApiKey, str]:
    """Issue a key for a role and owner; the raw key is returned once and never stored."""
    role = check_owner("key", role, brand_id, dealer_id)
    raw_key = raw_key or KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=name,
        role=role,
        brand_id=brand_id,
        dealer_id=dealer_id,
        prefix=raw_key[:12],
        key_hash=hash_key(raw_key),
    )
    db.session.add(key)
    db.session.flush()
    return key, raw_key


def check_owner(what: str, role: Role, brand_id: int | None, dealer_id: int | None) -> Role:
    """Check the role and owner of a key or user: a brand's needs brand_id, a dealer's
    dealer_id, an admin's neither; the owner must exist (404). Installers get neither."""
    role = Role(role)
    if role not in API_KEY_ROLES:
        raise Unprocessable(f"A {what} cannot have role {role}.", fields={"role": ["invalid"]})
    needed = {Role.BRAND: "brand_id", Role.DEALER: "dealer_id"}.get(role)
    for field, value in {"brand_id": brand_id, "dealer_id": dealer_id}.items():
        if field == needed and value is None:
            raise Unprocessable(f"A {role} {what} needs {field}.", fields={field: ["required"]})
        if field != needed and value is not None:
            message = f"A {role} {what} takes no {field}."
            raise Unprocessable(message, fields={field: ["not allowed"]})
    for column, value in ((ApiKey.brand_id, brand_id), (ApiKey.dealer_id, dealer_id)):
        if value is not None and owner_row(column, value) is None:
            raise NotFound(f"{column.name.removesuffix('_id').title()} {value} not found.")
    return role


def owner_row(column: Any, owner_id: int) -> Any:
    """The brand or dealer row a key's or user's `brand_id`/`dealer_id` points at, found through
    the column's foreign key: auth stands below the network and never imports its models."""
    (foreign_key,) = column.foreign_keys
    target = foreign_key.column
    return db.session.execute(select(target.table).where(target == owner_id)).first()


def list_api_keys() -> list[ApiKey]:
    """List every key, newest first."""
    return list(db.session.scalars(select(ApiKey).order_by(ApiKey.id.desc())))


def revoke_api_key(key_id: int) -> ApiKey:
    """Revoke a key; revoking twice keeps the first revocation time."""
    key = db.session.get(ApiKey, key_id)
    if key is None:
        raise NotFound(f"API key {key_id} not found.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    return key


def authenticate_bearer(token: str) -> Principal:
    """Return the principal of a bearer credential (API key or device token), or raise 401."""
    if token.startswith(DEVICE_PREFIX):
        return authenticate_device_token(token)
    return authenticate_api_key(token)


def authenticate_device_token(raw_token: str) -> Principal:
    """Return the installer principal of a device token, or raise Unauthorized."""
    device = db.session.scalar(
        select(DeviceToken).where(DeviceToken.token_hash == hash_key(raw_token))
    )
    installer = owner_row(DeviceToken.installer_id, device.installer_id) if device else None
    if device is None or installer is None or not installer.active:
        refuse_token("The device token is unknown. Sign in again.", "invalid_credentials")
    if device.revoked_at is not None:
        refuse_token("This phone was signed out. Sign in again.", "token_revoked")
    if utcnow() >= device.expires_at:
        refuse_token("The sign-in on this phone has expired. Sign in again.", "token_expired")
    touch(device)
    return Principal(
        role=Role.INSTALLER,
        credential_id=device.id,
        dealer_id=installer.dealer_id,
        installer_id=installer.id,
    )


def refuse_token(message: str, code: str) -> NoReturn:
    raise Unauthorized(
        message, code=code, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}
    )


def authenticate_api_key(raw_key: str) -> Principal:
    """Return the principal of a raw key, or raise Unauthorized."""
    key = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(raw_key)))
    if key is None or key.revoked_at is not None:
        raise Unauthorized(
            "The API key is unknown or revoked.",
            code="invalid_credentials",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    touch(key)
    return key_principal(key)


def key_principal(key: ApiKey) -> Principal:
    """The principal an API key acts as (over the API, or signed in to the pages with it)."""
    return Principal(
        role=Role(key.role), credential_id=key.id, brand_id=key.brand_id, dealer_id=key.dealer_id
    )


def touch(credential: ApiKey | DeviceToken) -> None:
    """Note when a credential was last used (at most once a minute per credential)."""
    model = type(credential)
    now = utcnow()
    slot = (model.__tablename__, credential.id)
    recent = _last_used_written.get(slot)
    if recent is not None and time.monotonic() - recent < _LAST_USED_RESOLUTION.total_seconds():
        return
    if (
        credential.last_used_at is not None
        and now - credential.last_used_at < _LAST_USED_RESOLUTION
    ):
        return
    _last_used_written[slot] = time.monotonic()
    with transaction():
        db.session.execute(
            update(model)
            .where(model.id == credential.id)
            .where(
                (model.last_used_at.is_(None)) | (model.last_used_at < now - _LAST_USED_RESOLUTION)
            )
            .values(last_used_at=now)
        )
