"""Tenant walls: the one place that decides which rows a principal may see."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, false, select

from app.auth.enums import Role
from app.auth.service import Principal
from app.errors import NotFound
from app.extensions import db

M = TypeVar("M")
ScopeRule = Callable[[Principal], ColumnElement[bool]]
_rules: dict[type, dict[Role, ScopeRule]] = {}


def tenant_scope(**rules: ScopeRule) -> Callable[[type[M]], type[M]]:
    """Declare, on a model, which rows each role sees; admins see all, unnamed roles none."""

    def register(model: type[M]) -> type[M]:
        _rules[model] = {Role(role): rule for role, rule in rules.items()}
        return model

    return register


def scope(stmt: Select[Any], model: type, principal: Principal) -> Select[Any]:
    """Restrict a query on `model` to the rows the principal may see."""
    if principal.role is Role.ADMIN:
        return stmt
    rule = _rules.get(model, {}).get(principal.role)
    return stmt.where(rule(principal) if rule else false())


def visible(model: type[M], principal: Principal) -> Select[M]:
    """Select the rows of a model the principal may see."""
    return scope(select(model), model, principal)


def get_visible(model: type[M], ident: int, principal: Principal, *, label: str = "") -> M:
    """Load one row the principal may see; anything else, including other tenants', is 404."""
    stmt = visible(model, principal).where(model.id == ident)  # type: ignore[attr-defined]
    row = db.session.scalar(stmt)
    if row is None:
        raise NotFound(f"{label or model.__name__} {ident} not found.")
    return row
