"""SLA summary at scale: 1,000,000 jobs with their events on PostgreSQL.

Usage: python -m bench.sla [--jobs 1000000] [--runs 30]
Generates jobs over a year for 5 brands and 20 dealers, each with its event log and SLA
facts (loaded with COPY), then times GET /api/v1/sla/summary for one brand over 90 days
through the full HTTP stack. Writes bench/results/sla.json.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, make_url, text

from app.auth.enums import Role
from app.auth.service import create_api_key
from app.db import transaction
from app.extensions import db
from app.network import service as network
from app.sla import policies
from app.sla.facts import RISK_SHARE
from app.sla.models import TIMED_PROMISES
from bench.metro import PG_URL, database, make_app, percentile

RESULTS = Path(__file__).parent / "results"
BRANDS, DEALERS = 5, 20
KEY = "fwt_bench_sla_brand"
FACT_TIMES = (
    "assigned_at", "contacted_at", "scheduled_at", "arrived_at", "completed_at", "cancelled_at",
    "window_start", "window_end", "arrival_due",
)  # fmt: skip
POLICY = {
    "assign_minutes": 120,
    "contact_minutes": 240,
    "schedule_minutes": 2880,
    "complete_minutes": 10080,
    "arrival_tolerance_minutes": 15,
}


def _setup(app: Any, now: datetime) -> tuple[list[int], list[int], list[int]]:
    with app.app_context(), transaction():
        brands = [
            network.create_brand(name=f"B{n}", code=f"b{n}", assignment_mode="manual")
            for n in range(BRANDS)
        ]
        dealers = [
            network.create_dealer(name=f"D{n}", timezone="Asia/Shanghai", phone=None)
            for n in range(DEALERS)
        ]
        create_api_key(role=Role.BRAND, name="bench", brand_id=brands[0].id, raw_key=KEY)
        policy_ids = []
        for brand in brands:
            policy = policies.create_policy(brand.id, POLICY)
            policy.created_at = now - timedelta(days=400)
            policy_ids.append(policy.id)
        return [b.id for b in brands], [d.id for d in dealers], policy_ids


def _generate(
    count: int, brands: list[int], dealers: list[int], policy_ids: list[int], now: datetime
):  # type: ignore[no-untyped-def]
    """Yield (job row, event rows, facts) for `count` jobs over the past year."""
    rng = random.Random(7)
    m = timedelta(minutes=1)
    tolerance = POLICY["arrival_tolerance_minutes"] * m
    targets = tuple(POLICY[f"{p}_minutes"] for p in TIMED_PROMISES)  # assign … complete
    due_off = tuple(t * m for t in targets)
    # At risk once four fifths of the target is used (facts.RISK_SHARE; 24/7 policy).
    risk_off = tuple(t * (1 - RISK_SHARE) * m for t in targets)
    for n in range(count):
        created = now - timedelta(seconds=rng.uniform(0, 365 * 86400))
        dealer = dealers[rng.randrange(len(dealers))]
        events: list[tuple[str, str | None, str | None, datetime, dict[str, Any]]] = []
        f: dict[str, Any] = dict.fromkeys(FACT_TIMES)
        f.update(first_visit_ok=None, failed_visits=0)

        def event(
            kind: str,
            src: str | None,
            dst: str | None,
            at: datetime,
            _log: list[Any] = events,
            **payload: Any,
        ) -> str | None:
            _log.append((kind, src, dst, at, payload))
            return dst or src

        status = event("created", None, "created", created)
        assigned = created + m * rng.uniform(2, 180)
        if assigned < now:
            status = event("assigned", "created", "assigned", assigned, dealer_id=dealer)
            f["assigned_at"] = assigned
            contacted = assigned + m * rng.uniform(1, 400)
            if contacted < now:
                event("consumer_contacted", None, None, contacted)
                f["contacted_at"] = contacted
            booked = assigned + m * rng.expovariate(1 / 1500)
            if rng.random() < 0.05 and booked < now:
                status = event("cancelled", status, "cancelled", booked, reason="bench")
                f["cancelled_at"] = booked
            elif booked < now:
                day = booked + timedelta(days=rng.randint(1, 8))
                start = day.replace(
                    hour=rng.choice([0, 2, 5, 7, 9]), minute=0, second=0, microsecond=0
                )
                end = start + timedelta(hours=2)
                window = {"window_start": start.isoformat(), "window_end": end.isoformat()}
                status = event("scheduled", "assigned", "scheduled", booked, **window)
                f.update(
                    scheduled_at=booked,
                    window_start=start,
                    window_end=end,
                    arrival_due=end + tolerance,
                )
                arrive = start + m * rng.uniform(-30, 150 if rng.random() < 0.1 else 100)
                if arrive < now:
                    event("dispatched", "scheduled", "dispatched", start - timedelta(hours=14))
                    event("en_route", "dispatched", "en_route", arrive - m * 30)
                    status = event("on_site", "en_route", "on_site", arrive)
                    f.update(arrived_at=arrive)
                    done = arrive + m * rng.uniform(30, 150)
                    if rng.random() < 0.08:
                        event("failed", "on_site", "failed", done, reason="needs_parts")
                        status = event("returned_to_dispatch", "failed", "assigned", done)
                        f.update(
                            first_visit_ok=False,
                            failed_visits=1,
                            window_start=None,
                            window_end=None,
                        )
                    elif done < now:
                        event("in_progress", "on_site", "in_progress", arrive + 5 * m)
                        status = event("completed", "in_progress", "completed", done)
                        f.update(completed_at=done, first_visit_ok=True)
        owner = dealer if f["assigned_at"] else None
        job = (n + 1, brands[n % len(brands)], f"J{n}", status, created, owner)
        dues = tuple(created + d for d in due_off)
        risks = tuple(created + r for r in risk_off)
        facts = (
            n + 1,
            brands[n % len(brands)],
            owner,
            policy_ids[n % len(brands)],
            created,
            *dues,
            *risks,
            f,
        )
        yield job, events, facts


def _load(
    app: Any,
    count: int,
    brands: list[int],
    dealers: list[int],
    policy_ids: list[int],
    now: datetime,
) -> int:
    events_total = 0
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            # Inserted in order of creation, as a running system accumulates them (so one
            # period's jobs sit together on disk, interleaved across brands and dealers).
            rows = sorted(_generate(count, brands, dealers, policy_ids, now), key=lambda r: r[0][4])
            # Every job is one visit of an order under the same id (as migration 0012 makes them).
            with cursor.copy(
                "COPY orders (id, brand_id, external_id, created_at) FROM STDIN"
            ) as copy:
                for (jid, brand, ext, _, created, _), _, _ in rows:
                    copy.write_row((jid, brand, ext, created))
            job_cols = "id, order_id, brand_id, external_id, category, kind, required_skills, duration_minutes, items, consumer_name, consumer_phone, consumer_locale, address, lat, lon, location_source, timezone, notes, status, dealer_id, created_at, updated_at, version, sequence, needs_goods, same_crew_same_day"
            event_cols = (
                "job_id, type, from_status, to_status, actor_role, actor_id, occurred_at, payload"
            )
            fact_cols = "job_id, brand_id, dealer_id, category, policy_id, created_at, assign_due, contact_due, schedule_due, complete_due, assign_risk_at, contact_risk_at, schedule_risk_at, complete_risk_at, assigned_at, contacted_at, scheduled_at, arrived_at, completed_at, cancelled_at, window_start, window_end, arrival_due, arrival_tolerance_minutes, failed_visits, first_visit_ok, track_first_visit"
            with cursor.copy(f"COPY jobs ({job_cols}) FROM STDIN") as copy:
                for (jid, brand, ext, status, created, dealer), _, _ in rows:
                    copy.write_row(
                        (
                            jid,
                            jid,
                            brand,
                            ext,
                            "door",
                            "install",
                            "[]",
                            60,
                            "[]",
                            "C",
                            "+8613800000000",
                            "zh-CN",
                            "a",
                            31.2,
                            121.4,
                            "provided",
                            "Asia/Shanghai",
                            "",
                            status,
                            dealer,
                            created,
                            created,
                            1,
                            1,
                            False,
                            False,
                        )
                    )
            with cursor.copy(f"COPY job_events ({event_cols}) FROM STDIN") as copy:
                for (jid, *_), events, _ in rows:
                    for kind, src, dst, at, payload in events:
                        copy.write_row(
                            (jid, kind, src, dst, "system", "bench", at, json.dumps(payload))
                        )
                        events_total += 1
            with cursor.copy(f"COPY job_sla ({fact_cols}) FROM STDIN") as copy:
                for _, _, (jid, brand, dealer, policy, created, ad, cd, sd, kd, *risks, f) in rows:
                    copy.write_row(
                        (
                            jid,
                            brand,
                            dealer,
                            "door",
                            policy,
                            created,
                            ad,
                            cd,
                            sd,
                            kd,
                            *risks,
                            f["assigned_at"],
                            f["contacted_at"],
                            f["scheduled_at"],
                            f["arrived_at"],
                            f["completed_at"],
                            f["cancelled_at"],
                            f["window_start"],
                            f["window_end"],
                            f["arrival_due"],
                            POLICY["arrival_tolerance_minutes"],
                            f["failed_visits"],
                            f["first_visit_ok"],
                            True,
                        )
                    )
            for table in ("orders", "jobs"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            raw.commit()
            raw.driver_connection.autocommit = True  # type: ignore[union-attr]
            cursor.execute("VACUUM ANALYZE")
        finally:
            raw.close()
    return events_total


@contextmanager
def _target(keep: str | None, workdir: str) -> Iterator[str]:
    if keep is None:
        with database("postgresql", workdir) as url:
            yield url
        return
    base = make_url(PG_URL)
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": keep}
        ).scalar():
            conn.execute(text(f'CREATE DATABASE "{keep}"'))
    admin.dispose()
    yield base.set(database=keep).render_as_string(hide_password=False)


def _loaded_at(app: Any) -> datetime:
    """A kept database was generated relative to its own 'now': the newest job's creation."""
    with app.app_context():
        return db.session.execute(text("SELECT max(created_at) FROM jobs")).scalar()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--keep",
        metavar="DATABASE",
        help="load into (or reuse) this PostgreSQL database and keep it",
    )
    args = parser.parse_args()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as workdir, _target(args.keep, workdir) as url:
        app = make_app(url)
        with app.app_context():
            loaded_before = db.session.execute(text("SELECT count(*) FROM jobs")).scalar()
            brands = list(db.session.scalars(text("SELECT id FROM brands ORDER BY id")))
        started = time.perf_counter()
        if loaded_before:
            with app.app_context():
                events = db.session.execute(text("SELECT count(*) FROM job_events")).scalar()
            loaded = None
            now = _loaded_at(app)
        else:
            brands, dealers, policy_ids = _setup(app, now)
            events = _load(app, args.jobs, brands, dealers, policy_ids, now)
            loaded = time.perf_counter() - started
        client = app.test_client()
        query = {
            "created_from": (now - timedelta(days=90)).isoformat(),
            "created_to": now.isoformat(),
        }
        headers = {"Authorization": f"Bearer {KEY}"}
        first = client.get("/api/v1/sla/summary", query_string=query, headers=headers)
        assert first.status_code == 200, first.json
        timings = []
        for _ in range(args.runs):
            start = time.perf_counter()
            response = client.get("/api/v1/sla/summary", query_string=query, headers=headers)
            timings.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        with app.app_context():
            in_range = db.session.execute(
                text("SELECT count(*) FROM job_sla WHERE brand_id = :b AND created_at >= :f"),
                {"b": brands[0], "f": now - timedelta(days=90)},
            ).scalar()
            db.engine.dispose()
    result = {
        "jobs": loaded_before or args.jobs,
        "events": events,
        "load_s": round(loaded, 1) if loaded is not None else "reused",
        "brand_jobs_in_90_days": in_range,
        "runs": args.runs,
        "p50_ms": round(percentile(timings, 0.5), 1),
        "p95_ms": round(percentile(timings, 0.95), 1),
        "max_ms": round(max(timings), 1),
        "jobs_in_summary": first.json["totals"]["jobs"],
    }
    print("| jobs | events | load s | brand jobs in 90 days | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {result['jobs']:,} | {result['events']:,} | {result['load_s']} | {result['brand_jobs_in_90_days']:,} | {result['p50_ms']} | {result['p95_ms']} | {result['max_ms']} |"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sla.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
