"""What a consumer may do from their link: see the job, book, reschedule, cancel, rate."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import groupby

from sqlalchemy.exc import IntegrityError

from app.auth.links import read_token
from app.auth.service import Actor
from app.db import utcnow
from app.errors import Conflict, NotFound, Unprocessable
from app.extensions import db
from app.jobs.enums import JobStatus
from app.jobs.models import Feedback, Job
from app.jobs.service import existing_feedback
from app.network.models import Brand, Dealer
from app.scheduling import service as scheduling
from app.scheduling.availability import WindowOption
from app.scheduling.dependencies import DependencyNotBooked, GoodsNotReady

VISIT_UNDER_WAY = {JobStatus.EN_ROUTE, JobStatus.ON_SITE, JobStatus.IN_PROGRESS}


def job_from_token(token: str, purpose: str) -> Job:
    """The job a signed link points to (410 when expired, 404 when not valid)."""
    job = db.session.get(Job, read_token(token, purpose))
    if job is None:
        raise NotFound("This link is not valid.", code="link_invalid")
    return job


def consumer(job: Job) -> Actor:
    """The consumer, as written in the job's event log."""
    return Actor("consumer", f"link:{job.id}")


@dataclass
class Day:
    label: str
    options: list[WindowOption]


@dataclass
class BookingPage:
    job: Job
    brand_name: str
    dealer: Dealer | None
    # no_dealer | waiting_goods | waiting_prior | pick | booked | en_route | on_site |
    # in_progress | completed | cancelled
    state: str
    booked_label: str | None = None
    can_change: bool = False
    cutoff_hours: int = 0
    days: list[Day] = field(default_factory=list)
    # The goods' expected day and the first day offered, while they are on their way.
    goods_expected: tuple[date, date] | None = None


def booking_page(job: Job, locale: str) -> BookingPage:
    """Everything the booking page shows for a job right now."""
    status = JobStatus(job.status)
    dealer = db.session.get(Dealer, job.dealer_id) if job.dealer_id else None
    brand = db.session.get(Brand, job.brand_id)
    page = BookingPage(job=job, brand_name=brand.name if brand else "", dealer=dealer, state="pick")
    if status is JobStatus.CANCELLED:
        page.state = "cancelled"
    elif status is JobStatus.COMPLETED:
        page.state = "completed"
    elif status in VISIT_UNDER_WAY:
        page.state = str(status)
    elif dealer is None:
        page.state = "no_dealer"
    else:
        booking = job.booking
        page.cutoff_hours = dealer.change_cutoff_hours
        if booking is not None:
            page.state = "booked"
            page.booked_label = _label(booking.window_start, booking.window_end, job, locale)
            page.can_change = utcnow() < scheduling.change_cutoff(booking, dealer)
        if booking is None or page.can_change:
            try:
                page.days = _days(job, locale)
            except GoodsNotReady:
                page.state = "waiting_goods" if booking is None else page.state
            except DependencyNotBooked:
                page.state = "waiting_prior" if booking is None else page.state
            order = job.order
            if job.needs_goods and order.goods_received_at is None and order.goods_expected_on:
                on = order.goods_expected_on
                page.goods_expected = (on, on + timedelta(days=1))
    return page


def _label(start: datetime, end: datetime, job: Job, locale: str) -> str:
    from zoneinfo import ZoneInfo

    from app.scheduling.windows import Window

    zone = ZoneInfo(job.timezone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    window = Window(
        start, end, local_start.date(), local_start.time(), local_end.time(), job.timezone
    )
    return window.label(locale)


def _days(job: Job, locale: str) -> list[Day]:
    options = scheduling.windows_for_job(job)
    days = []
    for _, group in groupby(options, key=lambda o: o.window.local_date):
        found = list(group)
        label = found[0].window.label(locale).rsplit(" ", 1)[0]  # the date part of the label
        days.append(Day(label=label, options=found))
    return days


def book(job: Job, window_start: str) -> str:
    """Book or move the job to the chosen window: "booked", "rescheduled" or "unchanged"."""
    try:
        start = datetime.fromisoformat(window_start)
    except ValueError as error:
        raise Unprocessable("Choose one of the listed times.", code="bad_window") from error
    if start.tzinfo is None:
        raise Unprocessable("Choose one of the listed times.", code="bad_window")
    unchanged = job.booking is not None and job.booking.window_start == start
    _, replaced = scheduling.book(job, start, consumer(job))
    return "unchanged" if unchanged else "rescheduled" if replaced else "booked"


def cancel(job: Job) -> None:
    """Release the booked window (the job waits for a new one)."""
    scheduling.cancel_booking(job, consumer(job))


def leave_feedback(job: Job, rating: int, comment: str) -> Feedback:
    """Record the consumer's rating of a completed job, once."""
    if JobStatus(job.status) is not JobStatus.COMPLETED:
        raise Conflict("The visit is not completed yet.", code="not_completed")
    if not 1 <= rating <= 5:
        raise Unprocessable("Choose 1 to 5 stars.", fields={"rating": ["1 to 5"]})
    if existing_feedback(job) is not None:
        raise Conflict("This visit was already rated.", code="already_rated")
    feedback = Feedback(
        job_id=job.id, dealer_id=job.dealer_id, rating=rating, comment=comment[:1000]
    )
    try:
        with db.session.begin_nested():
            db.session.add(feedback)
    except IntegrityError as error:
        raise Conflict("This visit was already rated.", code="already_rated") from error
    return feedback
