"""Goods received at the dealer, as an installer scans or types the order code on the phone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import exists, select

from app.auth.service import Principal
from app.errors import Conflict, NotFound
from app.extensions import db
from app.jobs import orders
from app.jobs.models import Job, Order


@dataclass
class Received:
    order: Order
    already: bool


def _orders_of_dealer(code: str, dealer_id: int) -> list[Order]:
    """Orders of the installer's dealer with that code: the brand's order id printed on the
    delivery note and label, or `#<id>`, the platform's number."""
    stmt = select(Order).where(
        exists(select(Job.id).where(Job.order_id == Order.id, Job.dealer_id == dealer_id))
    )
    code = code.strip()
    if code.startswith("#") and code[1:].isdigit():
        stmt = stmt.where(Order.id == int(code[1:]))
    else:
        stmt = stmt.where(Order.external_id == code)
    return list(db.session.scalars(stmt.order_by(Order.id).limit(2)))


def receive_by_code(principal: Principal, code: str) -> Received:
    """Mark the goods of the order with that code received (again: changes nothing)."""
    assert principal.dealer_id is not None
    found = _orders_of_dealer(code, principal.dealer_id)
    if not found:
        raise NotFound(
            f"No order {code!r} of your dealer. Scan the code on the delivery note, or type "
            "the order number as printed (e.g. OAK-1001) or #<number>.",
            code="order_not_found",
        )
    if len(found) > 1:
        raise Conflict(
            f"Several brands' orders are numbered {code!r}: type # and the platform number "
            f"instead (e.g. #{found[0].id}).",
            code="order_ambiguous",
            order_ids=[o.id for o in found],
        )
    order = found[0]
    orders.lock_order(order)
    changed = orders.receive_goods(order, principal.actor)
    return Received(order, already=not changed)


def received_out(result: Received) -> dict[str, Any]:
    order = result.order
    first = order.visits[0]
    return {
        "order_id": order.id,
        "external_id": order.external_id,
        "received_at": order.goods_received_at,
        "already": result.already,
        "consumer_name": first.consumer_name,
        "items": first.items,
        "visits": len(order.visits),
    }
