"""The SMS outbox, inbound messages, opt-outs, per-brand templates, consumer feedback."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.auth.scoping import tenant_scope
from app.db import Base, utcnow
from app.notify.enums import MessageStatus


@tenant_scope(brand=lambda p: OutboundMessage.brand_id == p.brand_id)
class OutboundMessage(Base):
    """One SMS, written in the same transaction as the change that causes it; sent later."""

    __tablename__ = "sms_outbox"
    __table_args__ = (
        Index("ix_sms_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_sms_outbox_to_created_at", "to", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(20))
    # What the outbox shows and keeps: a secret in the text (a sign-in code or link) masked.
    body: Mapped[str] = mapped_column(Text)
    # The text to send when it holds such a secret; cleared once the message is sent or will
    # never be, so whoever reads the outbox cannot sign in with it.
    secret_body: Mapped[str | None] = mapped_column(Text)
    template: Mapped[str] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(8))
    encoding: Mapped[str] = mapped_column(String(8))
    segments: Mapped[int]
    urgent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(12), default=MessageStatus.PENDING)
    # Not before this instant: quiet hours delay, retries back off.
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    provider_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    error_code: Mapped[str | None] = mapped_column(String(16))
    error_message: Mapped[str | None] = mapped_column(String(300))
    job_id: Mapped[int | None] = mapped_column(
        ForeignKey("jobs.id", ondelete="SET NULL"), index=True
    )
    brand_id: Mapped[int | None] = mapped_column(ForeignKey("brands.id", ondelete="SET NULL"))
    # Makes a task's message exactly-once: a second scheduler's insert hits this constraint.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class InboundMessage(Base):
    """An SMS a consumer sent us, and what we did about it."""

    __tablename__ = "sms_inbound"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64), unique=True)
    from_number: Mapped[str] = mapped_column(String(20), index=True)
    body: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(40), default="")
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class SmsOptOut(Base):
    """A number that sent STOP: nothing is sent to it but the confirmation, until START."""

    __tablename__ = "sms_opt_outs"

    phone: Mapped[str] = mapped_column(String(20), primary_key=True)
    opted_out_at: Mapped[datetime] = mapped_column(default=utcnow)
    keyword: Mapped[str] = mapped_column(String(16))


class SmsTemplate(Base):
    """A brand's own wording of a message; the built-in text is used when none is set."""

    __tablename__ = "sms_templates"
    __table_args__ = (UniqueConstraint("brand_id", "key", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    locale: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
