"""Never overbook: concurrent bookings over real HTTP, each thread on its own connection."""

import threading
from collections import Counter
from datetime import UTC, datetime

import requests
from sqlalchemy import func, select

from app.db import transaction
from app.extensions import db
from app.jobs import service as jobs
from app.jobs.models import Job
from app.scheduling.models import Booking
from tests import factories
from tests.factories import Metro

NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
DAY = "2026-12-03"


def _jobs(app, metro, count, minutes=10):
    from app.auth.service import Actor

    with app.app_context(), transaction():
        return [
            jobs.create_job(
                metro.brand.id,
                factories.job_payload(
                    lat=metro.center[0], lon=metro.center[1], duration_minutes=minutes
                ),
                Actor("brand", "test"),
            ).id
            for _ in range(count)
        ]


def _in_parallel(calls):
    """Run callables at the same moment in threads; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(n, call):
        barrier.wait()
        results[n] = call()

    threads = [threading.Thread(target=run, args=(n, c)) for n, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _booker(base, key, job_id, start):
    def call():
        with requests.Session() as session:
            response = session.post(
                f"{base}/api/v1/jobs/{job_id}/booking",
                json={"window_start": start},
                headers={"Authorization": f"Bearer {key}"},
                timeout=120,
            )
            return response.status_code, response.text

    return call


def _day_starts(metro):
    from app.scheduling.windows import windows_for_day

    return [
        w.local()[0].isoformat()
        for w in windows_for_day(
            datetime.fromisoformat(DAY).date(), metro_template(), "Asia/Shanghai"
        )
    ]


def metro_template():
    from app.scheduling.windows import DEFAULT_TEMPLATE

    return DEFAULT_TEMPLATE


def test_200_concurrent_bookings_for_50_places(app, live_server, clock):
    clock.set(NOW)
    metro = Metro(app, installers=10, max_jobs=5)
    job_ids = _jobs(app, metro, 200)
    starts = _day_starts(metro)
    calls = [
        _booker(live_server, metro.brand_key, job_id, starts[n % len(starts)])
        for n, job_id in enumerate(job_ids)
    ]
    results = _in_parallel(calls)
    codes = Counter(code for code, _ in results)
    assert codes == {201: 50, 409: 150}, [text for code, text in results if code not in (201, 409)][
        :3
    ]
    assert not any("locked" in text for _, text in results)
    with app.app_context():
        per_installer = db.session.execute(
            select(Booking.installer_id, func.count()).group_by(Booking.installer_id)
        ).all()
        assert sorted(n for _, n in per_installer) == [5] * 10
        statuses = Counter(db.session.scalars(select(Job.status).where(Job.id.in_(job_ids))))
        assert statuses == {"scheduled": 50, "assigned": 150}


def test_cancel_and_book_racing_for_the_last_place_stay_consistent(app, live_server, clock):
    clock.set(NOW)
    metro = Metro(app, installers=1, max_jobs=1)
    holder, *others = _jobs(app, metro, 7)
    start = _day_starts(metro)[0]
    headers = {"Authorization": f"Bearer {metro.brand_key}"}
    for _ in range(5):
        first = requests.post(
            f"{live_server}/api/v1/jobs/{holder}/booking",
            json={"window_start": start},
            headers=headers,
            timeout=60,
        )
        assert first.status_code in (200, 201), first.text

        def cancel():
            return requests.delete(
                f"{live_server}/api/v1/jobs/{holder}/booking", headers=headers, timeout=60
            ).status_code, ""

        results = _in_parallel(
            [cancel] + [_booker(live_server, metro.brand_key, j, start) for j in others]
        )
        assert results[0][0] == 204
        won = [job for job, (code, _) in zip(others, results[1:], strict=True) if code == 201]
        assert all(code in (201, 409) for code, _ in results[1:])
        assert len(won) <= 1
        with app.app_context():
            bookings = list(db.session.scalars(select(Booking)))
            assert len(bookings) == len(won)
            assert [b.job_id for b in bookings] == won
            scheduled = set(db.session.scalars(select(Job.id).where(Job.status == "scheduled")))
            assert scheduled == set(won)
        # Free the place again for the next round.
        for job in won:
            assert (
                requests.delete(
                    f"{live_server}/api/v1/jobs/{job}/booking", headers=headers, timeout=60
                ).status_code
                == 204
            )
