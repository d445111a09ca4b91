"""Page-number pagination shared by every list endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import marshmallow as ma
from sqlalchemy import Select, func, select

from app.extensions import db


class PageArgsSchema(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))


@dataclass
class Page:
    items: list[Any]
    total: int
    page: int
    per_page: int


def paginate(stmt: Select[Any], *, page: int, per_page: int) -> Page:
    """Run a select for one page and count the whole result."""
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    return Page(items=items, total=total or 0, page=page, per_page=per_page)


_page_schemas: dict[type[ma.Schema], type[ma.Schema]] = {}


def page_schema(item_schema: type[ma.Schema]) -> type[ma.Schema]:
    """Return (once per item schema) the schema of a page of those items."""
    if item_schema not in _page_schemas:
        name = item_schema.__name__.removesuffix("Schema") + "PageSchema"
        _page_schemas[item_schema] = type(
            name,
            (ma.Schema,),
            {
                "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
                "total": ma.fields.Integer(required=True),
                "page": ma.fields.Integer(required=True),
                "per_page": ma.fields.Integer(required=True),
            },
        )
    return _page_schemas[item_schema]
