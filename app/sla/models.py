"""SLA policies (versioned), regions, business calendars, per-job SLA facts, alerts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.auth.scoping import tenant_scope
from app.db import Base, utcnow


@tenant_scope(brand=lambda p: SlaRegion.brand_id == p.brand_id)
class SlaRegion(Base):
    """A named area of a brand's market (GeoJSON polygon), for policies and breakdowns."""

    __tablename__ = "sla_regions"
    __table_args__ = (UniqueConstraint("brand_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    geometry: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@tenant_scope(brand=lambda p: SlaPolicy.brand_id == p.brand_id)
class SlaPolicy(Base):
    """One version of a brand's promises for a scope (all jobs, a category, a region, both).

    Versions are never edited: a change writes a new version and supersedes the old one,
    and every job keeps the version that was in force when it was created.
    """

    __tablename__ = "sla_policies"
    __table_args__ = (Index("ix_sla_policies_brand_id_scope", "brand_id", "category", "region_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    category: Mapped[str | None] = mapped_column(String(20))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("sla_regions.id", ondelete="RESTRICT"))
    version: Mapped[int] = mapped_column(default=1)
    # Targets in minutes; None: not promised.
    assign_minutes: Mapped[int | None]
    contact_minutes: Mapped[int | None]
    schedule_minutes: Mapped[int | None]
    complete_minutes: Mapped[int | None]
    # On-time arrival: within the booked window, plus this tolerance; None: not promised.
    arrival_tolerance_minutes: Mapped[int | None]
    track_first_visit: Mapped[bool] = mapped_column(Boolean, default=True)
    # Clocks pause outside the brand's business hours and on its holidays.
    business_hours: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    superseded_at: Mapped[datetime | None]


class BusinessCalendar(Base):
    """A brand's working hours (local, per ISO weekday) and holidays."""

    __tablename__ = "business_calendars"

    brand_id: Mapped[int] = mapped_column(
        ForeignKey("brands.id", ondelete="CASCADE"), primary_key=True
    )
    timezone: Mapped[str] = mapped_column(String(64))
    hours: Mapped[dict[str, Any]]  # {"1": [["09:00", "18:00"]], ...}
    holidays: Mapped[list[Any]]  # ["2026-10-01", ...]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# The promises timed from the order, by the moment that keeps each. A promise `p` has its
# target in `SlaPolicy.<p>_minutes` and its deadline and at-risk moment in `JobSla.<p>_due` and
# `JobSla.<p>_risk_at`.
TIMED_PROMISES = {
    "assign": "assigned_at",
    "contact": "contacted_at",
    "schedule": "scheduled_at",
    "complete": "completed_at",
}


@tenant_scope(
    brand=lambda p: JobSla.brand_id == p.brand_id,
    dealer=lambda p: JobSla.dealer_id == p.dealer_id,
)
class JobSla(Base):
    """A job's SLA facts, kept current from its event log: when each promise started, is due,
    and was kept. States follow from these columns and the time of asking."""

    __tablename__ = "job_sla"
    __table_args__ = (
        Index("ix_job_sla_brand_id_created_at", "brand_id", "created_at"),
        Index("ix_job_sla_dealer_id_created_at", "dealer_id", "created_at"),
        Index("ix_job_sla_brand_id_category_created_at", "brand_id", "category", "created_at"),
    )

    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealers.id", ondelete="SET NULL"))
    category: Mapped[str] = mapped_column(String(20))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("sla_regions.id", ondelete="SET NULL"))
    policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("sla_policies.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]
    assigned_at: Mapped[datetime | None]
    contacted_at: Mapped[datetime | None]
    scheduled_at: Mapped[datetime | None]
    arrived_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    assign_due: Mapped[datetime | None]
    contact_due: Mapped[datetime | None]
    schedule_due: Mapped[datetime | None]
    complete_due: Mapped[datetime | None]
    # When less than a fifth of each target is left, in the policy's (business) time.
    assign_risk_at: Mapped[datetime | None]
    contact_risk_at: Mapped[datetime | None]
    schedule_risk_at: Mapped[datetime | None]
    complete_risk_at: Mapped[datetime | None]
    # The booked window now, and the one the installer arrived in (for on-time arrival).
    window_start: Mapped[datetime | None]
    window_end: Mapped[datetime | None]
    # Arrived on time when arrived_at <= arrival_due (window end at arrival + tolerance).
    arrival_due: Mapped[datetime | None]
    arrival_tolerance_minutes: Mapped[int | None]
    # The local day of an open plan issue on the booked day (the planner cannot serve it).
    plan_issue_date: Mapped[date | None]
    failed_visits: Mapped[int] = mapped_column(default=0)
    # True: completed at the first visit; False: a visit failed first; None: not known yet.
    first_visit_ok: Mapped[bool | None]
    track_first_visit: Mapped[bool] = mapped_column(Boolean, default=True)


class SlaAlert(Base):
    """A brand was told once that a job's SLA is at risk or breached (webhook, maybe SMS)."""

    __tablename__ = "sla_alerts"
    __table_args__ = (
        UniqueConstraint("job_id", "sla", "state"),
        Index("ix_sla_alerts_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"), index=True)
    sla: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(12))
    due_at: Mapped[datetime | None]
    payload: Mapped[dict[str, Any]]
    # Webhook delivery: pending → sending → delivered | failed (no URL: skipped).
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
