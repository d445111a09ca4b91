"""`flask demo seed|reset`: the demo metro."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click
from flask.cli import AppGroup

from app.db import transaction
from app.demo import service as demo
from app.demo.field import FIELD_INSTALLERS
from app.demo.plans import plan_today_and_tomorrow

demo_cli = AppGroup("demo", help="Load or reset the demo metro (Shanghai).")


def _seed(seed: int) -> None:
    def progress(items: Iterator[Any]) -> Iterator[Any]:
        with click.progressbar(list(items), label="jobs", show_pos=True) as bar:
            yield from bar

    with transaction():
        click.echo("creating brands, dealers, service areas and installers …")
        keys = demo.seed(seed=seed, progress=progress)
    click.echo("planning today and tomorrow (the day planner, as the scheduler would) …")
    planned = plan_today_and_tomorrow()
    click.echo(
        "  plan requests: " + ", ".join(f"{n} {what}" for what, n in sorted(planned.items()))
    )
    click.echo("demo API keys (demo data only):")
    # Dealer ids start at 1 only on a fresh database (PostgreSQL keeps counting after a reset).
    dealer_ids = [int(who.split()[1]) for who in keys if who.startswith("dealer ")]
    for who, key in keys.items():
        if not who.startswith("dealer ") or who.startswith(f"dealer {dealer_ids[0]} "):
            click.echo(f"  {who:<28} {key}")
    click.echo(f"  {'dealer N':<28} fwt_demo_dealer_N  (N = {dealer_ids[0]} … {dealer_ids[-1]})")
    click.echo("installer app (/field/), demo installers with today's route dispatched:")
    for name, phone in FIELD_INSTALLERS:
        click.echo(f"  {phone}  {name}")
    click.echo(
        "  sign-in codes are printed by `flask scheduler run` (SMS_BACKEND=log);\n"
        "  or `flask installer invite +8613900000001` prints a sign-in link."
    )
    click.echo(f"web sign-in (/login), password {demo.DEMO_PASSWORD!r} (demo data only):")
    click.echo(
        "  admin@demo.fuwutong.cn, oakline@…, nordhaus@…, zhiyun@… (brands), dealer1@… (dealer)"
    )


@demo_cli.command("seed")
@click.option("--seed", default=2026, show_default=True, help="Random seed (same seed, same data)")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has data")
def seed_command(seed: int, if_empty: bool) -> None:
    """Create the demo metro: 3 brands, 20 dealers, 100 installers, 500 jobs."""
    if not demo.is_empty():
        if if_empty:
            click.echo("database already has data; demo seed skipped")
            return
        raise click.ClickException("The database already has data; use `flask demo reset`.")
    _seed(seed)


@demo_cli.command("reset")
@click.option("--seed", default=2026, show_default=True)
@click.confirmation_option(prompt="Delete ALL data and load the demo again?")
def reset_command(seed: int) -> None:
    """Delete all data and load the demo again."""
    with transaction():
        demo.reset()
    _seed(seed)
