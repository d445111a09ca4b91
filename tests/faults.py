"""Make the database refuse writes the way PostgreSQL does under contention: a serialization
failure (40001) or a deadlock (40P01), raised by the driver and wrapped by SQLAlchemy."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import event

CONDITIONS = {
    "40001": "serialization_failure",
    "40P01": "deadlock_detected",
    "55P03": "lock_not_available",
}


class _SqliteFailure(sqlite3.OperationalError):
    """SQLite never reports these states; a driver error carrying the SQLSTATE stands in."""

    def __init__(self, state: str) -> None:
        super().__init__(f"injected {CONDITIONS[state]}")
        self.sqlstate = state


@dataclass
class Injected:
    """How many statements were refused so far."""

    count: int = 0


@contextmanager
def refuse(app: Flask, state: str, *, into: str, times: int | None) -> Iterator[Injected]:
    """Refuse the first `times` INSERTs into table `into` (every one when None) with `state`,
    on the app's database.

    On PostgreSQL the server itself raises the condition (a real driver error, and the
    transaction really aborted); on SQLite a driver error with the same SQLSTATE is raised.
    """
    from app.extensions import db

    with app.app_context():
        engine = db.engine
    injected = Injected()
    prefix = f"INSERT INTO {into} "

    def before(conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith(prefix) or (times is not None and injected.count >= times):
            return
        injected.count += 1
        if conn.dialect.name == "postgresql":
            cursor.execute(
                f"DO $$ BEGIN RAISE EXCEPTION 'injected {CONDITIONS[state]}' "
                f"USING ERRCODE = '{state}'; END $$"
            )
        raise _SqliteFailure(state)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield injected
    finally:
        event.remove(engine, "before_cursor_execute", before)
