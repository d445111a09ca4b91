"""`flask apikey ...` and `flask installer ...` commands for operators."""

import click
from flask.cli import AppGroup

from app.auth.enums import API_KEY_ROLES, Role
from app.auth.service import create_api_key, list_api_keys, revoke_api_key
from app.db import transaction
from app.errors import AppError
from app.fields import MAX_ID

apikey_cli = AppGroup("apikey", help="Issue, list and revoke API keys.")
ID = click.IntRange(1, MAX_ID)


@apikey_cli.command("create")
@click.option("--role", type=click.Choice([str(r) for r in API_KEY_ROLES]), required=True)
@click.option("--name", default="cli", show_default=True)
@click.option("--brand", "brand_id", type=ID, help="Owner brand id (role brand)")
@click.option("--dealer", "dealer_id", type=ID, help="Owner dealer id (role dealer)")
def create(role: str, name: str, brand_id: int | None, dealer_id: int | None) -> None:
    """Create a key and print it (it is shown only once)."""
    try:
        with transaction():
            key, raw_key = create_api_key(
                role=Role(role), name=name, brand_id=brand_id, dealer_id=dealer_id
            )
    except AppError as error:
        raise click.ClickException(error.message) from error
    click.echo(raw_key)
    click.echo(f"key id {key.id}, role {key.role}", err=True)


@apikey_cli.command("list")
def list_() -> None:
    """List keys."""
    for key in list_api_keys():
        state = "revoked" if key.revoked_at else "active"
        click.echo(f"{key.id}\t{key.role}\t{key.prefix}…\t{state}\t{key.name}")


@apikey_cli.command("revoke")
@click.argument("key_id", type=ID)
def revoke(key_id: int) -> None:
    """Revoke a key."""
    try:
        with transaction():
            revoke_api_key(key_id)
    except AppError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"revoked key {key_id}")


user_cli = AppGroup("user", help="People who sign in to the web pages.")


@user_cli.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([str(r) for r in API_KEY_ROLES]), required=True)
@click.option("--brand", "brand_id", type=ID, help="Their brand (role brand)")
@click.option("--dealer", "dealer_id", type=ID, help="Their dealer (role dealer)")
@click.password_option(help="At least 10 characters (asked for when not given)")
def create_user_command(
    email: str, name: str, role: str, brand_id: int | None, dealer_id: int | None, password: str
) -> None:
    """Add a person who signs in with an e-mail and password."""
    from app.auth.users import create_user

    try:
        with transaction():
            user = create_user(
                email=email,
                name=name,
                password=password,
                role=Role(role),
                brand_id=brand_id,
                dealer_id=dealer_id,
            )
    except AppError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"user {user.id} {user.email} ({user.role})")
