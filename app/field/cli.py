"""`flask installer invite|signout`: sign installers' phones in and out from the shell."""

import click
from flask.cli import AppGroup

from app.auth.service import SYSTEM
from app.db import transaction
from app.field.signin import create_invite, installer_by_phone, revoke_all_devices
from app.network.models import Installer

installer_cli = AppGroup("installer", help="Sign installers' phones in and out (field app).")


def _installer_by_phone(phone: str) -> Installer:
    from app.fields import normalize_phone

    number = normalize_phone(phone)
    installer = installer_by_phone(number) if number else None
    if installer is None:
        raise click.ClickException(f"no installer with phone {phone}")
    return installer


@installer_cli.command("invite")
@click.argument("phone")
@click.option("--send", is_flag=True, help="Also text the link to the installer")
@click.option("--locale", type=click.Choice(["zh-CN", "en"]), default="zh-CN", show_default=True)
def invite(phone: str, send: bool, locale: str) -> None:
    """Print a single-use sign-in link for an installer's phone."""
    with transaction():
        installer = _installer_by_phone(phone)
        record, link = create_invite(installer, SYSTEM, locale=locale, send=send)
    click.echo(link)
    click.echo(f"valid until {record.expires_at:%Y-%m-%d %H:%M} UTC, once", err=True)


@installer_cli.command("signout")
@click.argument("phone")
def signout(phone: str) -> None:
    """Revoke every device token of an installer."""
    with transaction():
        count = revoke_all_devices(_installer_by_phone(phone))
    click.echo(f"signed out {count} device(s)")
