"""Installer sign-in: one-time SMS codes, dealer invite links, and the device tokens they yield."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NoReturn

from flask import current_app
from sqlalchemy import select, text, update

from app.auth.models import DeviceToken, InstallerCode, InstallerInvite
from app.auth.service import DEVICE_PREFIX, Actor, Principal, hash_key
from app.db import transaction, utcnow
from app.errors import AppError, Conflict, Gone, NotFound, TooManyRequests, Unauthorized
from app.extensions import db
from app.network.models import Dealer, Installer
from app.notify.service import queue_sms

INVITE_FRAGMENT = "invite="
# How a code or an invite token reads in the outbox (only the phone gets the real one).
MASK = "******"


@dataclass(frozen=True)
class SignIn:
    """A new device token; the raw token is known only here, once."""

    device: DeviceToken
    raw_token: str
    installer: Installer
    dealer: Dealer


def _config(name: str) -> int:
    return int(current_app.config[name])


def _code_hash(installer_id: int, code: str) -> str:
    # Keyed, so a leaked table does not give up codes by hashing a million candidates.
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{installer_id}:{code}".encode(), hashlib.sha256).hexdigest()


def installer_by_phone(phone: str, *, lock: bool = False) -> Installer | None:
    stmt = select(Installer).where(Installer.phone == phone)
    return db.session.scalar(stmt.with_for_update() if lock else stmt)


def _lock_number(phone: str) -> None:
    """Serialise sign-in work on one number, whether or not it is an installer's."""
    # SQLite: a writing transaction already holds the database's write lock (BEGIN IMMEDIATE).
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:phone, 0))"), {"phone": phone}
        )


def request_code(phone: str, *, locale: str) -> None:
    """Text a 6-digit sign-in code to an active installer's phone; unknown numbers get nothing."""
    # The caller learns nothing about who is an installer: every number is limited alike (one
    # code per cooldown, FIELD_CODES_PER_HOUR an hour) and gets a code row; only an active
    # installer's code is real and texted.
    now = utcnow()
    with transaction():
        _lock_number(phone)
        recent = list(
            db.session.scalars(
                select(InstallerCode.created_at)
                .where(
                    InstallerCode.phone == phone,
                    InstallerCode.created_at > now - timedelta(hours=1),
                )
                .order_by(InstallerCode.created_at)
            )
        )
        cooldown = timedelta(seconds=_config("FIELD_CODE_COOLDOWN_SECONDS"))
        if recent and now - recent[-1] < cooldown:
            _too_soon(recent[-1] + cooldown - now)
        if len(recent) >= _config("FIELD_CODES_PER_HOUR"):
            _too_soon(recent[0] + timedelta(hours=1) - now)
        installer = installer_by_phone(phone)
        if installer is not None and not installer.active:
            installer = None
        code = f"{secrets.randbelow(10**6):06d}"
        db.session.add(
            InstallerCode(
                phone=phone,
                installer_id=installer.id if installer else None,
                # For anyone else a hash of nothing: no code can ever match it.
                code_hash=_code_hash(installer.id, code) if installer else secrets.token_hex(32),
                created_at=now,
                expires_at=now + timedelta(minutes=_config("FIELD_CODE_MINUTES")),
            )
        )
        if installer is not None:
            queue_sms(
                to=installer.phone,
                template="installer_code",
                locale=locale,
                context={"code": code},
                masked={"code": MASK},
                zone=installer.timezone,
            )


def _too_soon(wait: timedelta) -> NoReturn:
    seconds = max(1, int(wait.total_seconds() + 0.999))
    raise TooManyRequests(
        f"A code was sent to this number recently; ask again in {seconds} s.",
        code="code_rate_limited",
        headers={"Retry-After": str(seconds)},
        retry_after=seconds,
    )


def verify_code(phone: str, code: str, *, device_name: str) -> SignIn:
    """Exchange the latest code sent to a phone for a device token; wrong guesses are counted."""
    now = utcnow()
    failure: AppError | None = None
    signed_in: SignIn | None = None
    # The guess is counted (committed) even when the answer is an error.
    with transaction():
        _lock_number(phone)
        installer = installer_by_phone(phone, lock=True)
        row = db.session.scalar(
            select(InstallerCode)
            .where(InstallerCode.phone == phone)
            .order_by(InstallerCode.created_at.desc(), InstallerCode.id.desc())
            .limit(1)
            .with_for_update()
        )
        limit = _config("FIELD_CODE_ATTEMPTS")
        # Known or not, a number that asked for a code is answered alike (expiry, attempts).
        if row is None or row.used_at is not None:
            failure = _bad_code("The code is not valid. Ask for a new one.", "invalid_code")
        elif now >= row.expires_at:
            failure = _bad_code("The code has expired. Ask for a new one.", "code_expired")
        elif row.attempts >= limit:
            failure = _bad_code(
                f"The code was tried {limit} times. Ask for a new one.", "too_many_attempts"
            )
        elif (
            installer is None
            or not installer.active
            or row.installer_id != installer.id
            or not hmac.compare_digest(row.code_hash, _code_hash(installer.id, code))
        ):
            row.attempts += 1
            left = limit - row.attempts
            failure = _bad_code(
                f"Wrong code; {left} attempt{'s' if left != 1 else ''} left.",
                "invalid_code",
                attempts_left=left,
            )
        else:
            row.used_at = now
            signed_in = issue_token(installer, device_name, via="code")
    if failure is not None:
        raise failure
    assert signed_in is not None
    return signed_in


