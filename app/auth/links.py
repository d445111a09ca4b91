"""Signed consumer links: bound to one job and one purpose, expiring, tamper-evident."""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.errors import Gone, NotFound

# How long each kind of link works.
MAX_AGE = {"book": 21 * 86400, "feedback": 30 * 86400}


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    # The purpose is the salt: a booking link cannot be replayed as a feedback link.
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"consumer-{purpose}")


def make_token(job_id: int, purpose: str) -> str:
    """Sign a link token for one job and purpose."""
    if purpose not in MAX_AGE:
        raise ValueError(f"unknown link purpose {purpose!r}")
    return _serializer(purpose).dumps(job_id)


def read_token(token: str, purpose: str) -> int:
    """Return the job id of a valid token; expired → Gone (410), anything else → NotFound (404)."""
    try:
        job_id = _serializer(purpose).loads(token, max_age=MAX_AGE[purpose])
    except SignatureExpired as error:
        raise Gone("This link has expired.", code="link_expired") from error
    except BadSignature as error:
        raise NotFound("This link is not valid.", code="link_invalid") from error
    if not isinstance(job_id, int):
        raise NotFound("This link is not valid.", code="link_invalid")
    return job_id


def link_url(job_id: int, purpose: str) -> str:
    """Return the absolute consumer URL for a job and purpose."""
    prefix = {"book": "b", "feedback": "f"}[purpose]
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return f"{base}/{prefix}/{make_token(job_id, purpose)}"
