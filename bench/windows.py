"""GET /api/v1/jobs/{id}/windows?days=14 latency on SQLite and PostgreSQL.

Usage: python -m bench.windows [--db sqlite|postgresql|both] [--requests 200]
Writes bench/results/windows.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.metro import BRAND_KEY, build, database, make_app, percentile

RESULTS = Path(__file__).parent / "results"


def run(kind: str, requests: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as workdir, database(kind, workdir) as url:
        app = make_app(url)
        started = time.perf_counter()
        metro = build(app, now=datetime.now(UTC))
        built = time.perf_counter() - started
        client = app.test_client()
        headers = {"Authorization": f"Bearer {BRAND_KEY}"}
        for job_id in metro["probes"][:10]:  # warm caches (area index, compiled statements)
            client.get(f"/api/v1/jobs/{job_id}/windows?days=14", headers=headers)
        latencies, offered = [], []
        for n in range(requests):
            job_id = metro["probes"][n % len(metro["probes"])]
            start = time.perf_counter()
            response = client.get(f"/api/v1/jobs/{job_id}/windows?days=14", headers=headers)
            latencies.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.json
            offered.append(len(response.json["windows"]))
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()
    return {
        "database": kind,
        "requests": requests,
        "build_s": round(built, 1),
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "mean_ms": round(statistics.mean(latencies), 1),
        "max_ms": round(max(latencies), 1),
        "windows_offered_mean": round(statistics.mean(offered), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    rows = [run(kind, args.requests) for kind in kinds]
    print("| database | requests | p50 ms | p95 ms | mean ms | max ms | windows offered |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['database']} | {r['requests']} | {r['p50_ms']} | {r['p95_ms']} "
            f"| {r['mean_ms']} | {r['max_ms']} | {r['windows_offered_mean']} |"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "windows.json").write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
