"""Fuwutong: the application factory."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask, Response, redirect, request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.middleware.proxy_fix import ProxyFix

from app.db import render_migration_item
from app.errors import error_response, register_error_handlers
from app.extensions import api, migrate
from app.extensions import db as database  # not `db`: that would hide the app.db module
from app.openapi import DateConverter, date_parameter
from config import BASE_DIR, INSTANCE_DIR, Config

JSON_BODY_METHODS = {"POST", "PUT", "PATCH"}


def create_app(config_class: type = Config) -> Flask:
    """Build the application."""
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.from_object(config_class)
    # Keep the schema's field order and readable Chinese in responses.
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_request_checks(app)
    register_commands(app)
    register_reactions()
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
                    "bearerAuth": {"type": "http", "scheme": "bearer", "description": "API key"}
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
    api.register_converter(DateConverter, date_parameter)


def register_blueprints(app: Flask) -> None:
    # Importing a domain's api module registers its routes on the domain's blueprint.
    from app.auth import api as auth_api
    from app.dispatch import api as dispatch_api
    from app.jobs import api as jobs_api
    from app.network import api as network_api
    from app.scheduling import api as scheduling_api

    for module in (network_api, jobs_api, dispatch_api, scheduling_api, auth_api):
        api.register_blueprint(module.blp)
    api.register_blueprint(dispatch_api.plans_blp)
    register_pages(app)

    @app.get("/")
    def index() -> Response:
        return redirect("/api/docs")  # type: ignore[return-value]


def register_pages(app: Flask) -> None:
    # Importing a pages module registers its routes on the domain's page blueprint.
    from app.auth import web
    from app.dispatch import pages as dispatch_pages

    app.permanent_session_lifetime = timedelta(days=app.config["SESSION_DAYS"])
    for module in (web, dispatch_pages):
        app.register_blueprint(module.bp)


def register_request_checks(app: Flask) -> None:
    @app.before_request
    def _json_only() -> Response | None:
        if request.method not in JSON_BODY_METHODS or not request.path.startswith("/api/v1/"):
            return None
        has_body = bool(request.content_length) or "chunked" in request.headers.get(
            "Transfer-Encoding", ""
        )
        if has_body and request.mimetype != "application/json":
            return error_response(
                415,
                "unsupported_media_type",
                "Send JSON with Content-Type: application/json "
                f"(got {request.mimetype or 'none'}).",
            )
        return None

    @app.errorhandler(IntegrityError)
    def _integrity(error: IntegrityError) -> Response:
        # A uniqueness or reference rule caught by the database after a concurrent change.
        database.session.rollback()
        app.logger.info("integrity error answered 409: %s", error.orig)
        return error_response(
            409, "conflict", "The change conflicts with existing data; reload and retry."
        )

    @app.errorhandler(StaleDataError)
    def _stale(_: StaleDataError) -> Response:
        database.session.rollback()
        return error_response(
            409,
            "concurrent_update",
            "The record changed while you were updating it; reload and retry.",
        )


def register_reactions() -> None:
    from app.dispatch.planning import triggers
    from app.notify import reactions

    reactions.connect()
    triggers.connect()


def register_commands(app: Flask) -> None:
    from app.auth.cli import apikey_cli
    from app.demo.cli import demo_cli
    from app.scheduler import scheduler_cli

    app.cli.add_command(apikey_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(scheduler_cli)
