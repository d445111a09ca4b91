"""The service network: brands, dealers and their areas, authorizations, installers."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.scoping import tenant_scope
from app.db import Base, utcnow

# A new dealer's booking windows (local times), until the dealer sets its own.
DEFAULT_TEMPLATE: list[list[str]] = [
    ["08:00", "10:00"],
    ["10:00", "12:00"],
    ["13:00", "15:00"],
    ["15:00", "17:00"],
    ["17:00", "19:00"],
]


@tenant_scope(brand=lambda p: Brand.id == p.brand_id)
class Brand(Base):
    __tablename__ = "brands"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    # "auto": a dealer is chosen at intake; "manual": the brand assigns each job itself.
    assignment_mode: Mapped[str] = mapped_column(String(10), default="auto")
    # Where SLA alerts go: a signed webhook, and an operations phone for breaches.
    sla_webhook_url: Mapped[str | None] = mapped_column(String(500))
    sla_webhook_secret: Mapped[str | None] = mapped_column(String(200))
    ops_phone: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@tenant_scope(dealer=lambda p: Dealer.id == p.dealer_id)
class Dealer(Base):
    __tablename__ = "dealers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    # Booking policy: windows in local time, how soon, how far ahead, when changes stop.
    window_template: Mapped[list[Any]] = mapped_column(default=lambda: DEFAULT_TEMPLATE)
    lead_time_hours: Mapped[int] = mapped_column(default=12)
    horizon_days: Mapped[int] = mapped_column(default=14)
    change_cutoff_hours: Mapped[int] = mapped_column(default=24)
    # Travel estimate when no routing server is configured: great circle × factor ÷ speed.
    road_factor: Mapped[float] = mapped_column(Float, default=1.3)
    average_speed_kmh: Mapped[float] = mapped_column(Float, default=30.0)
    # Local time of day at which tomorrow's plan is made ("HH:MM").
    plan_at: Mapped[str] = mapped_column(String(5), default="18:00", server_default="18:00")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    area: Mapped[ServiceArea | None] = relationship(back_populates="dealer", uselist=False)


@tenant_scope(dealer=lambda p: ServiceArea.dealer_id == p.dealer_id)
class ServiceArea(Base):
    """Where a dealer works: one GeoJSON Polygon or MultiPolygon per dealer."""

    __tablename__ = "service_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = mapped_column(
        ForeignKey("dealers.id", ondelete="CASCADE"), unique=True
    )
    geometry: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Bumped on every change: the in-memory area index compares it to know when to rebuild.
    version: Mapped[int] = mapped_column(default=1)

    dealer: Mapped[Dealer] = relationship(back_populates="area")

    __mapper_args__ = {"version_id_col": version}


@tenant_scope(
    brand=lambda p: BrandDealer.brand_id == p.brand_id,
    dealer=lambda p: BrandDealer.dealer_id == p.dealer_id,
)
class BrandDealer(Base):
    """A dealer authorized to serve a brand's jobs in some categories."""

    __tablename__ = "brand_dealers"
    __table_args__ = (UniqueConstraint("brand_id", "dealer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id", ondelete="CASCADE"), index=True)
    categories: Mapped[list[Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@tenant_scope(dealer=lambda p: Installer.dealer_id == p.dealer_id)
class Installer(Base):
    __tablename__ = "installers"
    __table_args__ = (Index("ix_installers_dealer_id_active", "dealer_id", "active"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    skills: Mapped[list[Any]]
    home_lat: Mapped[float] = mapped_column(Float)
    home_lon: Mapped[float] = mapped_column(Float)
    timezone: Mapped[str] = mapped_column(String(64))
    max_jobs_per_day: Mapped[int] = mapped_column(default=6)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    shifts: Mapped[list[InstallerShift]] = relationship(
        cascade="all, delete-orphan", order_by="(InstallerShift.weekday, InstallerShift.start_time)"
    )
    time_off: Mapped[list[InstallerTimeOff]] = relationship(
        cascade="all, delete-orphan", order_by="(InstallerTimeOff.starts_at, InstallerTimeOff.id)"
    )


class InstallerShift(Base):
    """A weekly working period in the installer's local time (ISO weekday 1 = Monday)."""

    __tablename__ = "installer_shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    installer_id: Mapped[int] = mapped_column(
        ForeignKey("installers.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int]
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)


class InstallerTimeOff(Base):
    """An absence: holidays, sick days; instants in UTC."""

    __tablename__ = "installer_time_off"

    id: Mapped[int] = mapped_column(primary_key=True)
    installer_id: Mapped[int] = mapped_column(
        ForeignKey("installers.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200), default="")
