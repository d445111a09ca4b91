"""Dispatch's reactions to jobs: a new job is matched to a dealer, a job that moved again."""

from __future__ import annotations

from typing import Any

from app.dispatch.service import assign_on_intake, rematch
from app.jobs.models import Job
from app.jobs.signals import job_created, job_relocated


def _on_created(job: Job, **_: Any) -> None:
    assign_on_intake(job)


def _on_relocated(job: Job, **_: Any) -> None:
    rematch(job)


def connect() -> None:
    """Subscribe matching to job intake and moves (once per process)."""
    job_created.connect(_on_created, weak=False)
    job_relocated.connect(_on_relocated, weak=False)
