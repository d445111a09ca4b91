"""Scheduled SLA work: find new risks and breaches, deliver the alert webhooks."""

from app.sla import alerts


def alert_changes() -> int:
    """Record alerts for newly at-risk or breached promises."""
    return alerts.find_changes()


def deliver_alerts() -> dict[str, int]:
    """Send pending alert webhooks (after releasing ones a crashed run left half-sent)."""
    alerts.release_stuck()
    return alerts.deliver_webhooks()
