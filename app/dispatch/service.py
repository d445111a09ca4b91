"""Matching a job to dealers: who may serve it, who should, and assignment with reasons."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select

from app.auth.service import SYSTEM, Actor
from app.db import utcnow
from app.dispatch.areas import dealers_covering
from app.errors import Conflict, Unprocessable
from app.extensions import db
from app.geo.distance import haversine_m
from app.jobs import service as jobs
from app.jobs.enums import JobStatus
from app.jobs.models import Feedback, Job, JobEvent
from app.network.models import Brand, BrandDealer, Dealer, Installer
from app.scheduling.availability import capable_crews, shift_span
from app.scheduling.models import Booking
from app.scheduling.windows import local_today

# Ranking weights (lower score wins): how full the dealer is over its horizon, how far its
# nearest capable installer lives, and its track record — half how often its first visit
# completes the job, half what consumers rated it.
WEIGHT_LOAD, WEIGHT_DISTANCE, WEIGHT_RECORD = 0.5, 0.3, 0.2
DISTANCE_SCALE_KM = 20.0
# Both records are smoothed towards a prior so a new dealer is neither best nor worst.
RECORD_PRIOR, RECORD_PRIOR_WEIGHT, RECORD_DAYS = 0.8, 5, 90
RATING_PRIOR, RATING_PRIOR_WEIGHT = 4.0, 5


@dataclass(frozen=True)
class Candidate:
    dealer_id: int
    dealer_name: str
    score: float
    free_capacity: int
    capacity: int
    distance_km: float
    first_visit_rate: float
    average_rating: float


@dataclass(frozen=True)
class Match:
    candidates: list[Candidate]
    reason: str | None  # why nobody is eligible


@dataclass(frozen=True)
class Eligible:
    dealers: list[Dealer]
    crews: dict[int, list[Installer]]  # dealer id -> installers able to do the job
    reason: str | None


def _declined_by(job: Job) -> set[int]:
    rows = db.session.scalars(
        select(JobEvent.payload).where(JobEvent.job_id == job.id, JobEvent.type == "declined")
    )
    return {int(p["dealer_id"]) for p in rows if "dealer_id" in p}


def eligible_dealers(job: Job) -> Eligible:
    """Dealers covering the job's point, authorized for its brand and category, with the skills."""
    covering = dealers_covering(job.lat, job.lon)
    if not covering:
        return Eligible([], {}, "No dealer's service area covers this address.")
    links = db.session.scalars(
        select(BrandDealer).where(
            BrandDealer.brand_id == job.brand_id, BrandDealer.dealer_id.in_(covering)
        )
    )
    authorized = [link.dealer_id for link in links if job.category in link.categories]
    dealers = list(
        db.session.scalars(
            select(Dealer)
            .where(Dealer.id.in_(authorized), Dealer.active.is_(True))
            .order_by(Dealer.id)
        )
    )
    if not dealers:
        return Eligible(
            [],
            {},
            f"No active dealer authorized for this brand in category {job.category} "
            "covers this address.",
        )
    crews = capable_crews([d.id for d in dealers], job.required_skills)
    skilled = [d for d in dealers if crews[d.id]]
    if not skilled:
        skills = ", ".join(job.required_skills) or "none"
        return Eligible(
            [],
            {},
            f"No dealer covering this address has an active installer with skills: {skills}.",
        )
    declined = _declined_by(job)
    remaining = [d for d in skilled if d.id not in declined]
    if not remaining:
        return Eligible([], {}, "Every eligible dealer declined this job.")
    return Eligible(remaining, crews, None)


def _capacity(dealer: Dealer, installers: list[Installer], now: datetime) -> tuple[int, int]:
    """Total and free job places of these installers over the dealer's booking horizon."""
    first = local_today(dealer.timezone, now)
    last = first + timedelta(days=dealer.horizon_days)
    total = 0
    for installer in installers:
        day = first
        while day <= last:
            if shift_span(installer, day):
                total += installer.max_jobs_per_day
            day += timedelta(days=1)
    booked = db.session.scalar(
        select(func.count(Booking.id)).where(
            Booking.installer_id.in_([i.id for i in installers]),
            Booking.local_date >= first,
            Booking.local_date <= last,
        )
    )
    return total, max(total - int(booked or 0), 0)


