"""The dispatcher's pages: a day's routes on a map and a timeline, re-plan on demand."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Response, redirect, render_template, request, url_for

from app.auth.enums import Role
from app.auth.scoping import get_visible, visible
from app.auth.service import Principal
from app.auth.web import check_csrf, error_page, page_login_required
from app.db import transaction, utcnow
from app.dispatch import drawing
from app.dispatch import pages_bp as bp
from app.dispatch.planning.read import plan_view
from app.dispatch.planning.service import request_day
from app.dispatch.texts import texts
from app.errors import AppError, NotFound
from app.extensions import db
from app.i18n import person_language
from app.jobs import orders
from app.network.models import Dealer
from app.scheduling.windows import local_today

DISPATCHERS = (Role.DEALER, Role.ADMIN)
bp.register_error_handler(AppError, error_page)


def _page(template: str, **context: Any) -> Response:
    lang = person_language()
    response = Response(render_template(template, t=texts(lang), **context))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
@page_login_required(*DISPATCHERS)
def index(principal: Principal) -> Response:
    """Send a dealer to today's plan; list dealers for an admin."""
    if principal.dealer_id is not None:
        dealer = get_visible(Dealer, principal.dealer_id, principal)
        today = local_today(dealer.timezone, utcnow())
        return redirect(url_for(".day", dealer_id=dealer.id, day=today))  # type: ignore[return-value]
    dealers = list(db.session.scalars(visible(Dealer, principal).order_by(Dealer.id)))
    days = {d.id: local_today(d.timezone, utcnow()) for d in dealers}
    return _page("dispatch/index.html", dealers=dealers, days=days)


@bp.get("/<int:dealer_id>/<date:day>")
@page_login_required(*DISPATCHERS)
def day(dealer_id: int, day: date, principal: Principal) -> Response:
    """Draw the day's plan: routes on a map, each route's timeline, jobs not planned."""
    dealer = get_visible(Dealer, dealer_id, principal)
    lang = person_language()
    version = request.args.get("version", type=int)
    try:
        view = plan_view(dealer, day, version)
    except NotFound:
        if version is not None:
            raise
        view = None
    return _page(
        "dispatch/day.html",
        dealer=dealer,
        day=day,
        view=view,
        map=drawing.day_map(view, lang) if view else None,
        timeline=drawing.timeline(view, lang) if view else None,
        colour=drawing.colour,
        previous_day=day - timedelta(days=1),
        next_day=day + timedelta(days=1),
        today=local_today(dealer.timezone, utcnow()),
        requested=request.args.get("done") == "requested",
    )


@bp.post("/<int:dealer_id>/<date:day>/plan")
@page_login_required(*DISPATCHERS)
def replan(dealer_id: int, day: date, principal: Principal) -> Response:
    """Ask for a new plan of the day (the scheduler runs it within seconds)."""
    check_csrf()
    with transaction():
        dealer = get_visible(Dealer, dealer_id, principal)
        request_day(dealer, day, principal.actor)
    return redirect(url_for(".day", dealer_id=dealer_id, day=day, done="requested"))  # type: ignore[return-value]


@bp.get("/<int:dealer_id>/goods")
@page_login_required(*DISPATCHERS)
def goods(dealer_id: int, principal: Principal) -> Response:
    """The dealer's orders waiting for goods, longest wait first, to mark received."""
    dealer = get_visible(Dealer, dealer_id, principal)
    waiting = orders.search_orders(principal, {"waiting": "goods", "dealer_id": dealer.id})
    return _page(
        "dispatch/goods.html",
        dealer=dealer,
        orders=list(db.session.scalars(waiting.limit(200))),
        today=local_today(dealer.timezone, utcnow()),
        received=request.args.get("received"),
    )


@bp.post("/<int:dealer_id>/goods/<int:order_id>/received")
@page_login_required(*DISPATCHERS)
def goods_received(dealer_id: int, order_id: int, principal: Principal) -> Response:
    """Mark an order's goods received (marking them again changes nothing)."""
    check_csrf()
    with transaction():
        dealer = get_visible(Dealer, dealer_id, principal)
        order = orders.get_order(principal, order_id)
        if all(visit.dealer_id != dealer.id for visit in order.visits):
            raise NotFound(f"Order {order_id} not found.")
        orders.lock_order(order)
        orders.receive_goods(order, principal.actor)
        external_id = order.external_id
    return redirect(url_for(".goods", dealer_id=dealer_id, received=external_id))  # type: ignore[return-value]
