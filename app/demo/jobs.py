"""Demo jobs: weeks of work replayed through the real services on a simulated clock."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.auth.service import Actor
from app.db import clock_set_to
from app.dispatch import service as dispatch
from app.errors import AppError
from app.extensions import db
from app.geo.geocoding import OfflineGazetteer
from app.jobs import service as jobs
from app.jobs.enums import JobKind, JobStatus
from app.jobs.models import Job
from app.network.models import Brand
from app.notify.enums import MessageStatus
from app.notify.models import OutboundMessage
from app.notify.service import advance
from app.scheduling import service as scheduling

TIMEZONE = "Asia/Shanghai"
FAMILY = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = list("伟芳娜敏静磊洋勇艳杰娟涛明超霞平")
NOTES = ["", "", "电梯可用 lift available", "请提前电话联系 call ahead", "狗在家 dog at home"]
STATUS_MIX = [
    (JobStatus.CREATED, 40), (JobStatus.ASSIGNED, 80), (JobStatus.SCHEDULED, 95),
    (JobStatus.DISPATCHED, 30), (JobStatus.EN_ROUTE, 10), (JobStatus.ON_SITE, 10),
    (JobStatus.IN_PROGRESS, 15), (JobStatus.COMPLETED, 165), (JobStatus.FAILED, 15),
    (JobStatus.CANCELLED, 40),
]  # fmt: skip
TODAY = {JobStatus.EN_ROUTE, JobStatus.ON_SITE, JobStatus.IN_PROGRESS}
PAST = {JobStatus.COMPLETED, JobStatus.FAILED}
VISIT = [JobStatus.EN_ROUTE, JobStatus.ON_SITE, JobStatus.IN_PROGRESS, JobStatus.COMPLETED]


class _Clock:
    """A simulated clock the services read while the demo replays history (never past now)."""

    def __init__(self, moment: datetime) -> None:
        self.moment = self.limit = moment

    def __call__(self) -> datetime:
        return min(self.moment, self.limit)


# The kinds of the demo's single-visit jobs (orders of several visits: app/demo/orders.py).
DEMO_KINDS = [
    str(k) for k in (JobKind.DELIVERY, JobKind.INSTALL, JobKind.DELIVERY_INSTALL, JobKind.REPAIR)
]


def job_fields(
    rng: random.Random, n: int, spec: Any, streets: list[tuple[str, str]]
) -> dict[str, Any]:
    kind = rng.choice(DEMO_KINDS)
    street_zh, street_en = rng.choice(streets)
    number = rng.randint(1, 600)
    chinese = rng.random() < 0.6
    address = f"上海市{street_zh}{number}号" if chinese else f"{number} {street_en}, Shanghai"
    return {
        "external_id": f"{spec.code.upper()}-{2026_0000 + n}",
        "category": spec.category,
        "kind": kind,
        "required_skills": spec.skills[kind],
        "duration_minutes": rng.choice([30, 45, 60, 60, 90, 120]),
        "items": [
            {
                "sku": f"{spec.code[:3].upper()}-{rng.randint(100, 999)}",
                "name": spec.item_names[rng.randrange(len(spec.item_names))],
                "quantity": rng.randint(1, 2),
            }
        ],
        "consumer": {
            "name": rng.choice(FAMILY) + rng.choice(GIVEN),
            "phone": f"+86138{(n * 104729) % 100000000:08d}",
            "locale": "zh-CN" if rng.random() < 0.8 else "en",
        },
        "address": address,
        "timezone": TIMEZONE,
        "notes": rng.choice(NOTES),
    }


def _visit_day(rng: random.Random, target: JobStatus, today: Any, now: datetime) -> Any:
    if target in TODAY:
        # The visit under way is in the latest window that has begun (yesterday's last one
        # when the demo is loaded before the first window of the day).
        local = now.astimezone(ZoneInfo(TIMEZONE))
        return today if local.time() >= time(8, 40) else today - timedelta(days=1)
    if target in PAST:
        return today - timedelta(days=rng.randint(1, 20))
    if target in {JobStatus.SCHEDULED, JobStatus.DISPATCHED, JobStatus.CANCELLED}:
        return today + timedelta(days=1 if target is JobStatus.DISPATCHED else rng.randint(2, 9))
    return None


def seed_jobs(
    rng: random.Random,
    brands: list[Brand],
    specs: list[Any],
    now: datetime,
    progress: Callable[[Iterator[Any]], Iterator[Any]],
) -> None:
    """Create the demo's jobs, each walked through the lifecycle to a target status."""
    streets = OfflineGazetteer().street_names()
    targets = [s for s, weight in STATUS_MIX for _ in range(weight)]
    rng.shuffle(targets)
    zone = ZoneInfo(TIMEZONE)
    today = now.astimezone(zone).date()
    sim = _Clock(now)
    with clock_set_to(sim):
        for n in progress(iter(range(len(targets)))):
            brand, spec = brands[n % len(brands)], specs[n % len(brands)]
            target = targets[n]
            day = _visit_day(rng, target, today, now)
            if day is None:
                sim.moment = now - timedelta(hours=rng.uniform(1, 240))
            else:
                start = datetime.combine(day, time(9), zone)
                ordered = start - timedelta(days=rng.uniform(2, 6))
                sim.moment = min(ordered, now - timedelta(hours=rng.uniform(1, 48)))
            brand_actor = Actor("brand", f"{brand.id}/demo")
            job = jobs.create_job(brand.id, job_fields(rng, n, spec, streets), brand_actor)
            _deliver_due(job, sim, now)
            _advance(rng, job, target, day, sim, now, brand_actor)
        _deliver_history(sim, now)


