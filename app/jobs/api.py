"""Job endpoints: brand intake, reading, listing, cancelling; the event log."""

from __future__ import annotations

from typing import Any

from flask import Response

from app.auth.decorators import current_principal, require_role
from app.auth.enums import Role
from app.db import transaction
from app.jobs import blp
from app.jobs import service as jobs
from app.jobs.idempotency import IDEMPOTENCY_KEY_DOC, intake_response
from app.jobs.schemas import (
    CancelSchema,
    JobCreateSchema,
    JobEventSchema,
    JobListArgsSchema,
    JobSchema,
    JobUpdateSchema,
)
from app.pagination import page_schema, paginate

ANY_TENANT = (Role.ADMIN, Role.BRAND, Role.DEALER)


@blp.route("/jobs", methods=["POST"])
@require_role(Role.BRAND)
@blp.arguments(JobCreateSchema)
@blp.response(201, JobSchema)
@blp.doc(parameters=[IDEMPOTENCY_KEY_DOC])
def create_job(args: dict[str, Any]) -> Response:
    """Push an order as a job (idempotent with Idempotency-Key; external_id unique per brand)."""
    principal = current_principal()
    assert principal.brand_id is not None
    brand_id = principal.brand_id
    return intake_response(
        brand_id,
        lambda: JobSchema().dump(jobs.create_job(brand_id, args, principal.actor)),
        "/api/v1/jobs",
    )


@blp.route("/jobs", methods=["GET"])
@require_role(*ANY_TENANT)
@blp.arguments(JobListArgsSchema, location="query")
@blp.response(200, page_schema(JobSchema))
def list_jobs(args: dict[str, Any]) -> Any:
    """List the jobs the caller may see (brand: its own; dealer: assigned to it)."""
    page, per_page = args.pop("page"), args.pop("per_page")
    return paginate(jobs.search_jobs(current_principal(), args), page=page, per_page=per_page)


@blp.route("/jobs/<int:job_id>", methods=["GET"])
@require_role(*ANY_TENANT)
@blp.response(200, JobSchema)
def get_job(job_id: int) -> Any:
    """Read a job."""
    return jobs.get_job(current_principal(), job_id)


@blp.route("/jobs/<int:job_id>", methods=["PATCH"])
@require_role(Role.BRAND, Role.ADMIN)
@blp.arguments(JobUpdateSchema, required=False)
@blp.response(200, JobSchema)
def update_job(args: dict[str, Any], job_id: int) -> Any:
    """Change a job's details (consumer contact, items, notes; address before scheduling)."""
    principal = current_principal()
    with transaction():
        return jobs.update_job(jobs.get_job(principal, job_id), args, principal.actor)


@blp.route("/jobs/<int:job_id>/cancel", methods=["POST"])
@require_role(Role.BRAND, Role.ADMIN)
@blp.arguments(CancelSchema)
@blp.response(200, JobSchema)
def cancel_job(args: dict[str, Any], job_id: int) -> Any:
    """Cancel an open job with a reason."""
    principal = current_principal()
    with transaction():
        return jobs.cancel_job(jobs.get_job(principal, job_id), args["reason"], principal.actor)


@blp.route("/jobs/<int:job_id>/events", methods=["GET"])
@require_role(*ANY_TENANT)
@blp.response(200, JobEventSchema(many=True))
def list_events(job_id: int) -> Any:
    """Read a job's audit log, oldest first."""
    principal = current_principal()
    return jobs.events_for(principal, jobs.get_job(principal, job_id))
