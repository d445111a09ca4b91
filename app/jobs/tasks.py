"""Scheduled work of the jobs domain."""

from app.db import transaction
from app.jobs.idempotency import purge_expired


def purge_idempotency_keys() -> int:
    """Delete Idempotency-Key records past their retention; return how many."""
    with transaction():
        return purge_expired()
