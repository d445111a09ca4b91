"""Scheduling's reactions to jobs and installers: a cancellation says whether it came after
the booking's change cutoff, a cancelled job frees its window, and a change to an installer
names the booked jobs it puts at risk."""

from __future__ import annotations

from typing import Any

from app.db import utcnow
from app.jobs.models import Job
from app.jobs.signals import job_cancelled, job_cancelling
from app.network.models import Installer
from app.network.signals import jobs_at_risk
from app.scheduling.risk import jobs_at_risk as find_jobs_at_risk
from app.scheduling.service import passed_cutoff, release_booking


def _late_facts(job: Job, **_: Any) -> dict[str, Any]:
    """An order cancelled is never refused (the visit must not happen), but a cancellation
    inside the dealer's change cutoff is marked `late` in the event, for the dealer and SLA."""
    if (cutoff := passed_cutoff(job, utcnow())) is not None:
        return {"late": True, "cutoff": cutoff.isoformat()}
    return {}


def _on_cancelled(job: Job, **_: Any) -> None:
    release_booking(job)


def _at_risk(installer: Installer, during: Any = None, **_: Any) -> list[int]:
    return find_jobs_at_risk(installer, during=during)


def connect() -> None:
    """Subscribe the booking to cancellations and installer changes (once per process)."""
    job_cancelling.connect(_late_facts, weak=False)
    job_cancelled.connect(_on_cancelled, weak=False)
    jobs_at_risk.connect(_at_risk, weak=False)
