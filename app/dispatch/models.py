"""Day plans: requests to plan a dealer's day, the versioned plans, and dispatcher locks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.auth.scoping import tenant_scope
from app.db import Base, utcnow


@tenant_scope(dealer=lambda p: PlanRequest.dealer_id == p.dealer_id)
class PlanRequest(Base):
    """A wish to (re-)plan one dealer's day; the scheduler claims and runs it."""

    __tablename__ = "plan_requests"
    __table_args__ = (
        Index("ix_plan_requests_status_due_at", "status", "due_at"),
        Index("ix_plan_requests_dealer_id_local_date", "dealer_id", "local_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date)
    # pending -> running -> done | superseded | expired | failed
    status: Mapped[str] = mapped_column(String(16), default="pending")
    # "<dealer>:<day>" while pending, else empty: at most one waiting request per day, so
    # several events collapse into one solve.
    pending_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    requested_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("day_plans.id", ondelete="SET NULL"))
    error: Mapped[str | None] = mapped_column(String(500))


@tenant_scope(dealer=lambda p: DayPlan.dealer_id == p.dealer_id)
class DayPlan(Base):
    """One version of a dealer's day plan; versions are kept, so what was told stays known."""

    __tablename__ = "day_plans"
    __table_args__ = (UniqueConstraint("dealer_id", "local_date", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id", ondelete="CASCADE"))
    local_date: Mapped[date] = mapped_column(Date)
    version: Mapped[int]
    timezone: Mapped[str] = mapped_column(String(64))
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Totals over the routes, the drive home included.
    travel_seconds: Mapped[int]
    installers_used: Mapped[int]
    jobs_planned: Mapped[int]
    jobs_unassigned: Mapped[int]
    # How the solver ran and where the time went.
    seed: Mapped[int]
    time_limit: Mapped[float]
    iterations: Mapped[int]
    stopped_by: Mapped[str] = mapped_column(String(20))
    load_ms: Mapped[int]
    solve_ms: Mapped[int]
    write_ms: Mapped[int] = mapped_column(default=0)


class PlanRoute(Base):
    """One installer's route in a plan version."""

    __tablename__ = "plan_routes"
    __table_args__ = (UniqueConstraint("plan_id", "installer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("day_plans.id", ondelete="CASCADE"))
    installer_id: Mapped[int] = mapped_column(ForeignKey("installers.id", ondelete="CASCADE"))
    home_lat: Mapped[float]
    home_lon: Mapped[float]
    shift_start: Mapped[datetime]
    shift_end: Mapped[datetime]
    leaves_at: Mapped[datetime]
    returns_at: Mapped[datetime]
    travel_seconds: Mapped[int]


class PlanStop(Base):
    """A job in a plan version: its place on a route, or why it has none."""

    __tablename__ = "plan_stops"
    __table_args__ = (Index("ix_plan_stops_plan_id_installer_id", "plan_id", "installer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("day_plans.id", ondelete="CASCADE"))
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    installer_id: Mapped[int | None] = mapped_column(
        ForeignKey("installers.id", ondelete="CASCADE")
    )
    # Position in the route from 0 (Booking.sequence); empty for an unplanned job.
    sequence: Mapped[int | None]
    # Already started or done when planned: kept where it was, not moved by the solver.
    fixed: Mapped[bool] = mapped_column(default=False)
    locked: Mapped[bool] = mapped_column(default=False)
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    arrival: Mapped[datetime | None]
    service_start: Mapped[datetime | None]
    departure: Mapped[datetime | None]
    travel_seconds: Mapped[int | None]  # the drive to this job from the previous place
    issue_code: Mapped[str | None] = mapped_column(String(40))
    issue_message: Mapped[str | None] = mapped_column(String(300))


@tenant_scope(dealer=lambda p: PlanLock.dealer_id == p.dealer_id)
class PlanLock(Base):
    """A dispatcher's choice the planner must keep: this job goes to this installer (at a place)."""

    __tablename__ = "plan_locks"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), unique=True)
    dealer_id: Mapped[int] = mapped_column(ForeignKey("dealers.id", ondelete="CASCADE"))
    installer_id: Mapped[int] = mapped_column(ForeignKey("installers.id", ondelete="CASCADE"))
    # The day the lock was made for; a lock on another day than the booking's is ignored.
    local_date: Mapped[date] = mapped_column(Date)
    # 1 = the installer's first visit after any job already under way; empty = any place.
    position: Mapped[int | None]
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
