"""flask-smorest Api configured for the project's error shape and bearer-key security."""

from __future__ import annotations

from datetime import date
from typing import Any

import flask_smorest
import marshmallow as ma
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


class Api(flask_smorest.Api):
    """The API object: documents our error shape and renders HTTP errors with it."""

    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error: HTTPException) -> Any:
        return http_exception_response(error)


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
