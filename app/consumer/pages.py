"""Server-rendered consumer pages; plain forms, no JavaScript needed; zh-CN or en."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, make_response, redirect, render_template, request, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.consumer import bp
from app.consumer import service as consumer
from app.consumer.texts import texts
from app.db import transaction
from app.errors import AppError, Gone
from app.extensions import db, limiter
from app.i18n import person_language
from app.jobs.models import Job
from app.network.models import Dealer

DONE = {"booked", "rescheduled", "cancelled"}


def _token_key() -> str:
    return f"link:{request.view_args.get('token', '') if request.view_args else ''}"


def _render(template: str, locale: str, status: int = 200, **context: Any) -> Response:
    page = render_template(
        template,
        t=texts(locale),
        locale=locale,
        lang=locale,
        **context,
    )
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"  # personal data and live availability
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    return response


def _error_page(error: AppError) -> Response:
    locale = person_language()
    phone = None
    if isinstance(error, Gone):
        job = _expired_job()
        if job is not None:
            locale = person_language(job.consumer_locale)
            dealer = db.session.get(Dealer, job.dealer_id) if job.dealer_id else None
            phone = dealer.phone if dealer else None
        # A rating link is not a booking link: its page says how to get a new rating link.
        kind = "feedback_expired" if request.path.startswith("/f/") else "expired"
        return _render("consumer/message.html", locale, 410, kind=kind, phone=phone)
    if error.status == 404:
        return _render("consumer/message.html", locale, 404, kind="invalid")
    raise error


def _expired_job() -> Job | None:
    """The job of an expired (but genuine) link, to show the dealer's phone number."""
    from flask import current_app

    token = (request.view_args or {}).get("token", "")
    purpose = "feedback" if request.path.startswith("/f/") else "book"
    serializer = URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=f"consumer-{purpose}"
    )
    try:
        job_id = serializer.loads(token)  # no max_age: the signature is what matters here
    except BadSignature:
        return None
    return db.session.get(Job, job_id) if isinstance(job_id, int) else None


@bp.errorhandler(AppError)
def _app_error(error: AppError) -> Response:
    return _error_page(error)


@bp.errorhandler(429)
def _too_many(_: Exception) -> Response:
    return _render("consumer/message.html", person_language(), 429, kind="slow")


@bp.get("/b/<token>")
@limiter.limit("60/minute")
def booking(token: str) -> Response:
    """The booking page."""
    job = consumer.job_from_token(token, "book")
    locale = person_language(job.consumer_locale)
    page = consumer.booking_page(job, locale)
    done = request.args.get("done")
    return _render(
        "consumer/booking.html", locale, page=page, token=token, done=done if done in DONE else None
    )


def _act(token: str, action: Callable[[Job], str], refused: tuple[int, ...]) -> Response:
    """Run a booking action; when refused, show the page again (409) with fresh times."""
    job = consumer.job_from_token(token, "book")
    locale = person_language(job.consumer_locale)
    try:
        with transaction():
            done = action(job)
    except AppError as error:
        if error.status not in refused:
            raise
        db.session.rollback()
        job = consumer.job_from_token(token, "book")
        page = consumer.booking_page(job, locale)
        return _render("consumer/booking.html", locale, 409, page=page, token=token, problem=error)
    return redirect(url_for("consumer.booking", token=token, done=done), 303)  # type: ignore[return-value]


@bp.post("/b/<token>/book")
@limiter.limit("30/minute")
@limiter.limit("20/hour", key_func=_token_key)
def book(token: str) -> Response:
    """Book or move to the chosen window."""
    window = request.form.get("window_start", "")
    # The window already booked changes nothing: back to the page, no "moved" banner.
    return _act(token, lambda job: consumer.book(job, window), (409, 422))


@bp.post("/b/<token>/cancel")
@limiter.limit("30/minute")
@limiter.limit("20/hour", key_func=_token_key)
def cancel(token: str) -> Response:
    """Release the booked window."""

    def release(job: Job) -> str:
        consumer.cancel(job)
        return "cancelled"

    return _act(token, release, (404, 409))


@bp.route("/f/<token>", methods=["GET", "POST"])
@limiter.limit("30/minute")
def feedback(token: str) -> Response:
    """Rate a completed visit (once)."""
    job = consumer.job_from_token(token, "feedback")
    locale = person_language(job.consumer_locale)
    if request.method == "GET":
        existing = consumer.existing_feedback(job)
        return _render("consumer/feedback.html", locale, job=job, existing=existing, token=token)
    rating = request.form.get("rating", "")
    try:
        with transaction():
            consumer.leave_feedback(
                job,
                int(rating) if rating.isascii() and rating.isdigit() and len(rating) < 3 else 0,
                request.form.get("comment", ""),
            )
    except AppError as error:
        db.session.rollback()
        status = 422 if error.status == 422 else 409
        existing = consumer.existing_feedback(job)
        return _render(
            "consumer/feedback.html",
            locale,
            status,
            job=job,
            existing=existing,
            token=token,
            problem=error,
        )
    return _render("consumer/message.html", locale, kind="thanks")
