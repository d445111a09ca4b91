"""Web sign-in for server-rendered pages: a signed session cookie names the credential.

The cookie (Flask's signed session) holds only what kind of credential signed in and its
id, never a secret; every request loads that credential again, so a revoked key ends its
sessions at once. Today a dispatcher signs in by pasting their dealer API key; another
kind of credential (brand users with passwords) needs only its own loader and form.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import Response, g, redirect, render_template, request, session, url_for
from sqlalchemy import select

from app.auth import web_bp as bp
from app.auth.enums import Role
from app.auth.models import ApiKey
from app.auth.service import Principal, authenticate_api_key, key_principal
from app.auth.texts import texts
from app.errors import AppError, BadRequest, Unauthorized
from app.extensions import db, limiter
from app.i18n import person_language, word

F = TypeVar("F", bound=Callable[..., Any])
SIGNED_IN = "signed_in"  # session key: {"kind": ..., "id": ...}
Loader = Callable[[int], Principal | None]
_loaders: dict[str, Loader] = {}


def session_loader(kind: str) -> Callable[[Loader], Loader]:
    """Register how a kind of signed-in credential becomes a Principal again."""

    def register(load: Loader) -> Loader:
        _loaders[kind] = load
        return load

    return register


@session_loader("api_key")
def _api_key_principal(key_id: int) -> Principal | None:
    key = db.session.scalar(select(ApiKey).where(ApiKey.id == key_id))
    if key is None or key.revoked_at is not None:
        return None
    return key_principal(key)


@session_loader("user")
def _user_principal(user_id: int) -> Principal | None:
    from app.auth.models import User
    from app.auth.users import principal_of

    user = db.session.get(User, user_id)
    return principal_of(user) if user is not None and user.active else None


def home_for(principal: Principal) -> str:
    """Where a signed-in person starts: brands and admins on the SLA dashboard, dealers on
    their day plans."""
    return url_for("dispatch_pages.index") if principal.role is Role.DEALER else "/sla/"


def sign_in(kind: str, ident: int) -> None:
    """Start a fresh session for a credential (a new session, so no fixation)."""
    session.clear()
    session.permanent = True
    session[SIGNED_IN] = {"kind": kind, "id": ident}


def sign_out() -> None:
    """End the session."""
    session.clear()


def web_principal() -> Principal | None:
    """Return who signed in to this session, or None (also when the credential was revoked)."""
    if "web_principal" in g:
        return cast(Principal | None, g.web_principal)
    who = session.get(SIGNED_IN)
    principal = None
    if isinstance(who, dict) and who.get("kind") in _loaders and isinstance(who.get("id"), int):
        principal = _loaders[who["kind"]](who["id"])
    g.web_principal = principal
    return principal


def csrf_token() -> str:
    """Return this session's token for forms that change something."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return str(session["csrf"])


def check_csrf() -> None:
    """Refuse a form post without this session's token (400)."""
    sent = request.form.get("csrf", "")
    if not sent or not hmac.compare_digest(sent, str(session.get("csrf", ""))):
        raise BadRequest("The form expired; reload the page and try again.", code="csrf")


def _safe_next(target: str | None) -> str | None:
    """Return a same-site path to go back to, or None."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc or "\\" in target else target


def page_login_required(*roles: Role) -> Callable[[F], F]:
    """Let signed-in principals of these roles in; the view gets `principal=`.

    Nobody signed in: redirect to the sign-in page and back. Wrong role: 403 page.
    """
    allowed = frozenset(roles)

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            principal = web_principal()
            if principal is None:
                return redirect(url_for("web_auth.login", next=request.full_path.rstrip("?")))
            if principal.role not in allowed:
                ui = texts(person_language())
                role = word("role", principal.role, person_language())
                message = ui["not_for_role"].format(role=role)
                return _page("auth/message.html", 403, title=ui["title_403"], message=message)
            g.principal = principal
            return view(*args, principal=principal, **kwargs)

        return cast(F, wrapped)

    return decorator


def _page(template: str, status: int = 200, **context: Any) -> Response:
    response = Response(render_template(template, **context), status)
    response.headers["Cache-Control"] = "no-store"
    return response


def error_page(error: AppError) -> Response:
    """Render a domain error as a page (pages' blueprints register this)."""
    ui = texts(person_language())
    status = error.status if error.status in (403, 404, 409) else 400
    # The domain's sentence is English; a Chinese page says what happened in Chinese.
    message = ui[f"message_{status}"] or error.message
    if error.code == "csrf":
        message = ui["err_csrf"]
    return _page("auth/message.html", error.status, title=ui[f"title_{status}"], message=message)


bp.register_error_handler(AppError, error_page)


def signed_in_as() -> str:
    """Name who is signed in for the page header: their organisation, then the person (or the
    API key's name), e.g. "Oakline Doors · Li Wei"."""
    from app.auth.models import User
    from app.auth.service import owner_row

    who = web_principal()
    if who is None:
        return ""
    owner = None
    if who.brand_id:
        owner = owner_row(ApiKey.brand_id, who.brand_id)
    elif who.dealer_id:
        owner = owner_row(ApiKey.dealer_id, who.dealer_id)
    credential: User | ApiKey | None
    if who.credential_kind == "user":
        credential = db.session.get(User, who.credential_id)
    else:
        credential = db.session.get(ApiKey, who.credential_id)
    admin = texts(person_language())["platform_admin"]
    names = [owner.name if owner else admin, credential.name if credential else ""]
    return " · ".join(name for name in names if name)


@bp.app_context_processor
def _page_context() -> dict[str, Any]:
    lang = person_language()
    return {
        "csrf_token": csrf_token,
        "signed_in": web_principal,
        "signed_in_as": signed_in_as,
        "lang": lang,
        "ui": texts(lang),
    }


@bp.route("/login", methods=["GET", "POST"])
@bp.route("/dispatch/login", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"])
def login() -> Response:
    """Sign in with an e-mail and password, or by pasting an API key once."""
    from app.auth.users import authenticate_user, principal_of
    from app.db import transaction

    target = _safe_next(request.values.get("next"))
    key_first = request.path.startswith("/dispatch/")  # dispatchers mostly sign in with a key
    if request.method == "GET":
        return _page("auth/login.html", next=target or "", key_first=key_first)
    check_csrf()
    email = request.form.get("email", "").strip()
    raw = request.form.get("api_key", "").strip()
    principal: Principal | None = None
    kind = "api_key"
    if email:
        with transaction():
            user = authenticate_user(email, request.form.get("password", ""))
            if user is not None:
                principal, kind = principal_of(user), "user"
    elif raw:
        try:
            principal = authenticate_api_key(raw)
        except Unauthorized:
            principal = None
    if principal is None:
        ui = texts(person_language())
        error = ui["err_password"] if email else ui["err_key"]
        if not email and not raw:
            error = ui["err_empty"]
        return _page(
            "auth/login.html", 401, next=target or "", error=error, email=email, key_first=bool(raw)
        )
    sign_in(kind, principal.credential_id)
    return redirect(target or home_for(principal))  # type: ignore[return-value]


@bp.route("/dispatch/logout", methods=["POST"])
def logout() -> Response:
    """Sign out."""
    check_csrf()
    sign_out()
    return redirect(url_for("web_auth.login"))  # type: ignore[return-value]
