"""Demo installers for the field app: fixed phone numbers and a day of work dispatched to them."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shapely.geometry import Point, shape
from sqlalchemy import select

from app.auth.service import Actor
from app.db import clock_set_to
from app.dispatch import service as dispatch
from app.errors import AppError
from app.extensions import db
from app.geo.geocoding import OfflineGazetteer, geocode_address
from app.jobs import service as jobs
from app.jobs.models import Job
from app.network import service as network
from app.network.models import Brand, BrandDealer, Dealer, Installer
from app.scheduling import service as scheduling
from app.scheduling.dispatching import dispatch_day

TIMEZONE = "Asia/Shanghai"
BRAND_CODE = "nordhaus"  # assigns dealers by hand, so the demo can choose the dealer
# (name, phone): documented in docs/field.md; sign in on /field/ with these numbers.
FIELD_INSTALLERS = [("张建国", "+8613900000001"), ("李志强", "+8613900000002")]
ALL_SKILLS = ["delivery", "furniture_assembly", "door_install", "appliance_install", "electrical"]
TODAY_WINDOWS = [0, 1, 2, 3, 4]  # one job in each of the day's five windows
TOMORROW_WINDOWS = [1, 3]
NOTES = [
    "",
    "电梯可用 lift available",
    "请提前电话联系 call ahead",
    "小区门禁，到后致电 gate code by phone",
]


@dataclass
class _Clock:
    moment: datetime

    def __call__(self) -> datetime:
        return self.moment


def _dealer(brand: Brand) -> Dealer:
    dealer_id = db.session.scalar(
        select(BrandDealer.dealer_id)
        .where(BrandDealer.brand_id == brand.id)
        .order_by(BrandDealer.dealer_id)
        .limit(1)
    )
    dealer = db.session.get(Dealer, dealer_id)
    assert dealer is not None and dealer.area is not None
    return dealer


def _addresses(rng: random.Random, dealer: Dealer) -> list[str]:
    """Street addresses the offline geocoder places inside the dealer's area."""
    area = shape(dealer.area.geometry) if dealer.area else None
    found = []
    for street_zh, _ in OfflineGazetteer().street_names():
        for number in (18, 166, 388, 520, 1088):
            address = f"上海市{street_zh}{number}号"
            try:
                place = geocode_address(address)
            except AppError:
                continue
            if area is not None and area.contains(Point(place.lon, place.lat)):
                found.append(address)
    rng.shuffle(found)
    return found


def _fields(rng: random.Random, serial: int, address: str) -> dict[str, Any]:
    from app.demo.jobs import FAMILY, GIVEN
    from app.demo.service import BRANDS

    spec = next(b for b in BRANDS if b.code == BRAND_CODE)
    kind = rng.choice(["install", "delivery_install"])
    return {
        "external_id": f"NOR-FIELD-{serial:04d}",
        "category": spec.category,
        "kind": kind,
        "required_skills": spec.skills[kind],
        "duration_minutes": rng.choice([45, 60, 90]),
        "items": [
            {
                "sku": f"NOR-{rng.randint(100, 999)}",
                "name": rng.choice(spec.item_names),
                "quantity": 1,
            }
        ],
        "consumer": {
            "name": rng.choice(FAMILY) + rng.choice(GIVEN),
            "phone": f"+86137{rng.randint(10_000_000, 99_999_999)}",
            "locale": "zh-CN" if rng.random() < 0.8 else "en",
        },
        "address": address,
        "timezone": TIMEZONE,
        "notes": rng.choice(NOTES),
    }


def _book(job: Job, installer: Installer, day: date, window: int, dealer_actor: Actor) -> bool:
    """Book the job into the day's n-th window and hand it to the demo installer."""
    options = scheduling.windows_for_job(job, first=day, count=1)
    starts = sorted({o.window.start for o in options})
    if window >= len(starts):
        return False
    try:
        scheduling.book(job, starts[window], Actor("consumer", f"job:{job.id}"))
        if job.installer_id != installer.id:
            scheduling.move_booking(job, installer.id, dealer_actor)
    except AppError:
        return False
    return True


def seed_field(rng: random.Random, now: datetime) -> list[tuple[str, str, int]]:
    """Create the demo installers with today's route dispatched; return (name, phone, jobs)."""
    brand = db.session.scalar(select(Brand).where(Brand.code == BRAND_CODE))
    assert brand is not None
    dealer = _dealer(brand)
    addresses = _addresses(rng, dealer)
    centre = shape(dealer.area.geometry).centroid if dealer.area else None
    today = now.astimezone(ZoneInfo(TIMEZONE)).date()
    brand_actor = Actor("brand", f"{brand.id}/demo")
    dealer_actor = Actor("dealer", f"{dealer.id}/demo")
    every_day = [{"weekday": d, "start_time": time(8), "end_time": time(19)} for d in range(1, 8)]
    summary = []
    serials = itertools.count(1)
    sim = _Clock(now - timedelta(days=3))
    with clock_set_to(sim):
        for name, phone in FIELD_INSTALLERS:
            installer = network.create_installer(
                dealer,
                {
                    "name": name,
                    "phone": phone,
                    "skills": ALL_SKILLS,
                    "home_lat": round(centre.y, 6) if centre else 31.23,
                    "home_lon": round(centre.x, 6) if centre else 121.47,
                    "timezone": TIMEZONE,
                    "max_jobs_per_day": 8,
                    "shifts": every_day,
                },
            )
            booked_today = 0
            plan = [(today, w) for w in TODAY_WINDOWS] + [
                (today + timedelta(days=1), w) for w in TOMORROW_WINDOWS
            ]
            for day, window in plan:
                if not addresses:
                    break
                fields = _fields(rng, next(serials), addresses.pop())
                job = jobs.create_job(brand.id, fields, brand_actor)
                dispatch.assign(job, brand_actor, dealer.id)
                if _book(job, installer, day, window, dealer_actor) and day == today:
                    booked_today += 1
            summary.append((name, phone, booked_today))
        sim.moment = now
        dispatch_day(dealer, today, dealer_actor)
    return summary