def first_visit_rates(dealer_ids: list[int], now: datetime) -> dict[int, float]:
    """Share of visits that completed the job the first time, smoothed, per dealer."""
    since = now - timedelta(days=RECORD_DAYS)
    rows = db.session.execute(
        select(Job.dealer_id, Job.id, func.sum(case((JobEvent.type == "failed", 1), else_=0)))
        .join(JobEvent, JobEvent.job_id == Job.id)
        .where(
            Job.dealer_id.in_(dealer_ids),
            JobEvent.type.in_(["completed", "failed"]),
            JobEvent.occurred_at >= since,
        )
        .group_by(Job.dealer_id, Job.id)
    ).all()
    visits: dict[int, list[int]] = {d: [0, 0] for d in dealer_ids}
    for dealer_id, _job_id, failures in rows:
        visits[dealer_id][0] += 1
        visits[dealer_id][1] += 0 if failures else 1
    return {
        d: (first + RECORD_PRIOR * RECORD_PRIOR_WEIGHT) / (n + RECORD_PRIOR_WEIGHT)
        for d, (n, first) in visits.items()
    }


def average_ratings(dealer_ids: list[int], now: datetime) -> dict[int, float]:
    """Consumers' mean rating (1–5) of each dealer's recent visits, smoothed."""
    since = now - timedelta(days=RECORD_DAYS)
    rows = db.session.execute(
        select(Feedback.dealer_id, func.count(Feedback.id), func.sum(Feedback.rating))
        .where(Feedback.dealer_id.in_(dealer_ids), Feedback.created_at >= since)
        .group_by(Feedback.dealer_id)
    ).all()
    totals = {dealer_id: (int(n), int(total or 0)) for dealer_id, n, total in rows}
    return {
        d: (totals.get(d, (0, 0))[1] + RATING_PRIOR * RATING_PRIOR_WEIGHT)
        / (totals.get(d, (0, 0))[0] + RATING_PRIOR_WEIGHT)
        for d in dealer_ids
    }


def rank(job: Job, eligible: Eligible, *, now: datetime | None = None) -> list[Candidate]:
    """Order eligible dealers: free capacity, nearness of installers, track record."""
    now = now or utcnow()
    rates = first_visit_rates([d.id for d in eligible.dealers], now)
    ratings = average_ratings([d.id for d in eligible.dealers], now)
    candidates = []
    for dealer in eligible.dealers:
        installers = eligible.crews[dealer.id]
        capacity, free = _capacity(dealer, installers, now)
        distance = (
            min(haversine_m(job.lat, job.lon, i.home_lat, i.home_lon) for i in installers) / 1000
        )
        load = 1 - free / capacity if capacity else 1.0
        score = (
            WEIGHT_LOAD * load
            + WEIGHT_DISTANCE * min(distance / DISTANCE_SCALE_KM, 1.0)
            + WEIGHT_RECORD * (1 - (rates[dealer.id] + (ratings[dealer.id] - 1) / 4) / 2)
        )
        candidates.append(
            Candidate(
                dealer.id,
                dealer.name,
                round(score, 4),
                free,
                capacity,
                round(distance, 2),
                round(rates[dealer.id], 3),
                round(ratings[dealer.id], 2),
            )
        )
    candidates.sort(key=lambda c: (c.score, c.dealer_id))
    return candidates


def match(job: Job, *, now: datetime | None = None) -> Match:
    """Find and rank the dealers that may serve a job."""
    eligible = eligible_dealers(job)
    return Match(rank(job, eligible, now=now), eligible.reason)


def _assign_to(job: Job, candidate: Candidate, found: Match, actor: Actor, how: str) -> None:
    job.dealer_id = candidate.dealer_id
    job.unassigned_reason = None
    jobs.transition(
        job,
        JobStatus.ASSIGNED,
        actor,
        payload={
            "dealer_id": candidate.dealer_id,
            "how": how,
            "candidates": [asdict(c) for c in found.candidates],
        },
    )


def _leave_unassigned(job: Job, reason: str, actor: Actor) -> None:
    job.unassigned_reason = reason
    jobs.record_event(job, "unassigned", actor, payload={"reason": reason})
    db.session.flush()


def auto_assign(job: Job, actor: Actor = SYSTEM) -> Job:
    """Give a created job to the best eligible dealer, or record why nobody can take it."""
    found = match(job)
    if found.candidates:
        _assign_to(job, found.candidates[0], found, actor, "auto")
    else:
        _leave_unassigned(job, found.reason or "No eligible dealer.", actor)
    return job


def _automatic(job: Job) -> bool:
    """Whether the job's brand assigns its jobs automatically."""
    brand = db.session.get(Brand, job.brand_id)
    return brand is not None and brand.assignment_mode == "auto"


