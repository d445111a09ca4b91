"""Helpers for day-plan tests: book a day through the API, run the planner, check what it wrote."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select

from app.dispatch import tasks
from app.dispatch.models import DayPlan, PlanRoute, PlanStop
from app.dispatch.solver import (
    Plan,
    PlannedStop,
    Problem,
    Reason,
    Route,
    SolveStats,
    Stop,
    TimeWindow,
    Unassigned,
    Vehicle,
)
from app.extensions import db
from app.geo.travel import GreatCircleTravel
from app.jobs.models import Job
from app.network.models import Dealer, Installer
from app.scheduling.models import Booking
from tests.factories import Metro

NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # Tuesday 08:00 in Shanghai
DAY = date(2026, 12, 3)  # Thursday
ZONE = ZoneInfo("Asia/Shanghai")


def spread(metro: Metro, rng: random.Random, km: float = 6.0) -> dict[str, float]:
    """Return a job location within `km` of the metro's centre."""
    lat, lon = metro.center
    return {
        "lat": round(lat + rng.uniform(-km, km) / 111.32, 6),
        "lon": round(lon + rng.uniform(-km, km) / 96.0, 6),
    }


def windows_on(api, job_id: int, day: date) -> list[str]:  # type: ignore[no-untyped-def]
    """Return the starts of the windows offered to a job on a day."""
    found = api.get(f"/api/v1/jobs/{job_id}/windows", query_string={"from": day, "days": 1})
    assert found.status_code == 200, found.json
    return [w["start"] for w in found.json["windows"]]


def book_day(  # type: ignore[no-untyped-def]
    metro: Metro,
    client,
    as_key,
    count: int,
    *,
    day: date = DAY,
    seed: int = 1,
    window: str | None = None,
    **job,
) -> list[int]:
    """Create jobs spread around the metro and book each into a window of the day
    (the one starting at local `window`, e.g. "13:00", or spread over the day)."""
    rng = random.Random(seed)
    api = as_key(metro.brand_key)
    booked = []
    for n in range(count):
        created = metro.job(client, **{**spread(metro, rng), **job})
        offered = windows_on(api, created["id"], day)
        assert offered, f"no window left for job {n}"
        start = offered[(n * 2) % len(offered)]
        if window is not None:
            start = next(w for w in offered if w[11:16] == window)
        answer = api.post(f"/api/v1/jobs/{created['id']}/booking", json={"window_start": start})
        assert answer.status_code == 201, answer.json
        booked.append(created["id"])
    return booked


def run_planner(app) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Run the scheduler task that claims and runs due plan requests."""
    with app.app_context():
        try:
            return tasks.run_plan_requests()
        finally:
            db.session.remove()


def plan_now(app, api, dealer_id: int, day: date = DAY) -> dict:  # type: ignore[no-untyped-def]
    """Request a plan through the API, run the task, return the plan as the API shows it."""
    asked = api.post(f"/api/v1/dealers/{dealer_id}/plans/{day}")
    assert asked.status_code == 202, asked.json
    ran = run_planner(app)
    assert ran.get("done") == 1, ran
    shown = api.get(f"/api/v1/dealers/{dealer_id}/plans/{day}")
    assert shown.status_code == 200, shown.json
    return shown.json


def stored_plan(app, dealer_id: int, day: date = DAY, version: int | None = None):  # type: ignore[no-untyped-def]
    """Rebuild, from the rows the app wrote, the checker's Problem and Plan (independently)."""
    with app.app_context():
        stmt = select(DayPlan).where(DayPlan.dealer_id == dealer_id, DayPlan.local_date == day)
        if version is not None:
            stmt = stmt.where(DayPlan.version == version)
        record = db.session.scalars(stmt.order_by(DayPlan.version.desc())).first()
        assert record is not None
        dealer = db.session.get(Dealer, dealer_id)
        stops = list(
            db.session.scalars(
                select(PlanStop)
                .where(PlanStop.plan_id == record.id)
                .order_by(PlanStop.installer_id, PlanStop.sequence, PlanStop.job_id)
            )
        )
        routes = list(
            db.session.scalars(
                select(PlanRoute)
                .where(PlanRoute.plan_id == record.id)
                .order_by(PlanRoute.installer_id)
            )
        )
        ids = [s.job_id for s in stops]
        jobs = {j.id: j for j in db.session.scalars(select(Job).where(Job.id.in_(ids)))}
        installers = list(
            db.session.scalars(
                select(Installer)
                .where(Installer.dealer_id == dealer_id, Installer.active)
                .order_by(Installer.id)
            )
        )
        return _rebuild(dealer, day, installers, jobs, stops, routes)