def _bad_code(message: str, code: str, **extra: Any) -> Unauthorized:
    return Unauthorized(message, code=code, fields={"code": [message]}, headers=None, **extra)


def issue_token(installer: Installer, device_name: str, *, via: str) -> SignIn:
    """Create a device token for an installer."""
    now = utcnow()
    raw = DEVICE_PREFIX + secrets.token_urlsafe(32)
    device = DeviceToken(
        installer_id=installer.id,
        name=device_name,
        via=via,
        prefix=raw[:12],
        token_hash=hash_key(raw),
        created_at=now,
        expires_at=now + timedelta(days=_config("FIELD_TOKEN_DAYS")),
    )
    db.session.add(device)
    db.session.flush()
    dealer = db.session.get(Dealer, installer.dealer_id)
    assert dealer is not None
    return SignIn(device=device, raw_token=raw, installer=installer, dealer=dealer)


def invite_link(raw_token: str) -> str:
    """The link an invite SMS carries; the token rides in the fragment, so no server logs it."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/field/#{INVITE_FRAGMENT}{raw_token}"


def create_invite(
    installer: Installer, actor: Actor, *, locale: str, send: bool = True
) -> tuple[InstallerInvite, str]:
    """Make a single-use sign-in link for an installer and (by default) text it to them."""
    if not installer.active:
        # A state the request conflicts with (409), as for illegal transitions: reactivate first.
        raise Conflict(
            f"Installer {installer.id} is not active; reactivate them first.",
            code="installer_inactive",
        )
    now = utcnow()
    raw = secrets.token_urlsafe(32)
    invite = InstallerInvite(
        installer_id=installer.id,
        token_hash=hash_key(raw),
        created_by=actor.label,
        created_at=now,
        expires_at=now + timedelta(hours=_config("FIELD_INVITE_HOURS")),
    )
    db.session.add(invite)
    db.session.flush()
    link = invite_link(raw)
    if send:
        dealer = db.session.get(Dealer, installer.dealer_id)
        queue_sms(
            to=installer.phone,
            template="installer_invite",
            locale=locale,
            context={"dealer": dealer.name if dealer else "", "link": link},
            masked={"link": invite_link(MASK)},
            zone=installer.timezone,
            urgent=True,  # staff, not a consumer: quiet hours do not apply
        )
    return invite, link


def redeem_invite(raw_token: str, *, device_name: str) -> SignIn:
    """Sign a phone in with an invite link; each link works once, until it expires."""
    now = utcnow()
    with transaction():
        invite = db.session.scalar(
            select(InstallerInvite).where(InstallerInvite.token_hash == hash_key(raw_token))
        )
        if invite is None:
            raise NotFound("This invite link is not valid.", code="invite_invalid")
        if invite.used_at is not None:
            raise Gone("This invite link was already used. Ask for a new one.", code="invite_used")
        if now >= invite.expires_at:
            raise Gone("This invite link has expired. Ask for a new one.", code="invite_expired")
        installer = db.session.get(Installer, invite.installer_id)
        if installer is None or not installer.active:
            raise NotFound("This invite link is not valid.", code="invite_invalid")
        # Single use even under a race: only one conditional update can mark it used.
        claimed = db.session.execute(
            update(InstallerInvite)
            .where(InstallerInvite.id == invite.id, InstallerInvite.used_at.is_(None))
            .values(used_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(claimed, "rowcount", 0) != 1:
            raise Gone("This invite link was already used. Ask for a new one.", code="invite_used")
        signed_in = issue_token(installer, device_name, via="invite")
        invite.device_token_id = signed_in.device.id
    return signed_in


def list_devices(installer: Installer) -> list[DeviceToken]:
    """An installer's sign-ins, newest first."""
    return list(
        db.session.scalars(
            select(DeviceToken)
            .where(DeviceToken.installer_id == installer.id)
            .order_by(DeviceToken.id.desc())
        )
    )


def revoke_device(installer: Installer, device_id: int) -> DeviceToken:
    """Sign one phone out; its token answers 401 from now on."""
    device = db.session.get(DeviceToken, device_id)
    if device is None or device.installer_id != installer.id:
        raise NotFound(f"Device {device_id} not found for installer {installer.id}.")
    if device.revoked_at is None:
        device.revoked_at = utcnow()
    db.session.flush()
    return device


def revoke_all_devices(installer: Installer) -> int:
    """Sign every phone of an installer out; return how many were signed in."""
    now = utcnow()
    result = db.session.execute(
        update(DeviceToken)
        .where(DeviceToken.installer_id == installer.id, DeviceToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def sign_out(principal: Principal) -> None:
    """Revoke the device token the request was made with."""
    device = db.session.get(DeviceToken, principal.credential_id)
    if device is not None and device.revoked_at is None:
        device.revoked_at = utcnow()
        db.session.flush()


def whoami(principal: Principal) -> tuple[DeviceToken, Installer, Dealer]:
    """The device, installer and dealer of an installer's request."""
    device = db.session.get(DeviceToken, principal.credential_id)
    installer = db.session.get(Installer, principal.installer_id)
    if device is None or installer is None:
        raise NotFound("Device not found.")
    dealer = db.session.get(Dealer, installer.dealer_id)
    assert dealer is not None
    return device, installer, dealer
