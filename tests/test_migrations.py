"""The migrations build, from an empty database, exactly the schema the models describe."""

import os
from collections.abc import Iterator

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask, current_app
from sqlalchemy import inspect

from app import create_app
from app.extensions import db
from tests.conftest import _postgres_database, make_config


@pytest.fixture
def empty_app(tmp_path) -> Iterator[Flask]:
    """An app on a database nobody has touched: a new SQLite file or PostgreSQL database."""
    url = os.environ.get("TEST_DATABASE_URL")
    urls = _postgres_database(url) if url else iter([f"sqlite:///{tmp_path / 'empty.db'}"])
    fresh = next(urls)
    app = create_app(make_config(fresh))
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()
        next(urls, None)  # drops the PostgreSQL database


def _differences() -> list:
    options = dict(current_app.extensions["migrate"].configure_args)
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts=options)
        return compare_metadata(context, db.metadata)


def _tables() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def test_upgrade_from_empty_matches_the_models(empty_app):
    with empty_app.app_context():
        assert _tables() == set()
        flask_migrate.upgrade()
        assert _tables() == set(db.metadata.tables) | {"alembic_version"}
        assert _differences() == []


def test_downgrade_to_base_and_upgrade_again(empty_app):
    with empty_app.app_context():
        flask_migrate.upgrade()
        flask_migrate.downgrade(revision="base")
        assert _tables() == {"alembic_version"}
        flask_migrate.upgrade()
        assert _differences() == []
