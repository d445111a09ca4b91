"""Dispatch endpoints: matching (who can serve a job, assign, decline) and day plans."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.auth.decorators import current_principal, require_role
from app.auth.enums import Role
from app.auth.scoping import get_visible
from app.db import transaction
from app.dispatch import blp, plans_blp
from app.dispatch import service as dispatch
from app.dispatch.planning import locks
from app.dispatch.planning.read import plan_view
from app.dispatch.planning.service import request_day
from app.dispatch.schemas import (
    AssignInputSchema,
    DeclineInputSchema,
    MatchSchema,
    PlanArgsSchema,
    PlanLockInputSchema,
    PlanLockSchema,
    PlanRequestedSchema,
    PlanSchema,
)
from app.jobs import service as jobs
from app.jobs.schemas import JobSchema
from app.network.models import Dealer

DISPATCHERS = (Role.ADMIN, Role.DEALER)


@blp.route("/jobs/<int:job_id>/candidates", methods=["GET"])
@require_role(Role.ADMIN, Role.BRAND)
@blp.response(200, MatchSchema)
def candidates(job_id: int) -> Any:
    """Rank the dealers eligible for a job, with the numbers behind each score."""
    job = jobs.get_job(current_principal(), job_id)
    found = dispatch.match(job)
    return {"job_id": job.id, "candidates": found.candidates, "reason": found.reason}


@blp.route("/jobs/<int:job_id>/assign", methods=["POST"])
@require_role(Role.ADMIN, Role.BRAND)
@blp.arguments(AssignInputSchema, required=False)
@blp.response(200, JobSchema)
def assign(args: dict[str, Any], job_id: int) -> Any:
    """Assign a created job to an eligible dealer (or the best one when none is named)."""
    principal = current_principal()
    with transaction():
        return dispatch.assign(jobs.get_job(principal, job_id), principal.actor, args["dealer_id"])


@blp.route("/jobs/<int:job_id>/decline", methods=["POST"])
@require_role(Role.DEALER)
@blp.arguments(DeclineInputSchema)
@blp.response(204)
def decline(args: dict[str, Any], job_id: int) -> None:
    """Decline a job assigned to you; it passes to the next eligible dealer (or waits)."""
    principal = current_principal()
    with transaction():
        dispatch.decline(jobs.get_job(principal, job_id), principal.actor, args["reason"])


def _dealer(dealer_id: int) -> Dealer:
    return get_visible(Dealer, dealer_id, current_principal())


@plans_blp.route("/dealers/<int:dealer_id>/plans/<date:day>", methods=["POST"])
@require_role(*DISPATCHERS)
@plans_blp.response(202, PlanRequestedSchema)
def request_plan(dealer_id: int, day: date) -> Any:
    """Ask for the day to be planned now; the scheduler runs the request within seconds."""
    principal = current_principal()
    with transaction():
        return request_day(_dealer(dealer_id), day, principal.actor)


@plans_blp.route("/dealers/<int:dealer_id>/plans/<date:day>", methods=["GET"])
@require_role(*DISPATCHERS)
@plans_blp.arguments(PlanArgsSchema, location="query")
@plans_blp.response(200, PlanSchema)
def get_plan(args: dict[str, Any], dealer_id: int, day: date) -> Any:
    """Read the day's plan: the latest version (or ?version=N) and whether a new one is coming."""
    return plan_view(_dealer(dealer_id), day, args.get("version"))


@plans_blp.route("/jobs/<int:job_id>/plan-lock", methods=["PUT"])
@require_role(*DISPATCHERS)
@plans_blp.arguments(PlanLockInputSchema)
@plans_blp.response(200, PlanLockSchema)
def put_lock(args: dict[str, Any], job_id: int) -> Any:
    """Keep a booked job with an installer (and at a position) and re-plan its day."""
    principal = current_principal()
    with transaction():
        job = jobs.get_job(principal, job_id)
        lock, request = locks.set_lock(job, actor=principal.actor, **args)
        fields = ("job_id", "installer_id", "position", "local_date", "created_by", "created_at")
        return {**{name: getattr(lock, name) for name in fields}, "plan_request": request}


@plans_blp.route("/jobs/<int:job_id>/plan-lock", methods=["DELETE"])
@require_role(*DISPATCHERS)
@plans_blp.response(204)
def delete_lock(job_id: int) -> None:
    """Let the planner place the job freely again and re-plan its day."""
    principal = current_principal()
    with transaction():
        locks.delete_lock(jobs.get_job(principal, job_id), actor=principal.actor)
