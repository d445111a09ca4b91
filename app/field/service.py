"""An installer's view of their work: the day's route in planned order, one job, its visit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select

from app.auth.scoping import get_visible, visible
from app.auth.service import Principal
from app.db import utcnow
from app.errors import NotFound, Unprocessable
from app.extensions import db
from app.field.enums import TARGET, FieldAction
from app.field.models import Attachment
from app.jobs.enums import JobStatus
from app.jobs.models import Job, JobEvent
from app.jobs.service import allowed_next
from app.network.models import Brand, Installer
from app.scheduling.models import Booking
from app.scheduling.windows import local_today

S = JobStatus
# A day's route shows these (scheduled ones without actions: not dispatched yet).
ON_ROUTE = frozenset({S.SCHEDULED, S.DISPATCHED, S.EN_ROUTE, S.ON_SITE, S.IN_PROGRESS, S.COMPLETED})
# A visit under way on an earlier day is still today's business.
UNDER_WAY = frozenset({S.EN_ROUTE, S.ON_SITE, S.IN_PROGRESS})
# How far from today a route may be asked for.
ROUTE_REACH = timedelta(days=366)


@dataclass(frozen=True)
class Visit:
    """When the job is planned: the booked window and the place in the installer's day."""

    local_date: date
    sequence: int
    window_start: datetime
    window_end: datetime
    estimated_start: datetime

    @classmethod
    def of(cls, booking: Booking, zone: str) -> Visit:
        tz = ZoneInfo(zone)
        return cls(
            booking.local_date,
            booking.sequence,
            booking.window_start.astimezone(tz),
            booking.window_end.astimezone(tz),
            booking.estimated_start.astimezone(tz),
        )

    def snapshot(self) -> dict[str, object]:
        """The visit as plain JSON, kept in a failed visit's event."""
        return {
            "local_date": self.local_date.isoformat(),
            "sequence": self.sequence,
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "estimated_start": self.estimated_start.isoformat(),
        }

    @classmethod
    def from_snapshot(cls, data: dict[str, object], zone: str) -> Visit | None:
        try:
            tz = ZoneInfo(zone)
            return cls(
                date.fromisoformat(str(data["local_date"])),
                int(str(data["sequence"])),
                datetime.fromisoformat(str(data["window_start"])).astimezone(tz),
                datetime.fromisoformat(str(data["window_end"])).astimezone(tz),
                datetime.fromisoformat(str(data["estimated_start"])).astimezone(tz),
            )
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class Outcome:
    """A visit that ended without completing the job."""

    status: str
    reason: str | None
    note: str
    at: datetime


@dataclass
class FieldJob:
    """A job as the installer's phone shows it."""

    job: Job
    visit: Visit | None
    brand_name: str
    outcome: Outcome | None = None
    attachments: list[Attachment] = field(default_factory=list)

    @property
    def dispatched(self) -> bool:
        return JobStatus(self.job.status) not in {S.CREATED, S.ASSIGNED, S.SCHEDULED}

    @property
    def actions(self) -> list[str]:
        """Actions the installer may take now, from the one lifecycle."""
        if self.outcome is not None:
            return []
        nexts = set(allowed_next(self.job.status))
        return [str(action) for action in FieldAction if str(TARGET[action]) in nexts]


@dataclass
class Route:
    day: date
    today: date
    timezone: str
    jobs: list[FieldJob]


def installer_of(principal: Principal) -> Installer:
    """The installer behind an installer principal."""
    installer = db.session.get(Installer, principal.installer_id)
    if installer is None:
        raise NotFound("Installer not found.")
    return installer


