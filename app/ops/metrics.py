"""Prometheus metrics: requests, scheduled tasks, and queue depths read at scrape time.

Under gunicorn (several worker processes) and beside the scheduler process, set
PROMETHEUS_MULTIPROC_DIR to one empty folder for all of them (`scripts/serve` does): every
process writes its samples there and a scrape of any worker sums them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

from flask import Flask, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from app.db import utcnow

REQUESTS = Counter(
    "fuwutong_http_requests_total",
    "HTTP requests answered, by route and status code",
    ["method", "endpoint", "status"],
)
LATENCY = Histogram(
    "fuwutong_http_request_duration_seconds",
    "Time to answer an HTTP request, by route",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TASK_RUNS = Counter(
    "fuwutong_task_runs_total", "Scheduled task runs, by task and outcome", ["task", "outcome"]
)
TASK_DURATION = Histogram(
    "fuwutong_task_duration_seconds",
    "Time a scheduled task run took",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300),
)


def record_task(task_id: str, seconds: float, *, failed: bool) -> None:
    TASK_RUNS.labels(task_id, "failed" if failed else "ok").inc()
    TASK_DURATION.labels(task_id).observe(seconds)


class QueueCollector(Collector):
    """Queue depths and the scheduler's heartbeat age, read from the database per scrape
    (so every worker answers the same, and nothing goes stale in a worker's memory)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from app.ops import service

        now = utcnow()
        waiting = service.queues(now)
        depth = GaugeMetricFamily(
            "fuwutong_queue_due", "Work due now and not yet done, by queue", labels=["queue"]
        )
        depth.add_metric(["sms"], waiting.sms_due)
        depth.add_metric(["plans"], waiting.plans_due)
        yield depth
        oldest = GaugeMetricFamily(
            "fuwutong_queue_oldest_due_seconds",
            "How long the oldest due item of a queue has waited (0 when empty)",
            labels=["queue"],
        )
        for name, due_at in (
            ("sms", waiting.sms_oldest_due_at),
            ("plans", waiting.plans_oldest_due_at),
        ):
            oldest.add_metric([name], (now - due_at).total_seconds() if due_at else 0.0)
        yield oldest
        row = service.last_beat()
        age = GaugeMetricFamily(
            "fuwutong_scheduler_heartbeat_age_seconds",
            "Seconds since the scheduler's last heartbeat (-1: never beat)",
        )
        age.add_metric([], (now - row.beat_at).total_seconds() if row else -1.0)
        yield age


def scrape() -> tuple[bytes, str]:
    """The exposition text: this process's (or every process's) samples and the queues."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    body = generate_latest(registry)
    queue_registry = CollectorRegistry()
    queue_registry.register(QueueCollector())
    return body + generate_latest(queue_registry), CONTENT_TYPE_LATEST


def instrument(app: Flask) -> None:
    """Count and time every request by its route (not its URL: ids would explode the labels)."""

    @app.before_request
    def _start() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response: Any) -> Any:
        started = g.pop("metrics_started", None)
        if started is not None:
            endpoint = request.endpoint or "unmatched"
            REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
            LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        return response
