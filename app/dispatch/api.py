"""Matching endpoints: who can serve a job, assign it, decline it."""

from __future__ import annotations

from typing import Any

from app.auth.decorators import current_principal, require_role
from app.auth.enums import Role
from app.db import transaction
from app.dispatch import blp
from app.dispatch import service as dispatch
from app.dispatch.schemas import AssignInputSchema, DeclineInputSchema, MatchSchema
from app.jobs import service as jobs
from app.jobs.schemas import JobSchema


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
@blp.arguments(AssignInputSchema)
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
