"""Write a solved day as a new plan version and apply it to bookings and jobs."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from app.auth.service import Actor
from app.dispatch.models import DayPlan, PlanRoute, PlanStop
from app.dispatch.planning.day import DayInput, day_state, fingerprint
from app.dispatch.solver import Plan, Route
from app.dispatch.solver.model import StopId
from app.extensions import db
from app.jobs import service as jobs
from app.jobs.enums import JobStatus
from app.jobs.models import Job
from app.network.models import Installer
from app.scheduling.models import Booking
from app.scheduling.service import lock_installer_days

PLANNER = Actor("system", "planner")
INSTALLER = re.compile(r"installer '?(\d+)'?")


@dataclass
class Visit:
    """A job on a route, times in epoch seconds."""

    job_id: int
    arrival: int
    start: int
    departure: int
    travel: int
    fixed: bool = False


@dataclass
class Tour:
    """One installer's whole day as written: leaving home, visits, the drive home."""

    installer_id: int
    leaves: int
    returns: int
    travel: int
    visits: list[Visit] = field(default_factory=list)


@dataclass(frozen=True)
class SolveInfo:
    """How the plan was made, for the version's record."""

    reasons: list[Any]
    seed: int
    time_limit: float
    load_ms: int
    solve_ms: int


def readable(plan: Plan) -> dict[StopId, str]:
    """Return each unassigned job's reason with installers named, not only numbered."""
    ids = {int(n) for item in plan.unassigned for n in INSTALLER.findall(item.message)}
    names = {}
    if ids:
        stmt = select(Installer.id, Installer.name).where(Installer.id.in_(ids))
        names = {installer_id: name for installer_id, name in db.session.execute(stmt)}

    def name(found: re.Match[str]) -> str:
        installer_id = int(found.group(1))
        return (
            f"{names[installer_id]} (installer {installer_id})"
            if installer_id in names
            else found.group(0)
        )

    return {item.stop_id: INSTALLER.sub(name, item.message)[:300] for item in plan.unassigned}


def _at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def tours(day: DayInput, plan: Plan) -> list[Tour]:
    """Join the fixed visits and the solver's routes into each installer's day."""
    solved: dict[int, Route] = {int(r.vehicle_id): r for r in plan.routes}
    found = []
    for crew in day.crews.values():
        route = solved.get(crew.installer_id)
        if not crew.fixed and route is None:
            continue
        here, legs, visits = crew.home, 0, []
        for visit in crew.fixed:
            leg = int(day.travel[here, visit.point])
            visits.append(
                Visit(visit.job_id, visit.arrival, visit.start, visit.departure, leg, True)
            )
            here, legs = visit.point, legs + leg
        for planned in route.stops if route else ():
            where = day.jobs[int(planned.stop_id)]
            leg = int(day.travel[here, where])
            visits.append(
                Visit(
                    int(planned.stop_id),
                    planned.arrival + day.offset,
                    planned.start + day.offset,
                    planned.departure + day.offset,
                    leg,
                )
            )
            here, legs = where, legs + leg
        home_leg = int(day.travel[here, crew.home])
        leaves = visits[0].arrival - visits[0].travel
        found.append(
            Tour(
                crew.installer_id, leaves, visits[-1].departure + home_leg, legs + home_leg, visits
            )
        )
    return found


def write_plan(day: DayInput, plan: Plan, info: SolveInfo) -> DayPlan | None:
    """Write the next version and apply it; None when the day changed since it was loaded."""
    began = time.perf_counter()
    jobs.lock_jobs(sorted(day.jobs) or [-1])
    lock_installer_days({*day.crews, *day.holders}, day.day)
    db.session.expire_all()  # read the day again under the locks
    rows, locks = day_state(day.dealer_id, day.day)
    if fingerprint(rows, locks) != day.fingerprint:
        return None
    latest = db.session.scalar(
        select(func.max(DayPlan.version)).where(
            DayPlan.dealer_id == day.dealer_id, DayPlan.local_date == day.day
        )
    )
    days = tours(day, plan)
    record = DayPlan(
        dealer_id=day.dealer_id,
        local_date=day.day,
        version=(latest or 0) + 1,
        timezone=day.timezone,
        reasons=info.reasons,
        travel_seconds=sum(t.travel for t in days),
        installers_used=sum(1 for t in days if any(not v.fixed for v in t.visits)),
        jobs_planned=sum(len(r.stops) for r in plan.routes),
        jobs_unassigned=len(plan.unassigned),
        seed=info.seed,
        time_limit=info.time_limit,
        iterations=plan.stats.iterations,
        stopped_by=plan.stats.stopped_by,
        load_ms=info.load_ms,
        solve_ms=info.solve_ms,
    )
    db.session.add(record)
    db.session.flush()
    messages = readable(plan)
    booked = {job.id: (booking, job) for booking, job in rows}
    _record_rows(record, day, days, plan, booked, messages)
    _apply(record, day, days, plan, booked, messages)
    record.write_ms = round((time.perf_counter() - began) * 1000)
    db.session.flush()
    return record


