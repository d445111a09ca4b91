"""flask-smorest Api configured for the project's error shape and bearer-key security."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import flask_smorest
import marshmallow as ma
from apispec.ext.marshmallow import resolver
from werkzeug.exceptions import HTTPException, UnprocessableEntity
from werkzeug.routing import BaseConverter

from app.errors import http_exception_response
from app.fields import DATE_FORM, YEARS, in_years


class ErrorDetailSchema(ma.Schema):
    """The body of an error; some errors add keys such as job_id or allowed_statuses."""

    class Meta:
        unknown = ma.INCLUDE

    code = ma.fields.String(required=True, metadata={"description": "Stable machine code"})
    message = ma.fields.String(required=True, metadata={"description": "Human explanation"})
    # "fields" is a Schema attribute, hence the data_key.
    field_errors = ma.fields.Dict(
        data_key="fields",
        required=True,
        metadata={"description": "Per-field messages (validation errors)"},
    )


class ErrorSchema(ma.Schema):
    """Every 4xx/5xx answer: {"error": {"code", "message", "fields"}}."""

    error = ma.fields.Nested(ErrorDetailSchema, required=True)


SchemaClass = TypeVar("SchemaClass", bound=type[ma.Schema])
# JSON Schema keywords for rules across fields (oneOf, anyOf) that a schema's validators check
# and apispec cannot derive from the fields; added to the schema's component in the document.
_RULES: dict[type[ma.Schema], dict[str, Any]] = {}


def states(**keywords: Any) -> Callable[[SchemaClass], SchemaClass]:
    """Class decorator: state a schema's rules across fields in its OpenAPI component."""

    def decorate(schema: SchemaClass) -> SchemaClass:
        _RULES[schema] = keywords
        return schema

    return decorate


# Stands for "absent or null" in a rule across fields.
NOT_A_VALUE: dict[str, Any] = {"nullable": True, "enum": [None]}


class Api(flask_smorest.Api):
    """The API object: documents our error shape and renders HTTP errors with it."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException) -> Any:
        return http_exception_response(error)

    def register_blueprint(self, blp: flask_smorest.Blueprint, **options: Any) -> None:
        super().register_blueprint(blp, **options)
        components = self.spec.components.schemas
        for schema, keywords in _RULES.items():
            name = resolver(schema)
            if name in components:
                components[name].update(keywords)


class DateConverter(BaseConverter):
    """A local day in a path, YYYY-MM-DD (`<date:day>`); a day that does not exist is 422."""

    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> date:
        try:
            day = date.fromisoformat(value)
            if not in_years(day.year):  # far years overflow date arithmetic
                raise ValueError(value)
            return day
        except ValueError as error:
            # Not werkzeug's ValidationError: with it a rule's sibling methods answer 405.
            refused = UnprocessableEntity()
            message = f"{value} is not a calendar day in the years 1970–2099. {DATE_FORM}"
            messages = {"path": {"day": [message]}}
            refused.data = {"messages": messages}  # type: ignore[attr-defined]
            raise refused from error

    def to_url(self, value: Any) -> str:
        return value.isoformat() if isinstance(value, date) else str(value)


def date_parameter(_: BaseConverter) -> dict[str, str]:
    """Document a `<date:...>` path parameter."""
    return {"type": "string", "format": "date", "pattern": YEARS}
