"""Windows and bookings for brands (on a consumer's behalf) and dealer dispatchers."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, jsonify

from app.auth.decorators import current_principal, require_role
from app.auth.enums import Role
from app.auth.scoping import get_visible
from app.db import transaction
from app.jobs import service as jobs
from app.jobs.models import Job
from app.network.models import Dealer
from app.network.service import get_dealer
from app.scheduling import blocks, blp, dispatching
from app.scheduling import service as scheduling
from app.scheduling.availability import WindowOption
from app.scheduling.models import Booking
from app.scheduling.schemas import (
    BlockInputSchema,
    BlockSchema,
    BookingInputSchema,
    BookingSchema,
    DayArgsSchema,
    DaySchema,
    DispatchDaySchema,
    MoveInputSchema,
    WindowArgsSchema,
    WindowListSchema,
)
from app.scheduling.windows import Window

BOOKERS = (Role.ADMIN, Role.BRAND, Role.DEALER)
DISPATCH = (Role.ADMIN, Role.DEALER)


def window_out(option: WindowOption, locale: str) -> dict[str, Any]:
    """Describe a window option for the API and the booking page."""
    start, end = option.window.local()
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "date": option.window.local_date,
        "label": option.window.label(locale),
        "installers": len(option.placements),
        "score": option.extra_travel_minutes,
    }


def booking_out(booking: Booking, job: Job, zone: str) -> dict[str, Any]:
    """Describe a booking with local times."""
    tz = ZoneInfo(zone)
    start, end = booking.window_start.astimezone(tz), booking.window_end.astimezone(tz)
    window = Window(
        booking.window_start, booking.window_end, booking.local_date, start.time(), end.time(), zone
    )
    return {
        "id": booking.id,
        "job_id": booking.job_id,
        "dealer_id": booking.dealer_id,
        "installer_id": booking.installer_id,
        "window_start": start.isoformat(),
        "window_end": end.isoformat(),
        "local_date": booking.local_date,
        "label": window.label(job.consumer_locale),
        "sequence": booking.sequence,
        "estimated_start": booking.estimated_start.astimezone(tz).isoformat(),
        "created_at": booking.created_at,
    }


def _job(job_id: int) -> Job:
    return jobs.get_job(current_principal(), job_id)


def _zone(job: Job) -> str:
    return get_dealer(job.dealer_id).timezone if job.dealer_id else job.timezone


@blp.route("/jobs/<int:job_id>/windows", methods=["GET"])
@require_role(*BOOKERS)
@blp.arguments(WindowArgsSchema, location="query")
@blp.response(200, WindowListSchema)
def list_windows(args: dict[str, Any], job_id: int) -> Any:
    """Windows the job can be booked in, in time order, with how many installers can take each."""
    job = _job(job_id)
    scheduling.check_bookable(job)
    found = scheduling.windows_for_job(job, first=args["from_"], count=args["days"])
    return {
        "job_id": job.id,
        "timezone": _zone(job),
        "windows": [window_out(o, job.consumer_locale) for o in found],
    }


@blp.route("/jobs/<int:job_id>/booking", methods=["POST"])
@require_role(*BOOKERS)
@blp.arguments(BookingInputSchema)
@blp.response(201, BookingSchema)
@blp.alt_response(
    200, schema=BookingSchema, description="Rescheduled: the earlier booking was replaced"
)
def create_booking(args: dict[str, Any], job_id: int) -> Response:
    """Book the job into a window (or reschedule it); 409 with alternatives when it is taken."""
    principal = current_principal()
    with transaction():
        job = _job(job_id)
        booking, rescheduled = scheduling.book(job, args["window_start"], principal.actor)
        body = BookingSchema().dump(booking_out(booking, job, _zone(job)))
    response = jsonify(body)
    response.status_code = 200 if rescheduled else 201
    return response


@blp.route("/jobs/<int:job_id>/booking", methods=["GET"])
@require_role(*BOOKERS)
@blp.response(200, BookingSchema)
def get_booking(job_id: int) -> Any:
    """Read the job's booking."""
    job = _job(job_id)
    if job.booking is None:
        from app.errors import NotFound

        raise NotFound(f"Job {job.id} has no booking.")
    return booking_out(job.booking, job, _zone(job))


