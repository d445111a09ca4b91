"""Jobs (a brand's order to deliver or install), their event log, and intake idempotency."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint, exists, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.scoping import tenant_scope
from app.db import Base, utcnow
from app.jobs.enums import JobStatus

if TYPE_CHECKING:
    from app.scheduling.models import Booking


@tenant_scope(
    brand=lambda p: Order.brand_id == p.brand_id,
    dealer=lambda p: exists(
        select(Job.id).where(Job.order_id == Order.id, Job.dealer_id == p.dealer_id)
    ),
    installer=lambda p: exists(
        select(Job.id).where(Job.order_id == Order.id, Job.installer_id == p.installer_id)
    ),
)
class Order(Base):
    """What the brand sold to one consumer: its visits (jobs) deliver, install, haul away,
    repair; the goods must be at the dealer before a visit that needs them is booked."""

    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("brand_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="RESTRICT"))
    external_id: Mapped[str] = mapped_column(String(100))
    # The brand's expected arrival of the goods at the dealer (local day), and when the
    # dealer received them.
    goods_expected_on: Mapped[date | None]
    goods_received_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    visits: Mapped[list[Job]] = relationship(
        back_populates="order", order_by="Job.sequence", lazy="selectin"
    )


@tenant_scope(
    brand=lambda p: Job.brand_id == p.brand_id,
    dealer=lambda p: Job.dealer_id == p.dealer_id,
    installer=lambda p: Job.installer_id == p.installer_id,
)
class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("brand_id", "external_id"),
        Index("ix_jobs_brand_id_created_at", "brand_id", "created_at"),
        Index("ix_jobs_dealer_id_status", "dealer_id", "status"),
        Index("ix_jobs_installer_id_status", "installer_id", "status"),
        Index("ix_jobs_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="RESTRICT"))
    external_id: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))
    required_skills: Mapped[list[Any]]
    duration_minutes: Mapped[int]
    items: Mapped[list[Any]]
    consumer_name: Mapped[str] = mapped_column(String(120))
    consumer_phone: Mapped[str] = mapped_column(String(20))
    consumer_locale: Mapped[str] = mapped_column(String(8))
    address: Mapped[str] = mapped_column(String(300))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    location_source: Mapped[str] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64))
    requested_by: Mapped[date | None]
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.CREATED)
    dealer_id: Mapped[int | None] = mapped_column(ForeignKey("dealers.id", ondelete="RESTRICT"))
    installer_id: Mapped[int | None] = mapped_column(
        ForeignKey("installers.id", ondelete="RESTRICT")
    )
    # Why no dealer could be chosen (shown to the brand); empty once assigned.
    unassigned_reason: Mapped[str | None] = mapped_column(String(300))
    # Why the latest day plan could not keep this job's window (shown to brand and dealer).
    plan_issue_code: Mapped[str | None] = mapped_column(String(40))
    plan_issue_message: Mapped[str | None] = mapped_column(String(300))
    plan_issue_date: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Optimistic lock: a concurrent change to the same job fails instead of being lost.
    version: Mapped[int] = mapped_column(default=1)
    # The visit's place in its order (README "Orders, visits …"): its number, whether it
    # needs the goods at the dealer, and the earlier visit it depends on — at least
    # `min_gap_hours` after that visit's window ends, or the same crew on the same day.
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    sequence: Mapped[int] = mapped_column(default=1)
    needs_goods: Mapped[bool] = mapped_column(default=False)
    after_job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    min_gap_hours: Mapped[int | None]
    same_crew_same_day: Mapped[bool] = mapped_column(default=False)

    events: Mapped[list[JobEvent]] = relationship(
        back_populates="job", order_by="JobEvent.id", passive_deletes=True
    )
    booking: Mapped[Booking | None] = relationship(viewonly=True, uselist=False, lazy="selectin")
    order: Mapped[Order] = relationship(back_populates="visits")
    after: Mapped[Job | None] = relationship(remote_side="Job.id", foreign_keys=[after_job_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def consumer(self) -> dict[str, str]:
        return {
            "name": self.consumer_name,
            "phone": self.consumer_phone,
            "locale": self.consumer_locale,
        }

    @property
    def plan_issue(self) -> dict[str, Any] | None:
        if self.plan_issue_code is None:
            return None
        return {
            "code": self.plan_issue_code,
            "message": self.plan_issue_message,
            "date": self.plan_issue_date,
        }

    @property
    def allowed_next(self) -> list[str]:
        from app.jobs.service import allowed_next

        return allowed_next(self.status)


class JobEvent(Base):
    """One entry of a job's append-only audit log."""

    __tablename__ = "job_events"
    __table_args__ = (Index("ix_job_events_job_id_id", "job_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    actor_role: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    client_time: Mapped[datetime | None]
    client_event_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)

    job: Mapped[Job] = relationship(back_populates="events")


class IdempotencyRecord(Base):
    """The first response to a brand's Idempotency-Key, replayed for retries of that request."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("brand_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response_body: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class Feedback(Base):
    """A consumer's rating of a completed job (one per job)."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), unique=True)
    dealer_id: Mapped[int | None] = mapped_column(
        ForeignKey("dealers.id", ondelete="SET NULL"), index=True
    )
    rating: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
