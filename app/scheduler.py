"""`flask scheduler run|list|run-once`: the scheduler process (APScheduler 3)."""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.tasks import Task, registry

scheduler_cli = AppGroup("scheduler", help="Run scheduled tasks (one process per deployment).")
log = logging.getLogger(__name__)


def run_task(app: Flask, task: Task) -> Any:
    """Run one task inside an application context; errors are logged, not raised."""
    from app.ops.metrics import record_task

    started = time.perf_counter()
    with app.app_context():
        try:
            result = task.run()
            record_task(task.id, time.perf_counter() - started, failed=False)
            if result:
                log.info("%s: %s", task.id, result)
            return result
        except Exception:
            record_task(task.id, time.perf_counter() - started, failed=True)
            log.exception("task %s failed", task.id)
            from app.extensions import db

            db.session.rollback()
            return None
        finally:
            from app.extensions import db

            db.session.remove()


@scheduler_cli.command("run")
def run() -> None:
    """Run the scheduler in the foreground until interrupted."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    from app.ops.logs import configure_logging

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    configure_logging(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
    scheduler = BlockingScheduler(timezone="UTC")
    for task in registry():
        scheduler.add_job(
            run_task,
            task.trigger,
            args=(app, task),
            id=task.id,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=60,
        )
    click.echo(f"scheduler: {len(registry())} tasks; Ctrl-C to stop")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()


@scheduler_cli.command("list")
def list_tasks() -> None:
    """List the scheduled tasks."""
    for task in registry():
        click.echo(f"{task.id:<32} {task.trigger}  {task.description}")


@scheduler_cli.command("run-once")
@click.argument("task_id")
def run_once(task_id: str) -> None:
    """Run one task now and print what it returned."""
    tasks = {task.id: task for task in registry()}
    if task_id not in tasks:
        raise click.ClickException(f"unknown task {task_id}; see `flask scheduler list`")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    click.echo(repr(run_task(app, tasks[task_id])))
