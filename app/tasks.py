"""The one registry of scheduled work: each domain's tasks.py function, its id and trigger.

Tasks run in the scheduler process (`flask scheduler run`), never inside the web workers.
Every task is safe to run twice, and in two scheduler processes at once: work is claimed
with conditional updates or made unique by a constraint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger


@dataclass(frozen=True)
class Task:
    id: str
    run: Callable[[], Any]
    trigger: BaseTrigger
    description: str


def registry() -> list[Task]:
    """Every scheduled task (imported lazily so the web app never loads the scheduler)."""
    from app.auth import tasks as auth_tasks
    from app.dispatch import tasks as dispatch_tasks
    from app.jobs import tasks as jobs_tasks
    from app.notify import tasks as notify_tasks
    from app.ops import tasks as ops_tasks
    from app.sla import tasks as sla_tasks

    return [
        Task(
            "ops.heartbeat",
            ops_tasks.heartbeat,
            IntervalTrigger(seconds=15),
            "Record that the scheduler is alive (read by /readyz and /metrics)",
        ),
        Task(
            "notify.send_outbox",
            notify_tasks.send_outbox,
            IntervalTrigger(seconds=5),
            "Send pending SMS; retry transient failures with backoff",
        ),
        Task(
            "notify.day_before_reminders",
            notify_tasks.day_before_reminders,
            IntervalTrigger(minutes=5),
            "Remind consumers of tomorrow's visit (once per booking)",
        ),
        Task(
            "notify.nudge_unbooked",
            notify_tasks.nudge_unbooked,
            IntervalTrigger(minutes=10),
            "Nudge consumers who have not picked a window (at most twice)",
        ),
        Task(
            "notify.expire_stuck",
            notify_tasks.expire_stuck,
            IntervalTrigger(minutes=5),
            "Fail messages whose send was interrupted (never re-sent: no doubles)",
        ),
        Task(
            "sla.alert_changes",
            sla_tasks.alert_changes,
            IntervalTrigger(minutes=1),
            "Alert brands once per job, SLA and state (at risk, breached)",
        ),
        Task(
            "sla.deliver_alerts",
            sla_tasks.deliver_alerts,
            IntervalTrigger(seconds=30),
            "POST pending alert webhooks, signed, with retries",
        ),
        Task(
            "dispatch.run_plan_requests",
            dispatch_tasks.run_plan_requests,
            IntervalTrigger(seconds=10),
            "Plan the dealer days asked for (on demand, on change, in the evening)",
        ),
        Task(
            "dispatch.plan_evening_before",
            dispatch_tasks.plan_evening_before,
            IntervalTrigger(minutes=5),
            "From each dealer's plan_at (default 18:00 local), ask for tomorrow's plan once",
        ),
        Task(
            "jobs.purge_idempotency_keys",
            jobs_tasks.purge_idempotency_keys,
            IntervalTrigger(hours=1),
            "Forget Idempotency-Key answers older than IDEMPOTENCY_TTL_HOURS",
        ),
        Task(
            "auth.purge_sign_in_records",
            auth_tasks.purge_sign_in_records,
            IntervalTrigger(hours=1),
            "Delete installers' sign-in codes after a day and invites a week after they expire",
        ),
    ]
