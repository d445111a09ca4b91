"""Scheduled work of the auth domain."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from app.auth.models import InstallerCode, InstallerInvite
from app.db import transaction, utcnow
from app.extensions import db

# Codes are dead after minutes; a day keeps them for the per-number limits and for support.
KEEP_CODES = timedelta(days=1)
KEEP_EXPIRED_INVITES = timedelta(days=7)


def purge_sign_in_records() -> int:
    """Delete old sign-in codes and long-expired invites; return how many rows went."""
    now = utcnow()
    with transaction():
        codes = db.session.execute(
            delete(InstallerCode).where(InstallerCode.created_at < now - KEEP_CODES)
        )
        invites = db.session.execute(
            delete(InstallerInvite).where(InstallerInvite.expires_at < now - KEEP_EXPIRED_INVITES)
        )
    return int(getattr(codes, "rowcount", 0) or 0) + int(getattr(invites, "rowcount", 0) or 0)
