"""When a visit of an order may be booked: its goods at the dealer, and the earlier visit it
depends on (README "Orders, visits, crews and loads").

`rule_for(job)` says from when, on which day and with whom a visit can be booked, or refuses
(409) while it cannot be booked at all (goods not announced, earlier visit not booked).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.errors import Conflict
from app.extensions import db
from app.jobs.enums import JobStatus
from app.jobs.models import Job
from app.scheduling.windows import Window

VOID = frozenset({JobStatus.CANCELLED})
DONE = frozenset({JobStatus.COMPLETED})


class GoodsNotReady(Conflict):
    code = "goods_not_ready"


class DependencyNotBooked(Conflict):
    code = "dependency_not_booked"


@dataclass(frozen=True)
class Rule:
    """What a visit's window must keep: start no earlier than `not_before`, on `day` (local)
    and with `installer_id` when set; `reason` says why, for the answer and the page."""

    not_before: datetime | None = None
    day: date | None = None
    installer_id: int | None = None
    reason: str = ""

    def allows(self, window: Window) -> bool:
        return self.allows_at(window.start, window.local_date)

    def allows_at(self, start: datetime, local_date: date) -> bool:
        if self.not_before is not None and start < self.not_before:
            return False
        return self.day is None or local_date == self.day

    def why_not(self) -> str:
        return f"That window does not keep the order's rule: {self.reason}."


def _goods_rule(job: Job) -> tuple[datetime | None, str]:
    order = job.order
    if not job.needs_goods or order.goods_received_at is not None:
        return None, ""
    if order.goods_expected_on is None:
        raise GoodsNotReady(
            f"Visit {job.id} needs the goods of order {order.id} at the dealer, and their "
            "arrival is not known yet. The brand sends goods_expected_on (PATCH "
            f"/api/v1/orders/{order.id}/goods), or the dealer marks them received.",
            order_id=order.id,
            goods="unknown",
        )
    first_day = order.goods_expected_on + timedelta(days=1)
    starts = datetime.combine(first_day, time(), ZoneInfo(job.timezone))
    return starts, f"the goods are expected on {order.goods_expected_on.isoformat()}"


def rule_for(job: Job) -> Rule:
    """The rule a booking of this visit must keep now (raises 409 when none can)."""
    not_before, reason = _goods_rule(job)
    reasons = [reason] if reason else []
    day = installer_id = None
    prior = job.after
    if prior is not None and JobStatus(prior.status) not in VOID | DONE:
        booking = prior.booking
        if booking is None:
            raise DependencyNotBooked(
                f"Visit {job.id} follows visit {prior.id} ({prior.kind}), which has no booked "
                "window yet: book that one first.",
                after_job_id=prior.id,
            )
        earliest = booking.window_end + timedelta(hours=job.min_gap_hours or 0)
        if job.same_crew_same_day:
            day, installer_id = booking.local_date, booking.installer_id
            reasons.append(
                f"the same installer as visit {prior.id}, on {booking.local_date.isoformat()}, "
                "after it"
            )
        else:
            reasons.append(f"at least {job.min_gap_hours or 0} h after visit {prior.id} ends")
        not_before = max(filter(None, [not_before, earliest]))
    return Rule(not_before, day, installer_id, "; ".join(reasons))


def bookable_now(job: Job) -> bool:
    """Whether the visit's goods and earlier visit let it be booked at all."""
    try:
        rule_for(job)
    except Conflict:
        return False
    return True


def dependents(job: Job) -> list[Job]:
    """The open visits that follow this one."""
    found = db.session.scalars(select(Job).where(Job.after_job_id == job.id).order_by(Job.id))
    return [j for j in found if JobStatus(j.status) not in VOID | DONE]


def keeps(job: Job) -> bool:
    """Whether the visit's current booking still keeps its rule."""
    booking = job.booking
    if booking is None:
        return True
    try:
        rule = rule_for(job)
    except Conflict:
        return False
    same_installer = rule.installer_id in (None, booking.installer_id)
    return rule.allows_at(booking.window_start, booking.local_date) and same_installer


def check_same_crew(job: Job, installer_id: int) -> None:
    """Refuse (409) giving a same-crew visit to another installer than its earlier visit's."""
    prior = job.after
    if not job.same_crew_same_day or prior is None or prior.booking is None:
        return
    if prior.booking.installer_id != installer_id:
        raise Conflict(
            f"Visit {job.id} goes with visit {prior.id}: the same installer "
            f"({prior.booking.installer_id}) on the same day. Move that visit instead.",
            code="dependency_same_crew",
            after_job_id=prior.id,
        )
