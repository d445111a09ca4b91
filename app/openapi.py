"""flask-smorest Api configured for the project's error shape and bearer-key security."""

from __future__ import annotations

from typing import Any

import flask_smorest
import marshmallow as ma
from werkzeug.exceptions import HTTPException

from app.errors import http_exception_response


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
