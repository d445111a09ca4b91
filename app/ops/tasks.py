"""The scheduler's heartbeat, read by /readyz and /metrics."""

from __future__ import annotations

from app.ops import service


def heartbeat() -> None:
    service.beat()
