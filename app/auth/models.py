"""Credentials, stored as hashes, never in the clear: API keys, installer codes, device tokens,
invites."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealers.id", ondelete="CASCADE"))
    # The first characters of the raw key, shown in listings so a key can be recognised.
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class InstallerCode(Base):
    """A one-time sign-in code sent by SMS to an installer's phone (stored as an HMAC).

    Every number that asks gets a row, installer or not: for any other number the code is
    never sent and its hash matches nothing, so limits and wrong guesses answer alike."""

    __tablename__ = "installer_codes"
    __table_args__ = (Index("ix_installer_codes_phone_created_at", "phone", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    # None: the number was no active installer's when it asked.
    installer_id: Mapped[int | None] = mapped_column(
        ForeignKey("installers.id", ondelete="CASCADE")
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    # Wrong guesses so far; at the limit the code is dead even for the right digits.
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None]


class DeviceToken(Base):
    """An installer's sign-in on one phone: a bearer token that expires and can be revoked."""

    __tablename__ = "device_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    installer_id: Mapped[int] = mapped_column(
        ForeignKey("installers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    # How the phone signed in: "code" (SMS code) or "invite" (a dealer's link).
    via: Mapped[str] = mapped_column(String(10))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    @property
    def active(self) -> bool:
        return self.revoked_at is None and utcnow() < self.expires_at


class InstallerInvite(Base):
    """A dealer's sign-in link for one installer: single use, expiring."""

    __tablename__ = "installer_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    installer_id: Mapped[int] = mapped_column(
        ForeignKey("installers.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    device_token_id: Mapped[int | None] = mapped_column(
        ForeignKey("device_tokens.id", ondelete="SET NULL")
    )


class User(Base):
    """A person who signs in to the web pages with an e-mail and a password (stored hashed)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealers.id", ondelete="CASCADE"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
