"""Photos and signatures of a job: accept once, list, and hand out only to who may see the job."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from flask import current_app
from sqlalchemy import func, select

from app.auth.service import Principal
from app.errors import Conflict, NotFound, Unprocessable
from app.extensions import db
from app.field import uploads
from app.field.enums import AttachmentKind
from app.field.models import Attachment
from app.field.service import get_job
from app.jobs import service as jobs
from app.jobs.enums import JobStatus
from app.jobs.models import Job

# Proof is taken on the way, on site and while working; not before, not after.
ACCEPTS_UPLOADS = frozenset({JobStatus.EN_ROUTE, JobStatus.ON_SITE, JobStatus.IN_PROGRESS})


def add_attachment(
    principal: Principal,
    job_id: int,
    *,
    kind: str,
    stream: IO[bytes],
    declared_type: str | None,
    client_upload_id: str | None,
) -> tuple[Attachment, bool]:
    """Store an installer's photo or signature for their job; return it and whether it is new."""
    # A retried upload (same client_upload_id, or the same bytes for the same job and kind)
    # answers with the first one instead of storing it twice.
    job = get_job(principal, job_id, lock=True)
    if client_upload_id is not None:
        earlier = db.session.scalar(
            select(Attachment).where(Attachment.client_upload_id == client_upload_id)
        )
        if earlier is not None:
            if earlier.job_id != job.id or earlier.kind != kind:
                raise Unprocessable(
                    "This client_upload_id was already used for another upload.",
                    code="client_upload_id_reused",
                    fields={"client_upload_id": ["already used"]},
                )
            return earlier, False
    data = uploads.read_limited(stream, int(current_app.config["MAX_UPLOAD_BYTES"]))
    inspected = uploads.inspect_image(data, declared_type)
    same = db.session.scalar(
        select(Attachment).where(
            Attachment.job_id == job.id,
            Attachment.kind == kind,
            Attachment.sha256 == inspected.sha256,
        )
    )
    if same is not None:
        return same, False
    _check_open(job, kind)
    uploads.store(data, inspected)
    attachment = Attachment(
        job_id=job.id,
        kind=kind,
        sha256=inspected.sha256,
        content_type=inspected.content_type,
        size=inspected.size,
        width=inspected.width,
        height=inspected.height,
        client_upload_id=client_upload_id,
        installer_id=principal.installer_id,
    )
    db.session.add(attachment)
    db.session.flush()
    jobs.record_event(
        job,
        "attachment_added",
        principal.actor,
        payload={"attachment_id": attachment.id, "kind": kind, "sha256": inspected.sha256},
    )
    db.session.flush()
    return attachment, True


def _check_open(job: Job, kind: str) -> None:
    if JobStatus(job.status) not in ACCEPTS_UPLOADS:
        raise Conflict(
            f"Job {job.id} is {job.status}; photos and signatures are taken while it is "
            "en_route, on_site or in_progress.",
            code="not_accepting_uploads",
            current_status=job.status,
        )
    limit = int(current_app.config["FIELD_MAX_PHOTOS"]) if kind == AttachmentKind.PHOTO else 5
    count = db.session.scalar(
        select(func.count())
        .select_from(Attachment)
        .where(Attachment.job_id == job.id, Attachment.kind == kind)
    )
    if (count or 0) >= limit:
        raise Conflict(
            f"Job {job.id} already has {limit} uploads of kind {kind}.", code="too_many_uploads"
        )


def job_attachments(job: Job) -> list[Attachment]:
    """A job's photos and signatures, oldest first."""
    return list(
        db.session.scalars(
            select(Attachment).where(Attachment.job_id == job.id).order_by(Attachment.id)
        )
    )


def get_attachment(principal: Principal, attachment_id: int) -> Attachment:
    """Load an attachment of a job the principal may see (anyone else: 404)."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound(f"Attachment {attachment_id} not found.")
    try:
        jobs.get_job(principal, attachment.job_id)
    except NotFound as error:
        raise NotFound(f"Attachment {attachment_id} not found.") from error
    return attachment


def content_path(attachment: Attachment) -> Path:
    """Where an attachment's bytes are on disk."""
    path = uploads.blob_path(attachment.sha256, attachment.content_type)
    if not path.is_file():
        raise NotFound(f"The content of attachment {attachment.id} is missing.")
    return path