@blp.route("/jobs/<int:job_id>/booking", methods=["DELETE"])
@require_role(*BOOKERS)
@blp.response(204)
def delete_booking(job_id: int) -> None:
    """Cancel the booking (not the job): the window is released and the job waits for a new one."""
    principal = current_principal()
    with transaction():
        scheduling.cancel_booking(_job(job_id), principal.actor)


@blp.route("/jobs/<int:job_id>/booking/move", methods=["POST"])
@require_role(*DISPATCH)
@blp.arguments(MoveInputSchema)
@blp.response(200, BookingSchema)
def move_booking(args: dict[str, Any], job_id: int) -> Any:
    """Give the booked job to another installer in the same window (same rules as booking)."""
    principal = current_principal()
    with transaction():
        job = _job(job_id)
        booking = scheduling.move_booking(job, args["installer_id"], principal.actor)
        return booking_out(booking, job, _zone(job))


def _dealer(dealer_id: int) -> Dealer:
    return get_visible(Dealer, dealer_id, current_principal())


@blp.route("/dealers/<int:dealer_id>/bookings", methods=["GET"])
@require_role(*DISPATCH)
@blp.arguments(DayArgsSchema, location="query")
@blp.response(200, DaySchema)
def day_bookings(args: dict[str, Any], dealer_id: int) -> Any:
    """A day's bookings per installer, in route order."""
    dealer = _dealer(dealer_id)
    rows = scheduling.dealer_day(dealer, args["date"])
    job_ids = [b.job_id for _, bookings in rows for b in bookings]
    by_id = {j.id: j for j in jobs.jobs_by_ids(job_ids)}
    return {
        "dealer_id": dealer.id,
        "date": args["date"],
        "installers": [
            {
                "installer_id": installer.id,
                "name": installer.name,
                "max_jobs_per_day": installer.max_jobs_per_day,
                "bookings": [booking_out(b, by_id[b.job_id], dealer.timezone) for b in bookings],
            }
            for installer, bookings in rows
        ],
    }


@blp.route("/dealers/<int:dealer_id>/blocks", methods=["POST"])
@require_role(*DISPATCH)
@blp.arguments(BlockInputSchema)
@blp.response(201, BlockSchema)
def add_block(args: dict[str, Any], dealer_id: int) -> Any:
    """Hold back capacity (one installer, or the whole dealer) for a period."""
    with transaction():
        return blocks.add_block(_dealer(dealer_id), args)


@blp.route("/dealers/<int:dealer_id>/blocks", methods=["GET"])
@require_role(*DISPATCH)
@blp.response(200, BlockSchema(many=True))
def list_blocks(dealer_id: int) -> Any:
    """List blocks that have not ended."""
    return blocks.list_blocks(_dealer(dealer_id))


@blp.route("/dealers/<int:dealer_id>/blocks/<int:block_id>", methods=["DELETE"])
@require_role(*DISPATCH)
@blp.response(204)
def delete_block(dealer_id: int, block_id: int) -> None:
    """Release a block."""
    with transaction():
        blocks.delete_block(_dealer(dealer_id), block_id)


@blp.route("/dealers/<int:dealer_id>/dispatch", methods=["POST"])
@require_role(*DISPATCH)
@blp.arguments(DayArgsSchema, location="query")
@blp.response(200, DispatchDaySchema)
def dispatch_day(args: dict[str, Any], dealer_id: int) -> Any:
    """Dispatch the day's scheduled jobs to their installers' phones, in route order."""
    principal = current_principal()
    with transaction():
        dispatched = dispatching.dispatch_day(_dealer(dealer_id), args["date"], principal.actor)
    return {"dealer_id": dealer_id, "date": args["date"], "dispatched": dispatched}
