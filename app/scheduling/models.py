"""Bookings (a job's reserved window and installer), per-installer-day locks, capacity blocks."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.auth.scoping import tenant_scope
from app.db import Base, utcnow


@tenant_scope(
    dealer=lambda p: Booking.dealer_id == p.dealer_id,
    installer=lambda p: Booking.installer_id == p.installer_id,
)
class Booking(Base):
    """The window a job is booked in and the installer tentatively holding it (one per job)."""

    __tablename__ = "bookings"
    __table_args__ = (
        Index("ix_bookings_installer_id_local_date", "installer_id", "local_date"),
        Index("ix_bookings_dealer_id_local_date", "dealer_id", "local_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), unique=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id", ondelete="CASCADE"))
    installer_id: Mapped[int] = mapped_column(ForeignKey("installers.id", ondelete="RESTRICT"))
    # The installer's local day the visit falls on: the unit of capacity and of locking.
    local_date: Mapped[date] = mapped_column(Date)
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    # Position in the installer's day, kept by cheapest insertion until a plan reorders it.
    sequence: Mapped[int] = mapped_column(default=0)
    estimated_start: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class InstallerDay(Base):
    """One row per installer and local day, locked while a booking for that day is decided."""

    __tablename__ = "installer_days"

    installer_id: Mapped[int] = mapped_column(
        ForeignKey("installers.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)


@tenant_scope(dealer=lambda p: CapacityBlock.dealer_id == p.dealer_id)
class CapacityBlock(Base):
    """Time a dispatcher holds back: one installer, or the whole dealer when installer is empty."""

    __tablename__ = "capacity_blocks"
    __table_args__ = (Index("ix_capacity_blocks_dealer_id_starts_at", "dealer_id", "starts_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id", ondelete="CASCADE"))
    installer_id: Mapped[int | None] = mapped_column(
        ForeignKey("installers.id", ondelete="CASCADE")
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
