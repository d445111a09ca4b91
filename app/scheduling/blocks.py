"""Capacity blocks: a dealer holds back an installer's (or every installer's) time."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.db import utcnow
from app.errors import Conflict, NotFound, Unprocessable
from app.extensions import db
from app.network.models import Dealer, Installer
from app.network.signals import crew_changed
from app.scheduling.models import Booking, CapacityBlock
from app.scheduling.service import lock_installer_days
from app.scheduling.windows import local_today


def add_block(dealer: Dealer, fields: dict[str, Any]) -> CapacityBlock:
    """Hold back capacity; refused while bookings fall inside the blocked time."""
    installer_id = fields.get("installer_id")
    if installer_id is not None:
        installer = db.session.get(Installer, installer_id)
        if installer is None or installer.dealer_id != dealer.id:
            raise Unprocessable(
                f"Installer {installer_id} does not work for dealer {dealer.id}.",
                fields={"installer_id": ["not an installer of this dealer"]},
            )
        affected = [installer_id]
    else:
        affected = list(
            db.session.scalars(select(Installer.id).where(Installer.dealer_id == dealer.id))
        )
    first = local_today(dealer.timezone, fields["starts_at"])
    last = local_today(dealer.timezone, fields["ends_at"])
    day = first
    while day <= last:
        lock_installer_days(affected, day)
        day += timedelta(days=1)
    clashes = list(
        db.session.scalars(
            select(Booking).where(
                Booking.installer_id.in_(affected),
                Booking.window_start < fields["ends_at"],
                Booking.window_end > fields["starts_at"],
            )
        )
    )
    if clashes:
        raise Conflict(
            "Bookings fall inside that time; move or cancel them first.",
            code="bookings_in_block",
            job_ids=sorted(b.job_id for b in clashes),
        )
    block = CapacityBlock(dealer_id=dealer.id, **fields)
    db.session.add(block)
    db.session.flush()
    _block_changed(block, "block")
    return block


def list_blocks(dealer: Dealer, *, since: datetime | None = None) -> list[CapacityBlock]:
    """List a dealer's blocks that have not ended."""
    since = since or utcnow()
    return list(
        db.session.scalars(
            select(CapacityBlock)
            .where(CapacityBlock.dealer_id == dealer.id, CapacityBlock.ends_at > since)
            .order_by(CapacityBlock.starts_at, CapacityBlock.id)
        )
    )


def delete_block(dealer: Dealer, block_id: int) -> None:
    """Release a block."""
    block = db.session.get(CapacityBlock, block_id)
    if block is None or block.dealer_id != dealer.id:
        raise NotFound(f"Block {block_id} not found.")
    db.session.delete(block)
    db.session.flush()
    _block_changed(block, "block_removed")


def _block_changed(block: CapacityBlock, what: str) -> None:
    """Tell the planner which days a block touches (one installer's, or the whole dealer's)."""
    who = f"installer {block.installer_id}" if block.installer_id else f"dealer {block.dealer_id}"
    crew_changed.send(
        block.dealer_id,
        installer_id=block.installer_id,
        period=(block.starts_at, block.ends_at),
        weekdays=None,
        reason=f"{what} {who}",
    )