def get_job(principal: Principal, job_id: int, *, lock: bool = False) -> Job:
    """Load one of the installer's jobs (another installer's job is 404), locked if asked."""
    if not lock:
        return get_visible(Job, job_id, principal, label="Job")
    job = db.session.scalar(
        visible(Job, principal)
        .where(Job.id == job_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if job is None:
        raise NotFound(f"Job {job_id} not found.")
    return job


def _brand_names(brand_ids: set[int]) -> dict[int, str]:
    if not brand_ids:
        return {}
    rows = db.session.execute(select(Brand.id, Brand.name).where(Brand.id.in_(brand_ids)))
    return {row.id: row.name for row in rows}


def _attach(entries: list[FieldJob]) -> list[FieldJob]:
    """Fill in brand names and attachments with one query each."""
    ids = [entry.job.id for entry in entries]
    if not ids:
        return entries
    by_job: dict[int, list[Attachment]] = {}
    for row in db.session.scalars(
        select(Attachment).where(Attachment.job_id.in_(ids)).order_by(Attachment.id)
    ):
        by_job.setdefault(row.job_id, []).append(row)
    names = _brand_names({entry.job.brand_id for entry in entries})
    for entry in entries:
        entry.attachments = by_job.get(entry.job.id, [])
        entry.brand_name = names.get(entry.job.brand_id, "")
    return entries


def _failed_events(
    installer: Installer,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    job_id: int | None = None,
) -> list[JobEvent]:
    """Visits of the installer's (still theirs) jobs that failed, oldest first."""
    stmt = (
        select(JobEvent)
        .join(Job, Job.id == JobEvent.job_id)
        .where(
            JobEvent.type == "failed",
            JobEvent.actor_role == "installer",
            JobEvent.actor_id.like(f"{installer.id}/%"),
            Job.installer_id == installer.id,
        )
        .order_by(JobEvent.id)
    )
    if since is not None:
        stmt = stmt.where(JobEvent.occurred_at >= since)
    if until is not None:
        stmt = stmt.where(JobEvent.occurred_at < until)
    if job_id is not None:
        stmt = stmt.where(JobEvent.job_id == job_id)
    return list(db.session.scalars(stmt))


def _outcome(event: JobEvent) -> Outcome:
    payload = event.payload or {}
    return Outcome(
        "failed", payload.get("reason"), str(payload.get("note") or ""), event.occurred_at
    )


def route(principal: Principal, day: date | None = None) -> Route:
    """The installer's jobs of a local day in planned order, with today's unfinished visits."""
    installer = installer_of(principal)
    zone = installer.timezone
    today = local_today(zone, utcnow())
    day = day or today
    if abs(day - today) > ROUTE_REACH:
        raise Unprocessable(
            "Ask for a day within a year of today.", fields={"date": ["too far from today"]}
        )
    on_day = Booking.local_date == day
    if day == today:
        on_day = or_(on_day, and_(Booking.local_date < day, Job.status.in_(UNDER_WAY)))
    rows = db.session.execute(
        select(Booking, Job)
        .join(Job, Job.id == Booking.job_id)
        .where(
            Booking.installer_id == installer.id,
            Job.installer_id == installer.id,
            Job.status.in_(ON_ROUTE),
            on_day,
        )
        .order_by(Booking.local_date, Booking.sequence, Booking.window_start, Booking.id)
    ).all()
    entries = [FieldJob(job, Visit.of(booking, job.timezone), "") for booking, job in rows]
    booked = {entry.job.id for entry in entries}
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time.min, tz)
    for event in _failed_events(installer, since=start, until=start + timedelta(days=1)):
        if event.job_id in booked:
            continue
        visit = Visit.from_snapshot((event.payload or {}).get("visit") or {}, event.job.timezone)
        if visit is not None and visit.local_date != day:
            continue
        booked.add(event.job_id)
        entries.append(FieldJob(event.job, visit, "", _outcome(event)))
    entries.sort(key=_planned_order)
    return Route(day=day, today=today, timezone=zone, jobs=_attach(entries))


def _planned_order(entry: FieldJob) -> tuple[date, int, datetime, int]:
    visit = entry.visit
    if visit is None:
        return (date.max, 0, datetime.max.replace(tzinfo=UTC), entry.job.id)
    return (visit.local_date, visit.sequence, visit.window_start, entry.job.id)


def field_job(principal: Principal, job_id: int) -> FieldJob:
    """One of the installer's jobs with its visit, outcome and attachments."""
    return describe(get_job(principal, job_id), principal)


def describe(job: Job, principal: Principal) -> FieldJob:
    """Show a job as the phone sees it."""
    visit = Visit.of(job.booking, job.timezone) if job.booking is not None else None
    outcome = None
    if job.booking is None and JobStatus(job.status) in {S.ASSIGNED, S.CREATED}:
        failed = _failed_events(installer_of(principal), job_id=job.id)
        if failed:
            outcome = _outcome(failed[-1])
            visit = Visit.from_snapshot(failed[-1].payload.get("visit") or {}, job.timezone)
    return _attach([FieldJob(job, visit, "", outcome)])[0]
