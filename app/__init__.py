"""Fuwutong: the application factory."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Response, redirect, request, send_from_directory
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from app import i18n
from app.db import is_transient, render_migration_item, retrying
from app.errors import error_response, register_error_handlers, transient_failure_response
from app.extensions import api, limiter, migrate
from app.extensions import db as database  # not `db`: that would hide the app.db module
from app.fields import MAX_ID
from app.openapi import DateConverter, date_parameter
from config import BASE_DIR, INSTANCE_DIR, Config, instance_secret_key

JSON_BODY_METHODS = {"POST", "PUT", "PATCH"}
JSON_API_PREFIXES = ("/api/v1/", "/api/field/")
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
# Endpoints that take multipart/form-data (photo and signature uploads) instead of JSON.
MULTIPART_ENDPOINTS = frozenset({"field.upload_attachment"})


class Fuwutong(Flask):
    """Flask, with every view run again after a serialization failure or deadlock."""

    def dispatch_request(self) -> Any:
        # A view is a whole unit of work (or several, each safe to repeat: idempotency keys
        # and client event ids replay): after a rollback it can simply run again. Its JSON
        # body is cached by the first read; an uploaded file is rewound.
        def again() -> Any:
            for upload in (request.__dict__.get("files") or {}).values():
                upload.stream.seek(0)
            return super(Fuwutong, self).dispatch_request()

        return retrying(again)


def create_app(config_class: type = Config) -> Flask:
    """Build the application."""
    app = Fuwutong(__name__, instance_path=str(INSTANCE_DIR))
    app.config.from_object(config_class)
    # Keep the schema's field order and readable Chinese in responses.
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))
    register_extensions(app)
    i18n.init_app(app)
    register_converters(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_request_checks(app)
    register_commands(app)
    register_reactions()
    register_operations(app)
    if app.config["PROXY_FIX_HOPS"]:
        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]
    return app


def register_extensions(app: Flask) -> None:
    from app import models  # noqa: F401  (the whole schema, for Alembic)

    database.init_app(app)
    migrate.init_app(
        app,
        database,
        directory=str(BASE_DIR / "migrations"),
        compare_type=True,
        render_as_batch=True,
        render_item=render_migration_item,
    )
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "components": {
                "securitySchemes": {
                    "bearerAuth": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "API key (fwt_…) or an installer's device token (fwd_…)",
                    }
                }
            },
            "security": [{"bearerAuth": []}],
            "info": {
                "description": "Service-appointment dispatch: brands push jobs, dealers and "
                "installers serve them. Errors always answer "
                '`{"error": {"code", "message", "fields"}}`.'
            },
        },
    )
    app.url_map.converters["date"] = DateConverter
    api.init_app(app)
    limiter.init_app(app)
    api.register_converter(DateConverter, date_parameter)


class IdConverter(IntegerConverter):
    """`<int:...>` in routes: an id the database can hold; a larger one is an unknown URL (404)."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def register_converters(app: Flask) -> None:
    # Before the blueprints, so every route's ids are bounded (and documented as bounded).
    app.url_map.converters["int"] = IdConverter


def register_blueprints(app: Flask) -> None:
    # Importing a domain's api module registers its routes on the domain's blueprint.
    from app.auth import api as auth_api
    from app.dispatch import api as dispatch_api
    from app.field import api as field_api
    from app.field import signin_api
    from app.jobs import api as jobs_api
    from app.jobs import order_api  # noqa: F401  (its routes are on the jobs blueprint)
    from app.network import api as network_api
    from app.notify import api as notify_api
    from app.ops import api as ops_api
    from app.scheduling import api as scheduling_api
    from app.sla import api as sla_api
    from field_client.blueprint import web as field_web

    modules = (
        network_api,
        jobs_api,
        dispatch_api,
        scheduling_api,
        notify_api,
        sla_api,
        auth_api,
        field_api,
        ops_api,
    )
    for module in modules:
        api.register_blueprint(module.blp)
    api.register_blueprint(field_api.proof_blp)
    api.register_blueprint(signin_api.signin_blp)
    api.register_blueprint(signin_api.access_blp)
    app.register_blueprint(field_web)

    from app.consumer import pages as consumer_pages
    from app.notify import webhooks

    app.register_blueprint(consumer_pages.bp)
    app.register_blueprint(webhooks.bp)
    api.register_blueprint(dispatch_api.plans_blp)
    register_pages(app)

    @app.get("/")
    def index() -> Response:
        return redirect("/api/docs")  # type: ignore[return-value]

    @app.get("/favicon.ico")
    def favicon() -> Response:
        # Browsers ask for it on every page (Swagger UI and JSON answers too).
        return send_from_directory(
            app.static_folder or "static",
            "favicon.ico",
            mimetype="image/vnd.microsoft.icon",
            max_age=86400,
        )


