"""Order endpoints: a brand pushes an order with its visits, adds after-sales visits, says
when the goods arrive; the dealer marks them received; both read orders and their visits."""

from __future__ import annotations

from typing import Any

from flask import Response

from app.auth.decorators import current_principal, require_role
from app.auth.enums import Role
from app.auth.service import Principal
from app.db import transaction
from app.jobs import blp
from app.jobs import orders as order_rules
from app.jobs.enums import OrderStatus
from app.jobs.idempotency import IDEMPOTENCY_KEY_DOC, intake_response
from app.jobs.models import Order
from app.jobs.order_schemas import (
    GoodsExpectedSchema,
    OrderCreateSchema,
    OrderListArgsSchema,
    OrderSchema,
    VisitsAddSchema,
)
from app.pagination import page_schema, paginate

ANY_TENANT = (Role.ADMIN, Role.BRAND, Role.DEALER)


def order_out(order: Order, principal: Principal) -> dict[str, Any]:
    """The order as its reader may see it: a dealer sees the visits it was given."""
    visits = order.visits
    if principal.role is Role.DEALER:
        visits = [v for v in visits if v.dealer_id == principal.dealer_id]
    status = order_rules.order_status(order)
    waiting = status is OrderStatus.WAITING_FOR_GOODS
    return {
        "id": order.id,
        "brand_id": order.brand_id,
        "external_id": order.external_id,
        "status": str(status),
        "goods": {
            "status": str(order_rules.goods_status(order)),
            "expected_on": order.goods_expected_on,
            "received_at": order.goods_received_at,
            "waiting_since": order.created_at if waiting else None,
        },
        "visits": visits,
        "created_at": order.created_at,
    }


@blp.route("/orders", methods=["POST"])
@require_role(Role.BRAND)
@blp.arguments(OrderCreateSchema)
@blp.response(201, OrderSchema)
@blp.doc(parameters=[IDEMPOTENCY_KEY_DOC])
def create_order(args: dict[str, Any]) -> Response:
    """Push an order with its visits (delivery, install, …) and their dependencies."""
    principal = current_principal()
    assert principal.brand_id is not None
    brand_id = principal.brand_id

    def perform() -> dict[str, Any]:
        order = order_rules.create_order(brand_id, args, principal.actor)
        return OrderSchema().dump(order_out(order, principal))

    return intake_response(brand_id, perform, "/api/v1/orders")


@blp.route("/orders", methods=["GET"])
@require_role(*ANY_TENANT)
@blp.arguments(OrderListArgsSchema, location="query")
@blp.response(200, page_schema(OrderSchema))
def list_orders(args: dict[str, Any]) -> Any:
    """List the orders the caller may see; `waiting=goods`: those waiting for their goods."""
    principal = current_principal()
    page, per_page = args.pop("page"), args.pop("per_page")
    found = paginate(order_rules.search_orders(principal, args), page=page, per_page=per_page)
    found.items = [order_out(order, principal) for order in found.items]
    return found


@blp.route("/orders/<int:order_id>", methods=["GET"])
@require_role(*ANY_TENANT)
@blp.response(200, OrderSchema)
def get_order(order_id: int) -> Any:
    """Read an order with its visits and the state of its goods."""
    principal = current_principal()
    return order_out(order_rules.get_order(principal, order_id), principal)


@blp.route("/orders/<int:order_id>/visits", methods=["POST"])
@require_role(Role.BRAND)
@blp.arguments(VisitsAddSchema)
@blp.response(201, OrderSchema)
def add_visits(args: dict[str, Any], order_id: int) -> Any:
    """Add after-sales visits (repair, inspection, haul-away, a second install) to an order,
    also a completed one; they keep the order's history and re-open its status."""
    principal = current_principal()
    with transaction():
        order = order_rules.get_order(principal, order_id)
        order_rules.lock_order(order)
        order_rules.add_visits(order, args["visits"], principal.actor)
        return order_out(order, principal)


@blp.route("/orders/<int:order_id>/goods", methods=["PATCH"])
@require_role(Role.BRAND)
@blp.arguments(GoodsExpectedSchema)
@blp.response(200, OrderSchema)
def set_goods_expected(args: dict[str, Any], order_id: int) -> Any:
    """Say when the goods should reach the dealer (or null: not known)."""
    principal = current_principal()
    with transaction():
        order = order_rules.get_order(principal, order_id)
        order_rules.lock_order(order)
        order_rules.set_goods_expected(order, args["goods_expected_on"], principal.actor)
        return order_out(order, principal)


@blp.route("/orders/<int:order_id>/goods-received", methods=["POST"])
@require_role(Role.ADMIN, Role.DEALER, Role.INSTALLER)
@blp.response(200, OrderSchema)
def receive_goods(order_id: int) -> Any:
    """The dealer has the goods (the dispatcher page, or an installer scanning the order
    code): visits that need them can be booked now. Marking them again changes nothing."""
    principal = current_principal()
    with transaction():
        order = order_rules.get_order(principal, order_id)
        order_rules.lock_order(order)
        order_rules.receive_goods(order, principal.actor)
        return order_out(order, principal)
