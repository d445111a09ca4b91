"""Fixtures: one database per test session (SQLite file, or PostgreSQL when TEST_DATABASE_URL is
set), migrated once and emptied before every test; the app under test; HTTP clients per role."""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import flask_migrate
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, make_url, text
from werkzeug.serving import make_server

from app import create_app
from app.db import Base, transaction
from app.extensions import db
from config import TestConfig
from tests import factories


def pytest_unconfigure(config: pytest.Config) -> None:
    """Cancel leftover timers (the rate limiter's memory storage expires keys on a
    threading.Timer). Under libfaketime (the shifted-clock runs, README "Tests") a timed wait
    never ends, so a live timer would keep the process from exiting."""
    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.cancel()


def _postgres_database(url: str) -> Iterator[str]:
    """Create a throwaway database next to TEST_DATABASE_URL so parallel runs never collide."""
    base = make_url(url)
    name = f"{base.database}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield from _postgres_database(url)
    else:
        # A file, not :memory:, so threads in concurrency tests get their own connections (WAL).
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def make_config(database_url: str, **overrides: Any) -> type:
    """Return a TestConfig subclass pointing at the test database."""
    return type("Config", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url, **overrides})


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    uploads = tmp_path_factory.mktemp("uploads")
    app = create_app(make_config(database_url, UPLOAD_DIR=str(uploads)))
    with app.app_context():
        flask_migrate.upgrade()
    yield app
    # Close the pooled connections before the database is dropped.
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _empty_database(app: Flask) -> Iterator[None]:
    empty_database(app)
    yield


def empty_database(app: Flask) -> None:
    """Delete every row, forget the caches and rate limits, empty the upload folder."""
    from app.auth import service as auth_service
    from app.dispatch import areas
    from app.extensions import limiter

    with app.app_context(), transaction():
        for table in reversed(Base.metadata.sorted_tables):
            db.session.execute(table.delete())
    auth_service._last_used_written.clear()
    factories.TEXTS.install()
    factories.TEXTS.sent.clear()
    areas.forget()
    with app.app_context():
        limiter.reset()  # rate limits are per test
    uploads = Path(app.config["UPLOAD_DIR"])
    shutil.rmtree(uploads, ignore_errors=True)
    uploads.mkdir()


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """An application context for calling services directly; uncommitted work is rolled back."""
    with app.app_context():
        yield
        db.session.rollback()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Api:
    """A test client that sends one credential and JSON."""

    def __init__(self, client: FlaskClient, key: str | None) -> None:
        self.client = client
        self.key = key

    def request(
        self,
        method: str,
        path: str,
        json: Any = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        all_headers = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        all_headers.update(headers or {})
        return self.client.open(path, method=method, json=json, headers=all_headers, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", path, json=json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.request("PUT", path, json=json, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return self.request("PATCH", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.request("DELETE", path, **kwargs)


@pytest.fixture
def as_key(client: FlaskClient):  # type: ignore[no-untyped-def]
    """Return a factory: as_key(raw_key) -> Api sending that key."""
    return lambda key: Api(client, key)


@pytest.fixture
def admin(app: Flask, client: FlaskClient) -> Api:
    from tests import factories

    return Api(client, factories.api_key(app, "admin"))


@pytest.fixture
def tenant(app: Flask, as_key):  # type: ignore[no-untyped-def]
    """A brand with its key, and a dealer (with a key) authorized for it."""
    from tests import factories

    brand = factories.brand(app)
    dealer = factories.dealer(app)
    factories.authorize(app, brand, dealer)
    factories.known_skills(app)
    return SimpleNamespace(
        brand=brand,
        dealer=dealer,
        api=as_key(factories.api_key(app, "brand", brand=brand)),
        dealer_api=as_key(factories.api_key(app, "dealer", dealer=dealer)),
    )


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Serve the app over real HTTP on 127.0.0.1 (threaded) for browser and concurrency tests."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


class FrozenClock:
    """The one clock of a test: app.db.utcnow() reads it, and so does every client the test
    drives — the field client and fieldctl take it as their `clock`, and a browser context
    follows it (`clock.follow(context)`) so the page's Date agrees with the server's time."""

    def __init__(self) -> None:
        from datetime import UTC, datetime

        self.now = datetime.now(UTC)
        self._followers: list[Any] = []

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now

    def set(self, value):  # type: ignore[no-untyped-def]
        self.now = value
        for context in self._followers:
            context.clock.set_fixed_time(value)

    def follow(self, context: Any) -> Any:
        """Let a Playwright browser context's Date read this clock from now on; return it."""
        context.clock.set_fixed_time(self.now)
        self._followers.append(context)
        return context


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    """Freeze app time; set it with clock.set(aware_datetime)."""
    import app.db

    frozen = FrozenClock()
    monkeypatch.setattr(app.db, "clock", frozen)
    return frozen


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "test-artifacts")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium driven by Playwright (never `playwright install`)."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install the Debian package chromium (see .ci/run)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def phone(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context the size of a phone (375×667); its Date follows the test's
    `clock` when the test freezes one."""
    context = browser.new_context(viewport={"width": 375, "height": 667}, device_scale_factor=2)
    if "clock" in request.fixturenames:
        request.getfixturevalue("clock").follow(context)
    yield context
    context.close()


def screenshot(page: Any, name: str) -> str:
    """Save a screenshot under test-artifacts/ (look at them: a passing test can show a broken page)."""
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, f"{name}.png")
    page.screenshot(path=path, full_page=True)
    return path
