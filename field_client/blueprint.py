"""Serves the installer's web app (a PWA) at /field/; the service worker at /field/sw.js."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from flask import Blueprint, Response, redirect, send_from_directory

WEB = Path(__file__).resolve().parent / "web"
STATIC = WEB / "static"
# Every response of the app shell may only load from this origin (plus photos made in the page).
CSP = (
    "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)

web = Blueprint("field_web", __name__, url_prefix="/field")


@cache
def shell_files() -> tuple[str, ...]:
    """URLs of the app shell the service worker keeps for offline use."""
    assets = sorted(p.relative_to(STATIC).as_posix() for p in STATIC.rglob("*") if p.is_file())
    return ("/field/", "/field/manifest.webmanifest", *(f"/field/static/{a}" for a in assets))


@cache
def shell_version() -> str:
    """A digest of the shell's files: a new deployment makes the phones fetch the new shell."""
    digest = hashlib.sha256()
    for path in sorted(WEB.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(WEB).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _fresh(response: Response) -> Response:
    # Always revalidated: the service worker decides what is served offline.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@web.get("")
def bare() -> Response:
    return redirect("/field/", code=308)  # type: ignore[return-value]


@web.get("/")
def index() -> Response:
    """The app shell."""
    return _fresh(send_from_directory(WEB, "index.html", mimetype="text/html"))


@web.get("/manifest.webmanifest")
def manifest() -> Response:
    return _fresh(
        send_from_directory(WEB, "manifest.webmanifest", mimetype="application/manifest+json")
    )


@web.get("/sw.js")
def service_worker() -> Response:
    """The service worker, with the shell's file list and version written in."""
    source = (WEB / "sw.js").read_text(encoding="utf-8")
    files = ", ".join(f'"{url}"' for url in shell_files())
    body = source.replace("__VERSION__", shell_version()).replace('"__SHELL__"', files)
    return _fresh(Response(body, mimetype="text/javascript"))


@web.get("/static/<path:name>")
def static(name: str) -> Response:
    return _fresh(send_from_directory(STATIC, name))
