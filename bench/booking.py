"""Concurrent booking over real HTTP: throughput and overbookings on SQLite and PostgreSQL.

Usage: python -m bench.booking [--db sqlite|postgresql|both] [--requests 600]
                              [--threads 16]
Each request books a probe job into one of its dealer's windows on one day; requests go to
4 dealers only, so places run out and most requests contend for the last ones. Afterwards
every installer-day is checked: bookings ≤ max jobs and the day's route keeps every
window with travel (app.scheduling.capacity.schedule).
Writes bench/results/booking.json.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

import requests
from sqlalchemy import select
from werkzeug.serving import make_server

from app.extensions import db
from app.geo.travel import GreatCircleTravel
from app.jobs.models import Job
from app.network.models import Installer
from app.scheduling.capacity import DayRoute, Stop, schedule
from app.scheduling.models import Booking
from app.scheduling.windows import DEFAULT_TEMPLATE, windows_for_day
from bench.metro import BRAND_KEY, ZONE, build, database, make_app

RESULTS = Path(__file__).parent / "results"


def overbookings(app) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Count installer-days over capacity and installer-days whose route breaks a window."""
    with app.app_context():
        installers = {i.id: i for i in db.session.scalars(select(Installer))}
        rows = db.session.execute(
            select(Booking, Job.lat, Job.lon, Job.duration_minutes).join(
                Job, Job.id == Booking.job_id
            )
        ).all()
        days = defaultdict(list)
        for booking, lat, lon, minutes in rows:
            days[(booking.installer_id, booking.local_date)].append((booking, (lat, lon), minutes))
        over = broken = 0
        for (installer_id, day), items in days.items():
            installer = installers[installer_id]
            if len(items) > installer.max_jobs_per_day:
                over += 1
            items.sort(key=lambda item: (item[0].sequence, item[0].id))
            places = [(installer.home_lat, installer.home_lon)] + [place for _, place, _ in items]
            matrix = GreatCircleTravel().matrix(places).tolist()
            start = datetime.combine(day, datetime.min.time()).replace(hour=8)
            from zoneinfo import ZoneInfo

            zone = ZoneInfo(installer.timezone)
            shift_start = int(start.replace(tzinfo=zone).timestamp())
            shift_end = int(start.replace(hour=19, tzinfo=zone).timestamp())
            stops = [
                Stop(
                    b.id,
                    n + 1,
                    int(b.window_start.timestamp()),
                    int(b.window_end.timestamp()),
                    m * 60,
                )
                for n, (b, _, m) in enumerate(items)
            ]
            route = DayRoute(
                installer_id, 0, shift_start, shift_end, stops, installer.max_jobs_per_day
            )
            if schedule(route, lambda a, b, m=matrix: m[a][b]) is None:
                broken += 1
        return over, broken


def run(kind: str, total: int, threads: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as workdir, database(kind, workdir) as url:
        app = make_app(url)
        # All requests go to 4 dealers and one day, so places run out and requests contend.
        metro = build(app, now=datetime.now(UTC), probes=total, probe_dealers=4)
        rng = random.Random(3)
        day = metro["days"][1]
        choices = [w.local()[0].isoformat() for w in windows_for_day(day, DEFAULT_TEMPLATE, ZONE)]
        work = [(job_id, rng.choice(choices)) for job_id in metro["probes"]]
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        codes: Counter[int] = Counter()
        lock = threading.Lock()
        queue = list(work)

        def worker() -> None:
            with requests.Session() as session:
                while True:
                    with lock:
                        if not queue:
                            return
                        job_id, start = queue.pop()
                    response = session.post(
                        f"{base}/api/v1/jobs/{job_id}/booking",
                        json={"window_start": start},
                        headers={"Authorization": f"Bearer {BRAND_KEY}"},
                        timeout=120,
                    )
                    with lock:
                        codes[response.status_code] += 1

        started = time.perf_counter()
        pool = [threading.Thread(target=worker) for _ in range(threads)]
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        elapsed = time.perf_counter() - started
        server.shutdown()
        over, broken = overbookings(app)
        with app.app_context():
            db.engine.dispose()
    return {
        "database": kind,
        "requests": total,
        "threads": threads,
        "seconds": round(elapsed, 2),
        "requests_per_s": round(total / elapsed, 1),
        "booked": codes[201],
        "bookings_per_s": round(codes[201] / elapsed, 1),
        "refused_409": codes[409],
        "other": {str(k): v for k, v in codes.items() if k not in (201, 409)},
        "installer_days_over_capacity": over,
        "installer_days_with_broken_windows": broken,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--threads", type=int, default=16)
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    rows = [run(kind, args.requests, args.threads) for kind in kinds]
    print(
        "| database | requests | threads | s | req/s | booked | bookings/s | 409 | other "
        "| over capacity | broken windows |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['database']} | {r['requests']} | {r['threads']} | {r['seconds']} "
            f"| {r['requests_per_s']} | "
            f"{r['booked']} | {r['bookings_per_s']} | {r['refused_409']} | {r['other'] or 0} | "
            f"{r['installer_days_over_capacity']} | {r['installer_days_with_broken_windows']} |"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "booking.json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
