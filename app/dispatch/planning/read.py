"""Read a plan version for the API and the dispatcher page, in the dealer's local time."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.dispatch.models import DayPlan, PlanRequest, PlanRoute, PlanStop
from app.dispatch.planning.queue import failed_in_a_row, latest_request
from app.errors import NotFound
from app.extensions import db
from app.jobs.models import Job
from app.network.models import Dealer, Installer

OPEN = ("pending", "running")


def versions(dealer_id: int, day: date) -> list[int]:
    """Return the day's plan versions, oldest first."""
    return list(
        db.session.scalars(
            select(DayPlan.version)
            .where(DayPlan.dealer_id == dealer_id, DayPlan.local_date == day)
            .order_by(DayPlan.version)
        )
    )


def day_status(plan: DayPlan | None, request: PlanRequest | None, *, failing: bool) -> str:
    """Say where the day stands: running, failed (a retry may be waiting), pending, ready (or
    none)."""
    if request is not None and request.status == "running":
        return "running"
    if failing:
        return "failed"
    if request is not None and request.status in OPEN:
        return request.status
    return "ready" if plan is not None else "none"


def failure_out(
    failed: list[PlanRequest], request: PlanRequest | None, zone: ZoneInfo
) -> dict[str, Any] | None:
    """Describe the failures in a row since the day was last planned, and the next try."""
    if not failed:
        return None
    retry = request if request is not None and request.status == "pending" else None
    return {
        "attempts": len(failed),
        "error": failed[0].error,
        "failed_at": _local(failed[0].finished_at, zone),
        "next_attempt_at": _local(retry.due_at, zone) if retry else None,
    }


def plan_view(dealer: Dealer, day: date, version: int | None = None) -> dict[str, Any]:
    """Return a version of the day's plan (default the latest) with the day's status."""
    found = versions(dealer.id, day)
    request = latest_request(dealer.id, day)
    if version is not None and version not in found:
        raise NotFound(f"Dealer {dealer.id} has no plan version {version} for {day}.")
    if not found and request is None:
        raise NotFound(f"Dealer {dealer.id} has no plan for {day}; POST to request one.")
    number = version or (found[-1] if found else None)
    plan = None
    if number is not None:
        plan = db.session.scalar(
            select(DayPlan).where(
                DayPlan.dealer_id == dealer.id,
                DayPlan.local_date == day,
                DayPlan.version == number,
            )
        )
    zone = ZoneInfo(plan.timezone if plan else dealer.timezone)
    failed = failed_in_a_row(dealer.id, day)
    view: dict[str, Any] = {
        "dealer_id": dealer.id,
        "date": day,
        "timezone": zone.key,
        "status": day_status(plan, request, failing=bool(failed)),
        "failure": failure_out(failed, request, zone),
        "version": number,
        "latest_version": found[-1] if found else None,
        "versions": found,
        "request": _request_out(request, zone) if request else None,
        "routes": [],
        "unassigned": [],
    }
    if plan is not None:
        view.update(_plan_out(plan, zone))
    return view


def _local(value: datetime | None, zone: ZoneInfo) -> datetime | None:
    return value.astimezone(zone) if value is not None else None


def _request_out(request: PlanRequest, zone: ZoneInfo) -> dict[str, Any]:
    return {
        "id": request.id,
        "status": request.status,
        "reasons": request.reasons,
        "requested_by": request.requested_by,
        "created_at": _local(request.created_at, zone),
        "due_at": _local(request.due_at, zone),
        "claimed_at": _local(request.claimed_at, zone),
        "finished_at": _local(request.finished_at, zone),
        "error": request.error,
    }


def _plan_out(plan: DayPlan, zone: ZoneInfo) -> dict[str, Any]:
    routes = list(
        db.session.scalars(
            select(PlanRoute).where(PlanRoute.plan_id == plan.id).order_by(PlanRoute.installer_id)
        )
    )
    stops = list(
        db.session.scalars(
            select(PlanStop)
            .where(PlanStop.plan_id == plan.id)
            .order_by(PlanStop.installer_id, PlanStop.sequence, PlanStop.job_id)
        )
    )
    jobs = {
        job.id: job
        for job in db.session.scalars(select(Job).where(Job.id.in_([s.job_id for s in stops])))
    }
    names = {
        installer_id: name
        for installer_id, name in db.session.execute(
            select(Installer.id, Installer.name).where(
                Installer.id.in_([r.installer_id for r in routes])
            )
        )
    }
    by_installer: dict[int, list[dict[str, Any]]] = {r.installer_id: [] for r in routes}
    unassigned = []
    for stop in stops:
        job = jobs[stop.job_id]
        item = {
            "job_id": stop.job_id,
            "external_id": job.external_id,
            "address": job.address,
            "lat": job.lat,
            "lon": job.lon,
            "status": job.status,
            "locked": stop.locked,
            "window_start": _local(stop.window_start, zone),
            "window_end": _local(stop.window_end, zone),
        }
        if stop.installer_id is None:
            unassigned.append({**item, "code": stop.issue_code, "message": stop.issue_message})
            continue
        wait = 0.0
        if stop.arrival is not None and stop.service_start is not None:
            wait = (stop.service_start - stop.arrival).total_seconds()
        by_installer[stop.installer_id].append(
            {
                **item,
                "sequence": stop.sequence,
                "fixed": stop.fixed,
                "duration_minutes": job.duration_minutes,
                "arrival": _local(stop.arrival, zone),
                "service_start": _local(stop.service_start, zone),
                "departure": _local(stop.departure, zone),
                "travel_seconds": stop.travel_seconds,
                "wait_seconds": max(0, int(wait)),
            }
        )
    return {
        "created_at": _local(plan.created_at, zone),
        "reasons": plan.reasons,
        "totals": {
            "travel_seconds": plan.travel_seconds,
            "installers_used": plan.installers_used,
            "jobs_planned": plan.jobs_planned,
            "jobs_unassigned": plan.jobs_unassigned,
        },
        "solver": {
            "seed": plan.seed,
            "time_limit": plan.time_limit,
            "iterations": plan.iterations,
            "stopped_by": plan.stopped_by,
            "load_ms": plan.load_ms,
            "solve_ms": plan.solve_ms,
            "write_ms": plan.write_ms,
        },
        "routes": [
            {
                "installer_id": route.installer_id,
                "installer_name": names.get(route.installer_id, ""),
                "home_lat": route.home_lat,
                "home_lon": route.home_lon,
                "shift_start": _local(route.shift_start, zone),
                "shift_end": _local(route.shift_end, zone),
                "leaves_at": _local(route.leaves_at, zone),
                "returns_at": _local(route.returns_at, zone),
                "travel_seconds": route.travel_seconds,
                "stops": by_installer[route.installer_id],
            }
            for route in routes
        ],
        "unassigned": unassigned,
    }
