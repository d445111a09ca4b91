"""A synthetic metro in a real database, for the scheduling benchmarks.

20 dealers around Shanghai, 10 installers each (200), 5,000 booked jobs spread over the next
14 days (about 1.8 per installer-day, one per window, feasible by construction), plus
probe jobs that are assigned but not booked.
"""

from __future__ import annotations

import math
import os
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import create_engine, insert, make_url, text

from app import create_app
from app.auth.enums import Role
from app.auth.service import create_api_key
from app.db import transaction
from app.demo.service import area_polygon
from app.extensions import db
from app.jobs.models import Job, Order
from app.network import service as network
from app.scheduling.models import Booking
from app.scheduling.windows import DEFAULT_TEMPLATE, windows_for_day
from config import Config

ZONE = "Asia/Shanghai"
BRAND_KEY = "fwt_bench_brand"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def database(kind: str, workdir: str) -> Iterator[str]:
    """Yield a URL of an empty database: a SQLite file, or a throwaway PostgreSQL database."""
    if kind == "sqlite":
        path = os.path.join(workdir, f"bench-{uuid.uuid4().hex[:6]}.db")
        yield f"sqlite:///{path}"
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        return
    base = make_url(os.environ.get("BENCH_DATABASE_URL", PG_URL))
    name = f"fwt_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_app(url: str) -> Flask:
    """An app on the given database, with its schema migrated."""
    import flask_migrate

    config = type(
        "BenchConfig", (Config,), {"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False}
    )
    app = create_app(config)
    with app.app_context():
        flask_migrate.upgrade()
    return app


def _offset(lat: float, lon: float, rng: random.Random, km: float) -> tuple[float, float]:
    r, angle = km * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
    return (
        round(lat + r * math.sin(angle) / 111.32, 6),
        round(lon + r * math.cos(angle) / (111.32 * math.cos(math.radians(lat))), 6),
    )


def build(
    app: Flask,
    *,
    now: datetime,
    seed: int = 1,
    booked: int = 5000,
    probes: int = 200,
    probe_dealers: int = 20,
) -> dict[str, Any]:
    """Fill the database; return ids of the probe jobs and the dealers."""
    rng = random.Random(seed)
    with app.app_context(), transaction():
        brand = network.create_brand(name="Bench brand", code="bench", assignment_mode="manual")
        create_api_key(role=Role.BRAND, name="bench", brand_id=brand.id, raw_key=BRAND_KEY)
        installers: list[Any] = []
        dealers = []
        for d in range(20):
            lat, lon = 31.10 + (d // 5) * 0.08 + rng.uniform(-0.02, 0.02), 121.35 + (d % 5) * 0.07
            dealer = network.create_dealer(name=f"Bench dealer {d}", timezone=ZONE, phone=None)
            network.set_service_area(dealer, area_polygon(rng, lat, lon, 9).__geo_interface__)
            network.authorize_dealer(brand, dealer, ["door"])
            dealers.append((dealer.id, lat, lon))
            for i in range(10):
                home = _offset(lat, lon, rng, 4)
                installers.append(
                    network.create_installer(
                        dealer,
                        {
                            "name": f"I{d}-{i}",
                            "phone": f"+86137{d * 100 + i:08d}",
                            "skills": ["delivery", "door_install"],
                            "home_lat": home[0],
                            "home_lon": home[1],
                            "timezone": ZONE,
                            "max_jobs_per_day": 6,
                            "shifts": [
                                {"weekday": w, "start_time": time(8), "end_time": time(19)}
                                for w in range(1, 8)
                            ],
                        },
                    )
                )
        first_day = now.astimezone(ZoneInfo(ZONE)).date() + timedelta(days=1)
        days = [first_day + timedelta(days=n) for n in range(14)]
        windows = {day: windows_for_day(day, DEFAULT_TEMPLATE, ZONE) for day in days}
        cells = [(inst, day, w) for inst in installers for day in days for w in range(5)]
        rng.shuffle(cells)
        job_rows, booking_rows = [], []
        base_job: dict[str, Any] = {
            "brand_id": brand.id,
            "category": "door",
            "kind": "install",
            "required_skills": ["door_install"],
            "duration_minutes": 60,
            "items": [],
            "consumer_name": "Bench",
            "consumer_phone": "+8613800000000",
            "consumer_locale": "zh-CN",
            "address": "bench",
            "location_source": "provided",
            "timezone": ZONE,
            "notes": "",
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for n, (inst, day, w) in enumerate(cells[:booked]):
            lat, lon = _offset(inst.home_lat, inst.home_lon, rng, 4)
            window = windows[day][w]
            job_rows.append(
                {
                    **base_job,
                    "external_id": f"B{n}",
                    "lat": lat,
                    "lon": lon,
                    "status": "scheduled",
                    "dealer_id": inst.dealer_id,
                    "installer_id": inst.id,
                }
            )
            booking_rows.append(
                {
                    "dealer_id": inst.dealer_id,
                    "installer_id": inst.id,
                    "local_date": day,
                    "window_start": window.start,
                    "window_end": window.end,
                    "sequence": w,
                    "estimated_start": window.start,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        probe_rows = []
        for n in range(probes):
            dealer_id, lat, lon = dealers[n % probe_dealers]
            lat, lon = _offset(lat, lon, rng, 5)
            probe_rows.append(
                {
                    **base_job,
                    "external_id": f"P{n}",
                    "lat": lat,
                    "lon": lon,
                    "status": "assigned",
                    "dealer_id": dealer_id,
                    "installer_id": None,
                }
            )
        # Each job is the one visit of its order (as POST /api/v1/jobs makes them).
        all_rows = job_rows + probe_rows
        db.session.execute(
            insert(Order),
            [
                {"brand_id": r["brand_id"], "external_id": r["external_id"], "created_at": now}
                for r in all_rows
            ],
        )
        orders = dict(db.session.execute(text("SELECT external_id, id FROM orders")).all())
        for row in all_rows:
            row["order_id"] = orders[row["external_id"]]
        db.session.execute(insert(Job), all_rows)
        db.session.flush()
        ids = dict(db.session.execute(text("SELECT external_id, id FROM jobs")).all())
        for n, row in enumerate(booking_rows):
            row["job_id"] = ids[f"B{n}"]
        db.session.execute(insert(Booking), booking_rows)
    return {"probes": [ids[f"P{n}"] for n in range(probes)], "dealers": dealers, "days": days}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


__all__ = ["BRAND_KEY", "UTC", "build", "database", "date", "make_app", "percentile"]