def _deliver_due(job: Job, sim: _Clock, now: datetime) -> None:
    """Deliver the job's waiting messages when they fall due, as the sender would have."""
    waiting = db.session.scalars(
        select(OutboundMessage)
        .where(OutboundMessage.job_id == job.id, OutboundMessage.status == MessageStatus.PENDING)
        .order_by(OutboundMessage.next_attempt_at, OutboundMessage.id)
    )
    resume = sim.moment
    for message in list(waiting):
        if message.next_attempt_at > now:
            continue
        sim.moment = max(resume, message.next_attempt_at) + timedelta(seconds=20)
        message.attempts, message.sent_at = 1, sim.moment
        advance(message, MessageStatus.DELIVERED)
    sim.moment = resume


def _deliver_history(sim: _Clock, now: datetime) -> None:
    """Messages of the replayed past are delivered, through the same path as the sender (so a
    delivered invitation records the consumer's contact); only future ones wait."""
    waiting = db.session.scalars(
        select(OutboundMessage)
        .where(
            OutboundMessage.status == MessageStatus.PENDING, OutboundMessage.next_attempt_at <= now
        )
        .order_by(OutboundMessage.next_attempt_at, OutboundMessage.id)
    )
    for message in list(waiting):
        sim.moment = message.next_attempt_at
        message.attempts, message.sent_at = 1, sim.moment
        advance(message, MessageStatus.DELIVERED)
    sim.moment = now


def _advance(
    rng: random.Random,
    job: Job,
    target: JobStatus,
    day: Any,
    sim: _Clock,
    now: datetime,
    brand_actor: Actor,
) -> None:
    if target is JobStatus.CREATED:
        return
    if JobStatus(job.status) is JobStatus.CREATED:
        if job.unassigned_reason:
            return  # nobody covers this address: it stays visible to the brand with the reason
        sim.moment += timedelta(minutes=rng.uniform(20, 180))
        dispatch.assign(job, brand_actor)
    if JobStatus(job.status) is not JobStatus.ASSIGNED or day is None:
        if target is JobStatus.CANCELLED and JobStatus(job.status) is JobStatus.ASSIGNED:
            sim.moment += timedelta(hours=rng.uniform(1, 30))
            jobs.cancel_job(job, "consumer changed their mind", brand_actor)
        return
    sim.moment += timedelta(hours=rng.uniform(1, 20))
    options = scheduling.windows_for_job(job, first=day, count=1)
    if target in TODAY:
        # Visits under way are in a window that has begun.
        options = [o for o in options if o.window.start - timedelta(minutes=40) <= now]
    if not options:
        return
    window = (options[-1] if target in TODAY else rng.choice(options)).window
    try:
        scheduling.book(job, window.start, Actor("consumer", f"job:{job.id}"))
    except AppError:
        return
    if target is JobStatus.CANCELLED:
        sim.moment += timedelta(hours=rng.uniform(1, 24))
        jobs.cancel_job(job, "consumer changed their mind", brand_actor)
        return
    if target is JobStatus.SCHEDULED:
        return
    installer = Actor("installer", f"{job.installer_id}/demo")
    sim.moment = window.start - timedelta(hours=14)
    jobs.transition(job, JobStatus.DISPATCHED, Actor("dealer", f"{job.dealer_id}/demo"))
    steps = VISIT[: VISIT.index(target) + 1] if target in VISIT else VISIT[:2]
    # About one visit in ten arrives after its window: traffic, a long previous job.
    late = rng.random() < 0.1
    sim.moment = window.start - timedelta(minutes=rng.uniform(20, 50))
    for step in steps:
        if step is JobStatus.ON_SITE and late:
            sim.moment = window.end + timedelta(minutes=rng.uniform(20, 60))
        if sim.moment > now:
            return
        jobs.transition(job, step, installer)
        work = step is JobStatus.IN_PROGRESS
        sim.moment += timedelta(minutes=job.duration_minutes if work else rng.uniform(5, 40))
    if target is JobStatus.FAILED:
        reason = rng.choice(["customer_absent", "site_not_ready", "needs_parts"])
        jobs.transition(job, JobStatus.FAILED, installer, payload={"reason": reason})
        jobs.transition(
            job,
            JobStatus.ASSIGNED,
            installer,
            type_="returned_to_dispatch",
            payload={"reason": reason},
        )
        scheduling.release_booking(job)
