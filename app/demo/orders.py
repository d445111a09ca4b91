"""Door orders delivered, then installed a day later (送装一体): some waiting for goods not
announced yet, some with goods on their way, some with goods at the dealer and the delivery
booked, so the install can be chosen."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.auth.service import Actor
from app.demo.jobs import TIMEZONE, job_fields
from app.errors import AppError
from app.geo.geocoding import OfflineGazetteer
from app.jobs import orders
from app.network.models import Brand
from app.scheduling import service as scheduling

ORDERS = 9
DELIVERY = {"kind": "delivery", "required_skills": ["delivery"], "duration_minutes": 30}
INSTALL = {
    "kind": "install",
    "required_skills": ["door_install"],
    "duration_minutes": 90,
    "after": 1,
    "min_gap_hours": 24,
}


def seed_orders(rng: random.Random, brand: Brand, spec: Any, now: datetime) -> int:
    """Create the demo's door orders of two visits; return how many."""
    streets = OfflineGazetteer().street_names()
    brand_actor = Actor("brand", f"{brand.id}/demo")
    today = now.astimezone(ZoneInfo(TIMEZONE)).date()
    for n in range(ORDERS):
        fields = job_fields(rng, 9000 + n, spec, streets)
        for key in ("kind", "required_skills", "duration_minutes"):
            fields.pop(key)
        fields["external_id"] = f"{spec.code.upper()}-SO-{n + 1:03d}"
        stage = n % 3
        if stage == 1:
            fields["goods_expected_on"] = today + timedelta(days=2)
        order = orders.create_order(
            brand.id, {**fields, "visits": [DELIVERY, INSTALL]}, brand_actor
        )
        delivery = order.visits[0]
        if stage != 2 or delivery.dealer_id is None:
            continue
        orders.receive_goods(order, Actor("dealer", f"{delivery.dealer_id}/demo"))
        try:
            offers = scheduling.windows_for_job(delivery, count=3)
            if offers:
                scheduling.book(delivery, offers[0].window.start, Actor("consumer", "demo"))
        except AppError:
            continue  # no capacity near this address: the order waits, as a real one would
    return ORDERS