def assign_on_intake(job: Job) -> None:
    """Assign automatically when the brand asked for it. A later visit of an order goes to
    the dealer of its earlier visits while that dealer may serve it: one dealer keeps the
    order's thread (deliver, then install, then after-sales)."""
    earlier = db.session.scalar(
        select(Job.dealer_id)
        .where(Job.order_id == job.order_id, Job.id != job.id, Job.dealer_id.is_not(None))
        .order_by(Job.sequence)
        .limit(1)
    )
    if earlier is not None and _follow_dealer(job, earlier, SYSTEM):
        return
    if _automatic(job):
        auto_assign(job)


def assign(job: Job, actor: Actor, dealer_id: int | None = None) -> Job:
    """Assign a created job: to a chosen eligible dealer, or to the best one."""
    if JobStatus(job.status) is not JobStatus.CREATED:
        raise Conflict(
            f"Job {job.id} is {job.status}; only created jobs can be assigned.",
            code="illegal_transition",
            current_status=job.status,
            allowed_statuses=jobs.allowed_next(job.status),
        )
    if dealer_id is None:
        return auto_assign(job, actor)
    found = match(job)
    chosen = next((c for c in found.candidates if c.dealer_id == dealer_id), None)
    if chosen is None:
        raise Unprocessable(
            f"Dealer {dealer_id} is not eligible for job {job.id}"
            + (f" ({found.reason})" if found.reason else "")
            + f"; eligible: {[c.dealer_id for c in found.candidates]}.",
            code="dealer_not_eligible",
            fields={"dealer_id": ["not eligible"]},
        )
    _assign_to(job, chosen, found, actor, "manual")
    _assign_waiting_visits(job, actor)
    return job


def _assign_waiting_visits(job: Job, actor: Actor) -> None:
    """The order's other visits still waiting for a dealer follow the one just assigned, where
    that dealer may serve them (a brand assigning by hand assigns the order once)."""
    waiting = db.session.scalars(
        select(Job)
        .where(
            Job.order_id == job.order_id,
            Job.id != job.id,
            Job.status == str(JobStatus.CREATED),
        )
        .order_by(Job.sequence)
    ).all()
    assert job.dealer_id is not None
    for visit in waiting:
        _follow_dealer(visit, job.dealer_id, actor)


def _follow_dealer(visit: Job, dealer_id: int, actor: Actor) -> bool:
    """Give a visit to the dealer of its order's other visits, if that dealer may serve it."""
    found = match(visit)
    same = next((c for c in found.candidates if c.dealer_id == dealer_id), None)
    if same is not None:
        _assign_to(visit, same, found, actor, "order")
    return same is not None


def decline(job: Job, actor: Actor, reason: str) -> Job:
    """A dealer refuses a job: the next eligible dealer gets it, or it waits unassigned."""
    if JobStatus(job.status) is not JobStatus.ASSIGNED:
        raise Conflict(
            f"Job {job.id} is {job.status}; a dealer can decline only an assigned job "
            "(cancel its booking first).",
            code="not_declinable",
            current_status=job.status,
        )
    jobs.record_event(
        job, "declined", actor, payload={"dealer_id": job.dealer_id, "reason": reason}
    )
    db.session.flush()
    _hand_on(job, match(job), auto=True)
    return job


def _hand_on(job: Job, found: Match, *, auto: bool, why: str | None = None) -> None:
    """Take an assigned job from its dealer: to the best other candidate when `auto`, else
    back to created (unassigned) with the reason."""
    previous = job.dealer_id
    job.installer_id = None  # the previous dealer's installers no longer see it
    if auto and found.candidates:
        job.dealer_id = found.candidates[0].dealer_id
        jobs.record_event(
            job,
            "reassigned",
            SYSTEM,
            payload={
                "dealer_id": job.dealer_id,
                "previous_dealer_id": previous,
                "candidates": [asdict(c) for c in found.candidates],
                **({"why": why} if why else {}),
            },
        )
        db.session.flush()
    else:
        reason = why or found.reason or "No eligible dealer."
        if why and found.reason:
            reason = f"{why} {found.reason}"
        job.dealer_id = None
        job.unassigned_reason = reason
        jobs.transition(
            job, JobStatus.CREATED, SYSTEM, type_="unassigned", payload={"reason": reason}
        )


def rematch(job: Job) -> None:
    """After a job moved: keep its dealer while that dealer may still serve it, otherwise
    hand it on (brand on automatic) or unassign it with the reason. An unassigned job of a
    brand on automatic is tried again."""
    automatic = _automatic(job)
    status = JobStatus(job.status)
    if status is JobStatus.CREATED and automatic:
        auto_assign(job)
    elif status is JobStatus.ASSIGNED:
        found = match(job)
        if all(c.dealer_id != job.dealer_id for c in found.candidates):
            why = f"Dealer {job.dealer_id} does not serve the new address."
            _hand_on(job, found, auto=automatic, why=why)