def _rebuild(dealer, day, installers, jobs, stops, routes):  # type: ignore[no-untyped-def]
    places = [(i.home_lat, i.home_lon) for i in installers]
    places += [(jobs[s.job_id].lat, jobs[s.job_id].lon) for s in stops]
    travel = GreatCircleTravel(dealer.road_factor, dealer.average_speed_kmh).matrix(places)
    size = len(places)
    durations = np.zeros((size + 1, size + 1), dtype=np.int64)  # + a route's end: its last job
    durations[:size, :size] = travel
    origin = int(datetime.combine(day - timedelta(days=1), datetime.min.time(), ZONE).timestamp())

    def t(moment: datetime) -> int:
        return int(moment.timestamp()) - origin

    vehicles = []
    for n, installer in enumerate(installers):
        shifts = [s for s in installer.shifts if s.weekday == day.isoweekday()]
        if not shifts:
            continue
        zone = ZoneInfo(installer.timezone)
        start = datetime.combine(day, min(s.start_time for s in shifts), zone)
        end = datetime.combine(day, max(s.end_time for s in shifts), zone)
        # No visit in a gap between shifts or in time off.
        ordered = sorted(shifts, key=lambda s: s.start_time)
        pauses = [
            (datetime.combine(day, a.end_time, zone), datetime.combine(day, b.start_time, zone))
            for a, b in pairwise(ordered)
        ] + [(o.starts_at, o.ends_at) for o in installer.time_off]
        vehicles.append(
            Vehicle(
                installer.id, n, size, t(start), t(end), frozenset(installer.skills),
                max_stops=installer.max_jobs_per_day,
                breaks=tuple(TimeWindow(t(a), t(b)) for a, b in pauses if a < b),
            )
        )  # fmt: skip
    index = {s.job_id: len(installers) + k for k, s in enumerate(stops)}
    problem_stops = [
        Stop(
            s.job_id,
            index[s.job_id],
            jobs[s.job_id].duration_minutes * 60,
            (TimeWindow(t(s.window_start), t(s.window_end)),),
            frozenset(jobs[s.job_id].required_skills),
        )
        for s in stops
        if not s.fixed
    ]
    planned = []
    for route in routes:
        mine = sorted(
            (s for s in stops if s.installer_id == route.installer_id and not s.fixed),
            key=lambda s: s.sequence,
        )
        planned.append(
            Route(
                route.installer_id,
                tuple(
                    PlannedStop(s.job_id, t(s.arrival), t(s.service_start), t(s.departure))
                    for s in mine
                ),
                t(route.leaves_at),
                t(mine[-1].departure),
                sum(s.travel_seconds for s in mine),
                None,
            )
        )
    unassigned = tuple(
        Unassigned(s.job_id, Reason(s.issue_code), s.issue_message or "")
        for s in stops
        if s.installer_id is None
    )
    plan = Plan(
        tuple(planned), unassigned, sum(r.travel_duration for r in planned), None,
        SolveStats(0, 0.0, "rebuilt"),
    )  # fmt: skip
    return Problem(durations, tuple(problem_stops), tuple(vehicles)), plan


def bookings_of(app, job_ids: list[int]) -> dict[int, tuple[int, int, datetime, str, int | None]]:  # type: ignore[no-untyped-def]
    """Return job -> (booking installer, sequence, estimated start, job status, job installer)."""
    with app.app_context():
        rows = db.session.execute(
            select(Booking, Job).join(Job, Job.id == Booking.job_id).where(Job.id.in_(job_ids))
        )
        return {
            job.id: (b.installer_id, b.sequence, b.estimated_start, job.status, job.installer_id)
            for b, job in rows
        }


def advance(app, job_id: int, *statuses: str, **payload) -> None:  # type: ignore[no-untyped-def]
    """Move a job through lifecycle steps as its installer would (the field app's part)."""
    from app.auth.service import Actor
    from app.db import transaction
    from app.jobs import service as jobs
    from app.scheduling.service import release_booking

    with app.app_context(), transaction():
        job = db.session.get(Job, job_id, populate_existing=True)
        actor = Actor("installer", f"{job.installer_id}/test")
        for status in statuses:
            if status == "returned_to_dispatch":
                jobs.transition(job, "assigned", actor, type_=status, payload=payload)
                release_booking(job)
            else:
                jobs.transition(job, status, actor, payload=payload)


def local(day: date, hhmm: str) -> datetime:
    """Return the UTC instant of a Shanghai wall-clock time."""
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(day.year, day.month, day.day, hours, minutes, tzinfo=ZONE).astimezone(UTC)


def pending(app, dealer_id: int | None = None):  # type: ignore[no-untyped-def]
    """Return the waiting plan requests as (dealer, day, reasons)."""
    from app.dispatch.models import PlanRequest

    with app.app_context():
        stmt = select(PlanRequest).where(PlanRequest.status == "pending").order_by(PlanRequest.id)
        if dealer_id is not None:
            stmt = stmt.where(PlanRequest.dealer_id == dealer_id)
        return [(r.dealer_id, r.local_date, r.reasons) for r in db.session.scalars(stmt)]
