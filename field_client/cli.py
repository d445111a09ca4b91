"""fieldctl: the field API from a terminal (sign in, today's jobs, status changes)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from field_client._client import ACTIONS, REASONS, Clock, FieldClient, new_id, system_clock
from field_client._exceptions import FieldError
from field_client._models import Job, Route

DEFAULT_URL = "http://127.0.0.1:5000"


def config_path() -> Path:
    """Where the URL and device token are kept (FIELDCTL_CONFIG overrides)."""
    configured = os.environ.get("FIELDCTL_CONFIG")
    if configured:
        return Path(configured)
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "fieldctl" / "config.json"


def load_config() -> dict[str, Any]:
    path = config_path()
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise SystemExit(f"fieldctl: cannot read {path}: {error}") from error


def save_config(config: dict[str, Any]) -> None:
    """Write the config readable by the owner only: it holds a credential."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump(config, out, indent=2)
    path.chmod(0o600)


def _day(text: str) -> str:
    if text not in {"today", "tomorrow"}:
        try:
            date.fromisoformat(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError("use YYYY-MM-DD, today or tomorrow") from error
    return text


def _route(client: FieldClient, day: str | None) -> Route:
    """A day's route; today and tomorrow are the installer's, as the server counts days."""
    if day in {None, "today"}:
        return client.route()
    if day == "tomorrow":
        return client.route(client.route().today + timedelta(days=1))
    return client.route(date.fromisoformat(str(day)))


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="fieldctl", description=__doc__)
    top.add_argument("--url", help=f"server (default: saved, $FIELDCTL_URL or {DEFAULT_URL})")
    commands = top.add_subparsers(dest="command", required=True)
    login = commands.add_parser("login", help="sign in by SMS code and save the token")
    login.add_argument("phone", help="E.164, e.g. +8613900000001")
    login.add_argument("--code", help="the 6-digit code (asked for when omitted)")
    login.add_argument("--locale", default="zh-CN", choices=["zh-CN", "en"])
    login.add_argument("--device-name", default="fieldctl")
    ask = commands.add_parser("request-code", help="ask for a sign-in code by SMS")
    ask.add_argument("phone")
    ask.add_argument("--locale", default="zh-CN", choices=["zh-CN", "en"])
    verify = commands.add_parser("verify", help="exchange a code for a token and save it")
    verify.add_argument("phone")
    verify.add_argument("code")
    verify.add_argument("--device-name", default="fieldctl")
    invite = commands.add_parser("invite", help="sign in with a dealer's invite link")
    invite.add_argument("link")
    commands.add_parser("whoami", help="who the saved token signs in as")
    commands.add_parser("logout", help="revoke the saved token")
    jobs = commands.add_parser("jobs", help="list a day's jobs in route order")
    jobs.add_argument("--date", type=_day, help="YYYY-MM-DD, today or tomorrow (default today)")
    jobs.add_argument("--json", action="store_true")
    show = commands.add_parser("job", help="show one job")
    show.add_argument("job_id", type=int)
    show.add_argument("--json", action="store_true")
    status = commands.add_parser("status", help="post a status change")
    status.add_argument("job_id", type=int)
    status.add_argument("action", choices=ACTIONS)
    status.add_argument("--event-id", help="client event id (resending it is safe)")
    status.add_argument("--lat", type=float)
    status.add_argument("--lon", type=float)
    status.add_argument("--reason", choices=REASONS, help="fail: why")
    status.add_argument("--note", default="")
    status.add_argument("--signer", help="complete: who signed")
    status.add_argument("--photo", action="append", default=[], help="complete: image file")
    status.add_argument("--signature", help="complete: image of the signature")
    return top


def _as_json(value: Any) -> str:
    return json.dumps(asdict(value), default=str, ensure_ascii=False, indent=2)


def _route_text(route: Route) -> str:
    lines = [f"{route.day} ({route.timezone}): {len(route.jobs)} job(s)"]
    return "\n".join([*lines, *(_line(job) for job in route.jobs)])


def _line(job: Job) -> str:
    window = "--:--–--:--"
    if job.visit:
        window = f"{job.visit.window_start:%H:%M}–{job.visit.window_end:%H:%M}"
    actions = ",".join(job.actions) or "-"
    return (
        f"{job.visit.sequence + 1 if job.visit else '-':>2}  {window}  {job.status:<11} "
        f"#{job.id:<6} {job.consumer_name} {job.consumer_phone}  {job.address}  [{actions}]"
    )


def _status(client: FieldClient, args: argparse.Namespace) -> None:
    photos = [client.upload(args.job_id, "photo", Path(p)).client_upload_id for p in args.photo]
    signature = None
    if args.signature:
        signature = client.upload(args.job_id, "signature", Path(args.signature)).client_upload_id
    position = (args.lat, args.lon) if args.lat is not None and args.lon is not None else None
    result = client.post_event(
        args.job_id,
        args.action,
        client_event_id=args.event_id or new_id(),
        position=position,
        reason=args.reason,
        note=args.note,
        signer_name=args.signer,
        photos=[p for p in photos if p],
        signature=signature,
    )
    job = result.job
    print(f"job {result.job_id}: {result.result}, now {job.status if job else '?'}")
    for warning in result.warnings:
        print(f"warning: {warning}")


def run(args: argparse.Namespace, config: dict[str, Any], clock: Clock = system_clock) -> None:
    url = args.url or os.environ.get("FIELDCTL_URL") or config.get("url") or DEFAULT_URL
    # A saved token belongs to the server it was issued by.
    token = config.get("token") if config.get("url") == url else None
    with FieldClient(url, token, clock=clock) as client:
        command = args.command
        if command in {"login", "request-code"} and not (command == "login" and args.code):
            client.request_code(args.phone, locale=args.locale)
            print(f"code requested for {args.phone}", file=sys.stderr)
        if command in {"login", "verify"}:
            code = args.code or input("code: ").strip()
            session = client.verify_code(args.phone, code, device_name=args.device_name)
            save_config({"url": url, "token": session.token})
            print(f"signed in as {session.installer.name} ({session.installer.dealer_name})")
        elif command == "invite":
            session = client.redeem_invite(args.link)
            save_config({"url": url, "token": session.token})
            print(f"signed in as {session.installer.name} ({session.installer.dealer_name})")
        elif command == "whoami":
            me = client.me()
            print(f"{me.installer.name} {me.installer.phone} — {me.installer.dealer_name}")
            print(f"token {me.device.prefix}… expires {me.device.expires_at:%Y-%m-%d}")
        elif command == "logout":
            client.logout()
            save_config({"url": url})
            print("signed out")
        elif command == "jobs":
            route = _route(client, args.date)
            print(_as_json(route) if args.json else _route_text(route))
        elif command == "job":
            job = client.job(args.job_id)
            print(_as_json(job) if args.json else _line(job))
        elif command == "status":
            _status(client, args)


def main(argv: Sequence[str] | None = None, *, clock: Clock = system_clock) -> int:
    """Run fieldctl; return the exit status (0 ok, 1 refused or unreachable, 2 usage).
    Status changes are stamped with `clock()` (the machine's clock unless given)."""
    args = parser().parse_args(argv)
    try:
        run(args, load_config(), clock)
    except FieldError as error:
        print(f"fieldctl: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
