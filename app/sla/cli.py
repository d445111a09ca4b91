"""`flask sla rebuild`: recompute every job's SLA facts from its event log."""

import click
from flask.cli import AppGroup

from app.db import transaction
from app.sla.facts import rebuild

sla_cli = AppGroup("sla", help="SLA maintenance.")


@sla_cli.command("rebuild")
def rebuild_command() -> None:
    """Recompute SLA facts for all jobs (after an upgrade, or a policy import)."""
    with transaction():
        count = rebuild()
    click.echo(f"rebuilt SLA facts of {count} jobs")