def register_pages(app: Flask) -> None:
    # Importing a pages module registers its routes on the domain's page blueprint.
    from app.auth import web
    from app.dispatch import pages as dispatch_pages
    from app.sla import pages as sla_pages

    app.permanent_session_lifetime = timedelta(days=app.config["SESSION_DAYS"])
    for module in (web, dispatch_pages, sla_pages):
        app.register_blueprint(module.bp)


def register_request_checks(app: Flask) -> None:
    @app.before_request
    def _json_only() -> Response | None:
        if (
            request.method not in JSON_BODY_METHODS
            or not request.path.startswith(JSON_API_PREFIXES)
            or request.routing_exception is not None  # 404/405 answer before the body does
        ):
            return None
        has_body = bool(request.content_length) or "chunked" in request.headers.get(
            "Transfer-Encoding", ""
        )
        multipart = request.endpoint in MULTIPART_ENDPOINTS
        expected = "multipart/form-data" if multipart else "application/json"
        if has_body and request.mimetype != expected:
            what = (
                "a multipart/form-data upload"
                if multipart
                else "JSON with Content-Type: application/json"
            )
            return error_response(
                415, "unsupported_media_type", f"Send {what} (got {request.mimetype or 'none'})."
            )
        return None

    @app.before_request
    def _text_only() -> Response | None:
        # PostgreSQL cannot store NUL characters (SQLite would keep them silently) and no
        # database can store unpaired surrogates: refuse them here, for every field at once.
        # Every path: the API, the field API, and the pages' forms.
        bad = [name for name, value in request.args.items(multi=True) if not _is_text(value)]
        if request.method in JSON_BODY_METHODS and request.is_json:
            bad += _not_text(request.get_json(silent=True))
        elif request.method in JSON_BODY_METHODS and request.mimetype in FORM_TYPES:
            bad += [name for name, value in request.form.items(multi=True) if not _is_text(value)]
        if not bad:
            return None
        return error_response(
            422,
            "invalid_text",
            "Text may not contain NUL characters or unpaired surrogates.",
            {name: ["Not valid text."] for name in bad},
        )

    @app.errorhandler(IntegrityError)
    def _integrity(error: IntegrityError) -> Response:
        # A uniqueness or reference rule caught by the database after a concurrent change.
        database.session.rollback()
        app.logger.info("integrity error answered 409: %s", error.orig)
        return error_response(
            409, "conflict", "The change conflicts with existing data; reload and retry."
        )

    @app.errorhandler(DBAPIError)
    def _database_error(error: DBAPIError) -> Response:
        database.session.rollback()
        if is_transient(error):
            # Every attempt collided with concurrent work; all of them were rolled back.
            return transient_failure_response(error)
        app.logger.exception("database error")
        return error_response(500, "internal_error", "An unexpected error occurred.")

    @app.errorhandler(StaleDataError)
    def _stale(_: StaleDataError) -> Response:
        database.session.rollback()
        return error_response(
            409,
            "concurrent_update",
            "The record changed while you were updating it; reload and retry.",
        )


def register_operations(app: Flask) -> None:
    """Request ids (and request logs when LOG_REQUESTS), Prometheus request metrics."""
    from app.ops import logs, metrics

    logs.track_requests(app, log_requests=app.config["LOG_REQUESTS"])
    metrics.instrument(app)


def register_reactions() -> None:
    """Wire the reactions that go up the layers (README "Layout"): a lower domain sends a
    signal, the domain above subscribes here."""
    from app.dispatch import reactions as dispatch_reactions
    from app.dispatch.planning import triggers
    from app.notify import reactions
    from app.scheduling import reactions as scheduling_reactions
    from app.sla import facts

    dispatch_reactions.connect()
    scheduling_reactions.connect()
    reactions.connect()
    facts.connect()
    triggers.connect()


def _is_text(value: str) -> bool:
    if "\x00" in value:
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _not_text(value: Any, path: str = "") -> list[str]:
    """List the places in a JSON document whose strings are not storable text."""
    if isinstance(value, str):
        return [] if _is_text(value) else [path or "_json"]
    if isinstance(value, dict):
        items: list[tuple[Any, Any]] = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return []
    bad = []
    for key, item in items:
        where = f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and not _is_text(key):
            bad.append(where)
        bad += _not_text(item, where)
    return bad


def register_commands(app: Flask) -> None:
    from app.auth.cli import apikey_cli, user_cli
    from app.demo.cli import demo_cli
    from app.field.cli import installer_cli
    from app.scheduler import scheduler_cli
    from app.sla.cli import sla_cli

    app.cli.add_command(apikey_cli)
    app.cli.add_command(user_cli)
    app.cli.add_command(installer_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(scheduler_cli)
    app.cli.add_command(sla_cli)
