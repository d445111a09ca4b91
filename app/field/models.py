"""Proof of work: photos and signatures, stored on disk by content hash, listed per job."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class Attachment(Base):
    """One uploaded image of a job; the bytes live at UPLOAD_DIR by sha256, never by a name."""

    __tablename__ = "attachments"
    __table_args__ = (UniqueConstraint("job_id", "kind", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    # The phone's id for the upload, so a retried upload is recognised (unique when given).
    client_upload_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    installer_id: Mapped[int | None] = mapped_column(
        ForeignKey("installers.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
