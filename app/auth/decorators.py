"""View decorators: who may call an endpoint."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import g, request

from app.auth.enums import Role
from app.auth.service import Principal, authenticate_bearer
from app.errors import Forbidden, Unauthorized

F = TypeVar("F", bound=Callable[..., Any])


def current_principal() -> Principal:
    """Return the principal authenticated for this request."""
    principal: Principal | None = g.get("principal")
    if principal is None:
        raise RuntimeError("current_principal() used on a view without require_role")
    return principal


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "Send an API key as 'Authorization: Bearer <key>'.",
            code="missing_credentials",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return token.strip()


def require_role(*roles: Role) -> Callable[[F], F]:
    """Authenticate the bearer credential and allow only the given roles (403 otherwise)."""
    allowed = frozenset(roles)

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            principal = authenticate_bearer(_bearer_token())
            if principal.role not in allowed:
                raise Forbidden(
                    f"This endpoint is not available to {principal.role} credentials.",
                    code="wrong_role",
                )
            g.principal = principal
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator
