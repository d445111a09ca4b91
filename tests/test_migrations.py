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


def _row(table, **given):  # type: ignore[no-untyped-def]
    """A row for a reflected table: the given values, and a plain value for every other
    column that must have one."""
    from datetime import UTC, date, datetime

    import sqlalchemy as sa

    plain = {
        sa.String: "x",
        sa.Text: "",
        sa.Integer: 1,
        sa.Float: 31.2,
        sa.Boolean: False,
        sa.DateTime: datetime(2026, 11, 1, tzinfo=UTC),
        sa.Date: date(2026, 11, 1),
        sa.JSON: [],
    }
    row = dict(given)
    for column in table.columns:
        if column.name in row or column.nullable or column.primary_key:
            continue
        if column.server_default is not None:
            continue
        row[column.name] = next(v for t, v in plain.items() if isinstance(column.type, t))
    return row


def test_every_existing_job_becomes_an_order_with_one_visit(empty_app):
    """0012_orders: a job of before orders keeps its id, brand and order id as an order of
    one visit, with no goods rule and no dependency (so its booking stays valid)."""
    import sqlalchemy as sa

    with empty_app.app_context():
        flask_migrate.upgrade(revision="0011_sms_secret_body")
        meta = sa.MetaData()
        meta.reflect(db.engine, only=["brands", "jobs"])
        brands, jobs = meta.tables["brands"], meta.tables["jobs"]
        with db.engine.begin() as conn:
            conn.execute(brands.insert().values(_row(brands, id=7, code="b7", name="B")))
            for job_id, external in ((41, "OAK-1"), (42, "OAK-2")):
                values = _row(jobs, id=job_id, brand_id=7, external_id=external, status="scheduled")
                conn.execute(jobs.insert().values(values))
        flask_migrate.upgrade()
        with db.engine.connect() as conn:
            orders = conn.execute(
                sa.text("SELECT id, brand_id, external_id FROM orders ORDER BY id")
            ).all()
            visits = conn.execute(
                sa.text(
                    "SELECT id, order_id, sequence, needs_goods, after_job_id, status "
                    "FROM jobs ORDER BY id"
                )
            ).all()
        assert [tuple(o) for o in orders] == [(41, 7, "OAK-1"), (42, 7, "OAK-2")]
        assert [tuple(v) for v in visits] == [
            (41, 41, 1, False, None, "scheduled"),
            (42, 42, 1, False, None, "scheduled"),
        ]
        # New orders do not collide with the carried-over ids.
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO orders (brand_id, external_id, created_at) "
                    "VALUES (7, 'OAK-3', CURRENT_TIMESTAMP)"
                )
            )
            assert conn.execute(sa.text("SELECT MAX(id) FROM orders")).scalar() == 43
        assert _differences() == []
