"""Field endpoints for the installer's phone (/api/field) and proof of work for staff (/api/v1)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, send_file

from app.auth.decorators import current_principal, require_role
from app.auth.enums import Role
from app.db import transaction
from app.field import attachments as proof
from app.field import blp, events, goods, proof_blp
from app.field import service as field
from app.field.models import Attachment
from app.field.schemas import (
    AttachmentSchema,
    EventResultSchema,
    FieldEventSchema,
    FieldJobSchema,
    GoodsReceivedSchema,
    GoodsScanSchema,
    RouteArgsSchema,
    RouteSchema,
    SyncResultSchema,
    SyncSchema,
    UploadArgsSchema,
    UploadFileSchema,
)
from app.jobs import service as jobs

STAFF = (Role.ADMIN, Role.BRAND, Role.DEALER)
IMAGE = "The image bytes (JPEG, PNG or WebP; Content-Type says which)"


@blp.route("/route", methods=["GET"])
@require_role(Role.INSTALLER)
@blp.arguments(RouteArgsSchema, location="query")
@blp.response(200, RouteSchema)
def get_route(args: dict[str, Any]) -> Any:
    """Your jobs of a day in planned order (default today), with today's unfinished visits."""
    return field.route(current_principal(), args["date"])


@blp.route("/goods-received", methods=["POST"])
@require_role(Role.INSTALLER)
@blp.arguments(GoodsScanSchema)
@blp.response(200, GoodsReceivedSchema)
def goods_received(args: dict[str, Any]) -> Any:
    """The goods of an order are at the dealer: scan or type its code (a second scan changes
    nothing). The order's visits that need them can be booked from now on."""
    with transaction():
        return goods.received_out(goods.receive_by_code(current_principal(), args["code"]))


@blp.route("/jobs/<int:job_id>", methods=["GET"])
@require_role(Role.INSTALLER)
@blp.response(200, FieldJobSchema)
def get_job(job_id: int) -> Any:
    """One of your jobs (another installer's job is 404)."""
    return field.field_job(current_principal(), job_id)


def _outcome_response(outcome: events.EventOutcome) -> Response:
    response = jsonify(EventResultSchema().dump(outcome))
    response.status_code = outcome.status
    if outcome.result == "replayed":
        response.headers["Idempotent-Replayed"] = "true"
    return response


@blp.route("/jobs/<int:job_id>/events", methods=["POST"])
@require_role(Role.INSTALLER)
@blp.arguments(FieldEventSchema)
@blp.response(201, EventResultSchema)
@blp.alt_response(200, schema=EventResultSchema, description="Replayed: already applied once")
@blp.alt_response(409, description="The job's state does not allow it (names the current state)")
def post_event(args: dict[str, Any], job_id: int) -> Response:
    """Record a status change (en_route, arrived, start_work, complete, fail) exactly once."""
    return _outcome_response(events.apply_event(current_principal(), job_id, args))


@blp.route("/sync", methods=["POST"])
@require_role(Role.INSTALLER)
@blp.arguments(SyncSchema)
@blp.response(200, SyncResultSchema)
def sync(args: dict[str, Any]) -> Any:
    """Apply the phone's queued events in order; each answers applied, replayed or rejected."""
    return {"results": events.sync(current_principal(), args["events"])}


@blp.route("/jobs/<int:job_id>/attachments", methods=["POST"])
@require_role(Role.INSTALLER)
@blp.arguments(UploadArgsSchema, location="query")
@blp.arguments(UploadFileSchema, location="files")
@blp.response(201, AttachmentSchema)
@blp.alt_response(200, schema=AttachmentSchema, description="Already uploaded: the first one")
def upload_attachment(args: dict[str, Any], files: dict[str, Any], job_id: int) -> Response:
    """Upload a photo or the consumer's signature (JPEG/PNG/WebP, up to MAX_UPLOAD_BYTES)."""
    upload = files["file"]
    with transaction():
        attachment, created = proof.add_attachment(
            current_principal(),
            job_id,
            kind=args["kind"],
            stream=upload.stream,
            declared_type=upload.mimetype,
            client_upload_id=args["client_upload_id"],
        )
    response = jsonify(AttachmentSchema().dump(attachment))
    response.status_code = 201 if created else 200
    return response


@blp.route("/attachments/<int:attachment_id>/content", methods=["GET"])
@require_role(Role.INSTALLER)
@blp.response(200, description=IMAGE, content_type="image/jpeg")
def installer_attachment_content(attachment_id: int) -> Response:
    """The bytes of a photo or signature of one of your jobs."""
    return _send(proof.get_attachment(current_principal(), attachment_id))


@proof_blp.route("/jobs/<int:job_id>/attachments", methods=["GET"])
@require_role(*STAFF)
@proof_blp.response(200, AttachmentSchema(many=True))
def list_attachments(job_id: int) -> Any:
    """A job's photos and signatures (brand, dealer, admin)."""
    return proof.job_attachments(jobs.get_job(current_principal(), job_id))


@proof_blp.route("/attachments/<int:attachment_id>/content", methods=["GET"])
@require_role(*STAFF)
@proof_blp.response(200, description=IMAGE, content_type="image/jpeg")
def attachment_content(attachment_id: int) -> Response:
    """The bytes of a photo or signature of a job you may see."""
    return _send(proof.get_attachment(current_principal(), attachment_id))


def _send(attachment: Attachment) -> Response:
    extension = proof.uploads.EXTENSIONS[attachment.content_type]
    response = send_file(
        proof.content_path(attachment),
        mimetype=attachment.content_type,
        download_name=f"{attachment.kind}-{attachment.id}.{extension}",
        etag=attachment.sha256,
        max_age=3600,
    )
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response