def _record_rows(
    record: DayPlan,
    day: DayInput,
    days: list[Tour],
    plan: Plan,
    booked: dict[int, tuple[Booking, Job]],
    messages: dict[StopId, str],
) -> None:
    """Store the version's routes and stops: what each installer is told."""
    windows = day.windows
    rows: list[Any] = []
    for tour in days:
        crew = day.crews[tour.installer_id]
        lat, lon = day.points[crew.home]
        working = crew.working or (tour.leaves, tour.returns)
        rows.append(
            PlanRoute(
                plan_id=record.id,
                installer_id=tour.installer_id,
                home_lat=lat,
                home_lon=lon,
                shift_start=_at(working[0]),
                shift_end=_at(working[1]),
                leaves_at=_at(tour.leaves),
                returns_at=_at(tour.returns),
                travel_seconds=tour.travel,
            )
        )
        for n, visit in enumerate(tour.visits):
            booking = booked[visit.job_id][0]  # the day as loaded: the fingerprint matched
            window = (booking.window_start, booking.window_end)
            rows.append(
                PlanStop(
                    plan_id=record.id,
                    job_id=visit.job_id,
                    installer_id=tour.installer_id,
                    sequence=n,
                    fixed=visit.fixed,
                    locked=visit.job_id in day.locked,
                    window_start=window[0],
                    window_end=window[1],
                    arrival=_at(visit.arrival),
                    service_start=_at(visit.start),
                    departure=_at(visit.departure),
                    travel_seconds=visit.travel,
                )
            )
    for item in plan.unassigned:
        window = windows[int(item.stop_id)]
        rows.append(
            PlanStop(
                plan_id=record.id,
                job_id=int(item.stop_id),
                locked=int(item.stop_id) in day.locked,
                window_start=window[0],
                window_end=window[1],
                issue_code=str(item.reason),
                issue_message=messages[item.stop_id],
            )
        )
    db.session.add_all(rows)


def _apply(
    record: DayPlan,
    day: DayInput,
    days: list[Tour],
    plan: Plan,
    rows: dict[int, tuple[Booking, Job]],
    messages: dict[StopId, str],
) -> None:
    """Give each job its installer, place and ETA; move jobs on or off the plan; flag issues."""
    ends: dict[int, int] = {}
    for tour in days:
        for n, visit in enumerate(tour.visits):
            booking, job = rows[visit.job_id]
            booking.sequence = n
            if not visit.fixed:
                _dispatch(record, booking, job, tour.installer_id, _at(visit.start))
        ends[tour.installer_id] = len(tour.visits)
    for item in plan.unassigned:
        booking, job = rows[int(item.stop_id)]
        booking.sequence = ends.get(booking.installer_id, 0)
        ends[booking.installer_id] = booking.sequence + 1
        _take_off(record, job, str(item.reason), messages[item.stop_id])
    db.session.flush()
    _forget_old_issues(record, set(day.windows))


def _dispatch(
    record: DayPlan, booking: Booking, job: Job, installer_id: int, eta: datetime
) -> None:
    """Put a job on an installer's route (scheduled jobs become dispatched)."""
    before = job.installer_id
    booking.installer_id = installer_id
    booking.estimated_start = eta
    job.installer_id = installer_id
    payload = {
        "plan_version": record.version,
        "installer_id": installer_id,
        "sequence": booking.sequence,
        "eta": eta.isoformat(),
    }
    if job.plan_issue_code is not None:
        _set_issue(job, None)
        jobs.record_event(job, "plan_issue_resolved", PLANNER, payload=payload)
    if job.status == JobStatus.SCHEDULED:
        jobs.transition(job, JobStatus.DISPATCHED, PLANNER, payload=payload, flush=False)
    elif before != installer_id:
        jobs.record_event(
            job, "replanned", PLANNER, payload={**payload, "previous_installer_id": before}
        )


def _take_off(record: DayPlan, job: Job, code: str, message: str) -> None:
    """Report a job the plan cannot serve; a dispatched one goes back to scheduled."""
    payload = {
        "plan_version": record.version,
        "date": record.local_date.isoformat(),
        "code": code,
        "message": message,
    }
    if job.status == JobStatus.DISPATCHED:
        jobs.transition(
            job,
            JobStatus.SCHEDULED,
            PLANNER,
            type_="removed_from_plan",
            payload={**payload, "installer_id": job.installer_id},
            flush=False,
        )
    job.installer_id = None
    issue = (code, message, record.local_date)
    if (job.plan_issue_code, job.plan_issue_message, job.plan_issue_date) != issue:
        _set_issue(job, issue)
        jobs.record_event(job, "plan_issue", PLANNER, payload=payload)


def _set_issue(job: Job, issue: tuple[str, str, Any] | None) -> None:
    job.plan_issue_code, job.plan_issue_message, job.plan_issue_date = issue or (None, None, None)


def _forget_old_issues(record: DayPlan, planned: set[int]) -> None:
    """Clear issues reported for this day on jobs no longer in it (cancelled, moved)."""
    stale = db.session.scalars(
        select(Job).where(
            Job.dealer_id == record.dealer_id,
            Job.plan_issue_date == record.local_date,
            Job.id.not_in(planned or {-1}),
        )
    )
    for job in stale:
        _set_issue(job, None)
