"""Database foundations: instants in UTC, one-commit transactions, SQLite settings."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, insert, select, text
from sqlalchemy.exc import StatementError

from app.db import transaction
from app.extensions import db
from app.network.models import Brand, Installer, InstallerTimeOff
from tests import factories

SHANGHAI = timezone(timedelta(hours=8))
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 12, 24, 9, 30, 15, 123456, tzinfo=SHANGHAI),
        datetime(2026, 7, 4, 20, 0, tzinfo=NEW_YORK),  # EDT, UTC-4
        datetime(2026, 1, 15, 20, 0, tzinfo=NEW_YORK),  # EST, UTC-5
        datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NEW_YORK),  # the repeated hour, 2nd time
        datetime(2026, 3, 1, 0, 0, tzinfo=UTC),
    ],
)
def test_instants_round_trip_as_utc(app, moment):
    installer = factories.installer(app, factories.dealer(app))
    with app.app_context():
        with transaction():
            absence = InstallerTimeOff(
                installer_id=installer.id,
                starts_at=moment,
                ends_at=moment + timedelta(hours=1),
                reason="",
            )
            db.session.add(absence)
        # Converted on assignment already, not only when written.
        assert absence.starts_at.utcoffset() == timedelta(0)
        absence_id = absence.id
    with app.app_context():
        stored = db.session.get(InstallerTimeOff, absence_id)
        # (Compared in UTC: Python never finds a time in a DST fold equal across zones.)
        assert stored.starts_at == moment.astimezone(UTC)
        assert stored.starts_at.timestamp() == moment.timestamp()
        assert stored.starts_at.tzinfo is UTC
        assert stored.starts_at.replace(tzinfo=None) == moment.astimezone(UTC).replace(tzinfo=None)
        assert stored.ends_at - stored.starts_at == timedelta(hours=1)
        raw = db.session.execute(
            text("SELECT starts_at FROM installer_time_off WHERE id = :id"), {"id": absence_id}
        ).scalar_one()
        expected_utc = moment.astimezone(UTC)
        if db.engine.dialect.name == "sqlite":
            assert raw == expected_utc.strftime("%Y-%m-%d %H:%M:%S.%f")
        else:
            assert raw == expected_utc


def test_comparisons_use_the_instant(app):
    installer = factories.installer(app, factories.dealer(app))
    factories.time_off(app, installer)  # starts 2026-12-01T00:00Z
    with app.app_context():
        same = datetime(2026, 12, 1, 8, 0, tzinfo=SHANGHAI)
        later = datetime(2026, 11, 30, 19, 1, tzinfo=NEW_YORK)  # 2026-12-01T00:01Z
        assert db.session.scalar(
            select(InstallerTimeOff.id).where(InstallerTimeOff.starts_at == same)
        )
        assert not db.session.scalar(
            select(InstallerTimeOff.id).where(InstallerTimeOff.starts_at >= later)
        )


def test_naive_datetimes_are_refused(app):
    installer = factories.installer(app, factories.dealer(app))
    naive = datetime(2026, 12, 24, 9, 30)  # noqa: DTZ001
    with app.app_context():
        with pytest.raises(ValueError, match="naive datetime"):
            InstallerTimeOff(installer_id=installer.id, starts_at=naive, ends_at=naive)
        absence = InstallerTimeOff(installer_id=installer.id, reason="")
        with pytest.raises(ValueError, match="naive datetime"):
            absence.ends_at = naive
        with pytest.raises(StatementError, match="naive datetime"):
            db.session.execute(
                insert(InstallerTimeOff).values(
                    installer_id=installer.id, starts_at=naive, ends_at=naive, reason=""
                )
            )
        db.session.rollback()
    assert factories.count(app, InstallerTimeOff) == 0


def test_defaults_are_aware_utc(app):
    brand = factories.brand(app)
    with app.app_context():
        created = db.session.get(Brand, brand.id).created_at
    assert created.tzinfo is UTC
    assert abs(datetime.now(UTC) - created) < timedelta(minutes=1)


# --- transaction() ----------------------------------------------------------------------------


def _brand_codes(app):
    return [b.code for b in factories.rows(app, Brand)]


def test_transaction_commits_once_at_the_end(app):
    commits = []
    with app.app_context():
        session = db.session()

        def count_commit(session):
            commits.append(session)

        event.listen(session, "after_commit", count_commit)
        try:
            with transaction():
                db.session.add(Brand(name="A", code="aa"))
                with transaction():  # nested: joins the outer unit
                    db.session.add(Brand(name="B", code="bb"))
                assert commits == []
            assert len(commits) == 1
        finally:
            event.remove(session, "after_commit", count_commit)
    assert _brand_codes(app) == ["aa", "bb"]


def test_transaction_rolls_back_everything_on_error(app):
    with (
        app.app_context(),
        pytest.raises(RuntimeError, match="late failure"),
        transaction(),
    ):
        db.session.add(Brand(name="A", code="aa"))
        with transaction():
            db.session.add(Brand(name="B", code="bb"))
        db.session.flush()
        raise RuntimeError("late failure")
    assert _brand_codes(app) == []


@pytest.mark.parametrize("flushed", [False, True])
def test_transaction_refuses_changes_made_outside_it(app, flushed):
    with app.app_context():
        db.session.add(Brand(name="Stray", code="stray"))
        if flushed:
            db.session.flush()
        with pytest.raises(RuntimeError, match="outside transaction"), transaction():
            db.session.add(Brand(name="Mine", code="mine"))
        db.session.rollback()
        # After the rollback the next unit of work is fine.
        with transaction():
            db.session.add(Brand(name="Mine", code="mine"))
    assert _brand_codes(app) == ["mine"]


def test_transaction_after_reads_starts_a_fresh_write(app):
    factories.brand(app, code="first")
    with app.app_context():
        assert db.session.scalar(select(Brand.code)) == "first"
        with transaction():
            db.session.add(Brand(name="Second", code="second"))
    assert _brand_codes(app) == ["first", "second"]


def test_sqlite_writes_begin_immediate(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only")
        statements: list[str] = []

        def record(_conn, _cursor, statement, *_args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            db.session.scalar(select(Brand.id))
            db.session.commit()
            with transaction():
                db.session.add(Brand(name="W", code="ww"))
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        begins = [s for s in statements if s.startswith("BEGIN")]
        assert begins == ["BEGIN", "BEGIN IMMEDIATE"]


def test_sqlite_connection_settings(app):
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite only")
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_foreign_keys_are_enforced(app):
    from sqlalchemy.exc import IntegrityError

    with app.app_context(), pytest.raises(IntegrityError), transaction():
        db.session.add(
            Installer(
                dealer_id=999,
                name="x",
                phone="+8613900009999",
                skills=[],
                home_lat=31,
                home_lon=121,
                timezone="Asia/Shanghai",
            )
        )
