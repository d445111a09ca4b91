"""Database foundations: the model base class, the UTC datetime type, one-commit transactions,
and the retry of a unit of work the database refused only because of a concurrent one."""

from __future__ import annotations

import logging
import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import JSON, DateTime, Dialect, MetaData, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapper, Session, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def as_utc(value: datetime) -> datetime:
    """Return an aware datetime as the same instant in UTC; refuse a naive one."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("naive datetime given for an instant; attach a time zone")
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: accepts only aware datetimes, stores UTC, returns aware UTC on every database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value)
        # SQLite has no time zone type: store naive UTC, re-attach UTC when reading.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def render_migration_item(type_: str, obj: Any, _context: Any) -> str | bool:
    """Render our column types in migrations as plain SQLAlchemy types."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


class Base(DeclarativeBase):
    """Base class of every model."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON},
    )


def system_clock() -> datetime:
    """Read the machine's clock."""
    return datetime.now(UTC)


# The one clock every rule reads; tests replace it to stand on a chosen day (e.g. a DST change).
clock = system_clock


@event.listens_for(Base, "mapper_configured", propagate=True)
def _instants_in_utc(mapper: Mapper[Any], _class: type) -> None:
    # Convert on assignment, not only when written: an object just created or changed then
    # answers in UTC like one read back from the database.
    for prop in mapper.column_attrs:
        if any(isinstance(column.type, UTCDateTime) for column in prop.columns):
            event.listen(prop.class_attribute, "set", _set_utc, retval=True)


def _set_utc(_target: Any, value: Any, _old: Any, _initiator: Any) -> Any:
    return as_utc(value) if isinstance(value, datetime) else value


def utcnow() -> datetime:
    """Return the current instant in UTC."""
    return clock()


@contextmanager
def clock_set_to(read: Callable[[], datetime]) -> Iterator[None]:
    """Let every rule read time from `read` for a while (the demo seed replays weeks of work)."""
    global clock
    saved, clock = clock, read
    try:
        yield
    finally:
        clock = saved


# Whether the transaction about to begin will write. On SQLite a writing transaction starts
# with BEGIN IMMEDIATE, so it waits for the write lock up front (busy_timeout) instead of
# failing with "database is locked" when it upgrades from a read snapshot that went stale.
_write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy's "begin" event below emit BEGIN itself (pysqlite's own is wrong for us).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


@event.listens_for(Session, "after_flush")
def _note_flush_outside(session: Session, _context: Any) -> None:
    # Services flush: a write flushed outside transaction() must not be committed by the next one.
    if not session.info.get("in_unit_of_work"):
        session.info["flushed_outside"] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_flush_outside(session: Session, trans: Any) -> None:
    if trans.parent is None:
        session.info.pop("flushed_outside", None)


@contextmanager
def transaction() -> Iterator[Session]:
    """Run one unit of work and commit it once; nested use joins the outer unit."""
    from app.extensions import db

    session = db.session()
    if session.info.get("in_unit_of_work"):
        yield session
        return
    if session.in_transaction():
        if session.new or session.dirty or session.deleted or session.info.get("flushed_outside"):
            raise RuntimeError("changes were made outside transaction()")
        # End the read snapshot opened by earlier queries so the write starts fresh.
        session.commit()
    token = _write_intent.set(True)
    session.info["in_unit_of_work"] = True
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info["in_unit_of_work"] = False
        _write_intent.reset(token)


T = TypeVar("T")
log = logging.getLogger(__name__)

# SQLSTATEs after which the same unit of work, run again, may well succeed: PostgreSQL's
# serialization_failure and deadlock_detected (the whole transaction was rolled back).
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})
# Attempts of one unit of work, and the base of the jittered pause between them (seconds).
ATTEMPTS = 3
BACKOFF_SECONDS = 0.05
# What a client is told to wait before sending the request again when every attempt failed.
RETRY_AFTER_SECONDS = 1


def sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE of a database error (psycopg's sqlstate, psycopg2's pgcode), if any."""
    orig = error.orig if isinstance(error, DBAPIError) else error
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return code if isinstance(code, str) else None


def is_transient(error: BaseException) -> bool:
    """Whether the database refused the work only because of concurrent work (worth a retry)."""
    return isinstance(error, DBAPIError) and sqlstate(error) in TRANSIENT_SQLSTATES


def retrying(
    work: Callable[[], T], *, attempts: int = ATTEMPTS, backoff: float = BACKOFF_SECONDS
) -> T:
    """Run `work` (one or more whole units of work) again after a serialization failure or a
    deadlock, rolling back first, up to `attempts` times; the last failure is raised as is.

    `work` must be safe to run again from the start: everything it wrote in the failed
    attempt was rolled back with it (in-memory objects are expired and reloaded).
    """
    from app.extensions import db

    for attempt in range(1, attempts + 1):
        try:
            return work()
        except DBAPIError as error:
            if not is_transient(error) or db.session.info.get("in_unit_of_work"):
                raise  # not transient, or inside an outer unit that must be retried whole
            db.session.rollback()
            if attempt == attempts:
                log.warning("gave up after %d attempts: %s", attempts, sqlstate(error))
                raise
            log.info("retrying after %s (attempt %d of %d)", sqlstate(error), attempt, attempts)
            time.sleep(random.uniform(0, backoff * 2 ** (attempt - 1)))
    raise AssertionError("unreachable")
