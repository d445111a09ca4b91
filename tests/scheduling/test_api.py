"""Windows and bookings through the API: offer, book, reschedule, cancel, cutoff, move, blocks."""

from datetime import UTC, datetime, timedelta

import pytest

from tests import factories
from tests.factories import Metro

NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # Tuesday 08:00 in Shanghai


@pytest.fixture
def metro(app, clock):
    clock.set(NOW)
    return Metro(app)


def windows(as_key, key, job_id, **params):
    response = as_key(key).get(f"/api/v1/jobs/{job_id}/windows", query_string=params)
    assert response.status_code == 200, response.json
    return response.json["windows"]


def test_windows_are_local_ordered_and_respect_lead_time_and_horizon(metro, client, as_key):
    job = metro.job(client)
    found = windows(as_key, metro.brand_key, job["id"], days=30)
    starts = [datetime.fromisoformat(w["start"]) for w in found]
    assert starts == sorted(starts)
    assert all(w["start"].endswith("+08:00") for w in found)
    # Lead time 12 h: nothing before Tue 20:00 local, so the first window is Wed 08:00.
    assert found[0]["start"] == "2026-12-02T08:00:00+08:00"
    assert found[0]["label"] == "12月2日 周三 08:00–10:00"
    assert found[0]["installers"] == 2
    # Horizon 14 days: the last day offered is 15 December.
    assert found[-1]["date"] == "2026-12-15"
    assert len(found) == 14 * 5


def test_windows_from_and_days_select_a_range(metro, client, as_key):
    job = metro.job(client)
    found = windows(as_key, metro.brand_key, job["id"], **{"from": "2026-12-05", "days": 2})
    assert {w["date"] for w in found} == {"2026-12-05", "2026-12-06"}


def test_book_reschedule_and_cancel(metro, app, client, as_key):
    api = as_key(metro.brand_key)
    job = metro.job(client)
    # Thursday: outside the 24 h change cutoff, so it can still be rescheduled.
    first = windows(as_key, metro.brand_key, job["id"])[5]
    booked = api.post(f"/api/v1/jobs/{job['id']}/booking", json={"window_start": first["start"]})
    assert booked.status_code == 201, booked.json
    assert booked.json["window_start"] == first["start"]
    assert booked.json["installer_id"] in [i.id for i in metro.installers]
    assert api.get(f"/api/v1/jobs/{job['id']}").json["status"] == "scheduled"

    later = windows(as_key, metro.brand_key, job["id"])[12]
    moved = api.post(f"/api/v1/jobs/{job['id']}/booking", json={"window_start": later["start"]})
    assert moved.status_code == 200, moved.json
    assert api.get(f"/api/v1/jobs/{job['id']}/booking").json["window_start"] == later["start"]
    events = [e["type"] for e in api.get(f"/api/v1/jobs/{job['id']}/events").json]
    assert events[-2:] == ["scheduled", "rescheduled"]

    assert api.delete(f"/api/v1/jobs/{job['id']}/booking").status_code == 204
    after = api.get(f"/api/v1/jobs/{job['id']}").json
    assert (after["status"], after["installer_id"], after["booking"]) == ("assigned", None, None)
    assert api.delete(f"/api/v1/jobs/{job['id']}/booking").status_code == 404


def test_reschedule_releases_the_old_place(app, client, as_key, clock):
    clock.set(NOW)
    metro = Metro(app, installers=1, max_jobs=1)
    api = as_key(metro.brand_key)
    a, b = metro.job(client), metro.job(client)
    day1 = windows(as_key, metro.brand_key, a["id"])[5]["start"]
    day2 = windows(as_key, metro.brand_key, a["id"])[10]["start"]
    assert (
        api.post(f"/api/v1/jobs/{a['id']}/booking", json={"window_start": day1}).status_code == 201
    )
    taken = api.post(f"/api/v1/jobs/{b['id']}/booking", json={"window_start": day1})
    assert taken.status_code == 409
    assert taken.json["error"]["code"] == "window_unavailable"
    assert taken.json["error"]["alternatives"][0]["start"] == day2
    assert (
        api.post(f"/api/v1/jobs/{a['id']}/booking", json={"window_start": day2}).status_code == 200
    )
    assert (
        api.post(f"/api/v1/jobs/{b['id']}/booking", json={"window_start": day1}).status_code == 201
    )


def test_a_window_that_is_not_offered_is_refused(metro, client, as_key):
    api = as_key(metro.brand_key)
    job = metro.job(client)
    for start in (
        "2026-12-02T09:00:00+08:00",
        "2026-12-01T13:00:00+08:00",
        "2027-03-01T08:00:00+08:00",
    ):
        response = api.post(f"/api/v1/jobs/{job['id']}/booking", json={"window_start": start})
        assert response.status_code == 409, start
        assert response.json["error"]["code"] == "window_unavailable"
    naive = api.post(
        f"/api/v1/jobs/{job['id']}/booking", json={"window_start": "2026-12-02T08:00:00"}
    )
    assert naive.status_code == 422
    assert api.get(f"/api/v1/jobs/{job['id']}").json["status"] == "assigned"


def test_change_cutoff_binds_brands_but_not_dispatchers(metro, client, as_key, clock):
    api = as_key(metro.brand_key)
    job = metro.job(client)
    start = windows(as_key, metro.brand_key, job["id"])[7]["start"]  # Thu 13:00 local
    assert (
        api.post(f"/api/v1/jobs/{job['id']}/booking", json={"window_start": start}).status_code
        == 201
    )
    clock.set(datetime.fromisoformat(start) - timedelta(hours=23))
    refused = api.delete(f"/api/v1/jobs/{job['id']}/booking")
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "change_cutoff_passed"
    assert (
        refused.json["error"]["cutoff"]
        == (datetime.fromisoformat(start) - timedelta(hours=24)).astimezone(UTC).isoformat()
    )
    other = next(
        i
        for i in metro.installers
        if i.id != api.get(f"/api/v1/jobs/{job['id']}").json["installer_id"]
    )
    moved = as_key(metro.dealer_key).post(
        f"/api/v1/jobs/{job['id']}/booking/move", json={"installer_id": other.id}
    )
    assert moved.status_code == 200, moved.json
    assert moved.json["installer_id"] == other.id
    # Cancelling the order is never refused, but it is recorded as a late cancellation.
    cancelled = api.post(f"/api/v1/jobs/{job['id']}/cancel", json={"reason": "refund"})
    assert cancelled.status_code == 200
    event = api.get(f"/api/v1/jobs/{job['id']}/events").json[-1]
    assert event["payload"] == {
        "reason": "refund",
        "late": True,
        "cutoff": refused.json["error"]["cutoff"],
    }


def test_capacity_per_installer_day(app, client, as_key, clock):
    clock.set(NOW)
    metro = Metro(app, installers=1, max_jobs=2)
    api = as_key(metro.brand_key)
    jobs = [metro.job(client, duration_minutes=30) for _ in range(3)]
    day = windows(as_key, metro.brand_key, jobs[0]["id"])
    codes = [
        api.post(
            f"/api/v1/jobs/{job['id']}/booking", json={"window_start": day[n]["start"]}
        ).status_code
        for n, job in enumerate(jobs)
    ]
    assert codes == [201, 201, 409]
    # The full day is no longer offered to the third job; the next day is.
    assert windows(as_key, metro.brand_key, jobs[2]["id"])[0]["date"] == "2026-12-03"


def test_travel_time_makes_far_jobs_in_back_to_back_windows_infeasible(app, client, as_key, clock):
    clock.set(NOW)
    metro = Metro(app, installers=1, max_jobs=6)
    api = as_key(metro.brand_key)
    near = metro.job(client, duration_minutes=110)
    # 9 km away: ~23 min of driving each way at 30 km/h × 1.3. Before the booked job, the
    # 90-minute far job would delay it to 10:16 (window ends 10:00); after it, the far job
    # could start only at 10:13. So 08:00–10:00 is out; 10:00–12:00 is fine.
    far = metro.job(client, duration_minutes=90, lat=metro.center[0] + 0.08, lon=metro.center[1])
    first = windows(as_key, metro.brand_key, near["id"])
    assert (
        api.post(
            f"/api/v1/jobs/{near['id']}/booking", json={"window_start": first[0]["start"]}
        ).status_code
        == 201
    )
    far_windows = windows(as_key, metro.brand_key, far["id"])
    # 08:00 is taken by the long job's route; 10:00 is still reachable; travel shows in the score.
    assert far_windows[0]["start"] == "2026-12-02T10:00:00+08:00"
    assert far_windows[0]["score"] > 0


def test_blocks_remove_capacity_and_refuse_booked_time(metro, client, as_key):
    dealer = as_key(metro.dealer_key)
    job = metro.job(client)
    base = f"/api/v1/dealers/{metro.dealer.id}/blocks"
    block = dealer.post(
        base,
        json={
            "starts_at": "2026-12-02T00:00:00+08:00",
            "ends_at": "2026-12-03T00:00:00+08:00",
            "reason": "training",
        },
    )
    assert block.status_code == 201, block.json
    found = windows(as_key, metro.brand_key, job["id"])
    assert found[0]["date"] == "2026-12-03"
    assert dealer.get(base).json[0]["reason"] == "training"
    assert dealer.delete(f"{base}/{block.json['id']}").status_code == 204
    start = windows(as_key, metro.brand_key, job["id"])[0]["start"]
    as_key(metro.brand_key).post(f"/api/v1/jobs/{job['id']}/booking", json={"window_start": start})
    clash = dealer.post(
        base,
        json={"starts_at": "2026-12-02T07:00:00+08:00", "ends_at": "2026-12-02T12:00:00+08:00"},
    )
    assert clash.status_code == 409
    assert clash.json["error"]["job_ids"] == [job["id"]]


def test_one_installer_block_leaves_the_other(metro, client, as_key):
    dealer = as_key(metro.dealer_key)
    job = metro.job(client)
    dealer.post(
        f"/api/v1/dealers/{metro.dealer.id}/blocks",
        json={
            "installer_id": metro.installers[0].id,
            "starts_at": "2026-12-02T00:00:00+08:00",
            "ends_at": "2026-12-03T00:00:00+08:00",
        },
    )
    assert windows(as_key, metro.brand_key, job["id"])[0]["installers"] == 1


def test_time_off_and_shifts_decide_who_works(app, client, as_key, clock, admin):
    clock.set(NOW)
    metro = Metro(app, installers=1)
    installer = metro.installers[0]
    # No Wednesday shift, and time off all of Thursday 3 December.
    week = [{"weekday": d, "start": "08:00", "end": "19:00"} for d in (1, 2, 4, 5, 6, 7)]
    assert (
        admin.put(f"/api/v1/installers/{installer.id}/shifts", json={"shifts": week}).status_code
        == 200
    )
    off = {"starts_at": "2026-12-03T00:00:00+08:00", "ends_at": "2026-12-04T00:00:00+08:00"}
    assert admin.post(f"/api/v1/installers/{installer.id}/time-off", json=off).status_code == 201
    job = metro.job(client)
    assert windows(as_key, metro.brand_key, job["id"])[0]["date"] == "2026-12-04"


def test_day_view_and_move_rules(metro, app, client, as_key):
    dealer = as_key(metro.dealer_key)
    jobs = [metro.job(client, duration_minutes=30) for _ in range(3)]
    start = windows(as_key, metro.brand_key, jobs[0]["id"])[0]["start"]
    for job in jobs:
        assert (
            as_key(metro.brand_key)
            .post(f"/api/v1/jobs/{job['id']}/booking", json={"window_start": start})
            .status_code
            == 201
        )
    day = dealer.get(
        f"/api/v1/dealers/{metro.dealer.id}/bookings", query_string={"date": "2026-12-02"}
    )
    assert day.status_code == 200
    booked = [b for row in day.json["installers"] for b in row["bookings"]]
    assert sorted(b["job_id"] for b in booked) == sorted(j["id"] for j in jobs)
    for row in day.json["installers"]:
        assert [b["sequence"] for b in row["bookings"]] == list(range(len(row["bookings"])))
    lacking = factories.installer(app, metro.dealer, skills=["delivery"], shifts=factories.ALL_WEEK)
    refused = dealer.post(
        f"/api/v1/jobs/{jobs[0]['id']}/booking/move", json={"installer_id": lacking.id}
    )
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "installer_unsuitable")
    stranger = Metro(app).installers[0]
    assert (
        dealer.post(
            f"/api/v1/jobs/{jobs[0]['id']}/booking/move", json={"installer_id": stranger.id}
        ).status_code
        == 422
    )


def test_windows_need_an_assigned_dealer(app, client, as_key, clock):
    clock.set(NOW)
    metro = Metro(app, assignment_mode="manual")
    job = metro.job(client)
    response = as_key(metro.brand_key).get(f"/api/v1/jobs/{job['id']}/windows")
    assert (response.status_code, response.json["error"]["code"]) == (409, "not_assigned")


def test_other_tenants_cannot_see_or_book(metro, app, client, as_key):
    job = metro.job(client)
    other = Metro(app)
    for key in (other.brand_key, other.dealer_key):
        assert as_key(key).get(f"/api/v1/jobs/{job['id']}/windows").status_code == 404
        assert (
            as_key(key)
            .post(
                f"/api/v1/jobs/{job['id']}/booking",
                json={"window_start": "2026-12-02T08:00:00+08:00"},
            )
            .status_code
            == 404
        )
    assert (
        as_key(other.dealer_key)
        .get(f"/api/v1/dealers/{metro.dealer.id}/bookings", query_string={"date": "2026-12-02"})
        .status_code
        == 404
    )
    assert (
        as_key(metro.brand_key)
        .get(f"/api/v1/dealers/{metro.dealer.id}/bookings", query_string={"date": "2026-12-02"})
        .status_code
        == 403
    )


@pytest.mark.parametrize(
    ("now", "day", "offset", "utc_13"),
    [
        (datetime(2026, 3, 6, 12, tzinfo=UTC), "2026-03-08", "-04:00", "17:00"),
        (datetime(2026, 10, 30, 12, tzinfo=UTC), "2026-11-01", "-05:00", "18:00"),
    ],
)
def test_dst_days_in_new_york_through_the_api(app, client, as_key, clock, now, day, offset, utc_13):
    clock.set(now)
    metro = Metro(app, timezone="America/New_York", center=(40.7128, -74.0060))
    job = metro.job(client, timezone="America/New_York")
    found = windows(as_key, metro.brand_key, job["id"], **{"from": day, "days": 1})
    assert [w["start"][11:] for w in found] == [
        f"{h}:00:00{offset}" for h in ("08", "10", "13", "15", "17")
    ]
    thirteen = datetime.fromisoformat(found[2]["start"]).astimezone(UTC)
    assert thirteen.strftime("%H:%M") == utc_13
    booked = as_key(metro.brand_key).post(
        f"/api/v1/jobs/{job['id']}/booking", json={"window_start": found[2]["start"]}
    )
    assert booked.status_code == 201
    assert booked.json["window_start"] == found[2]["start"]


def test_windows_use_the_osrm_server_when_configured(metro, app, client, as_key, monkeypatch):
    from tests.geo.test_travel import FakeOsrm

    job_north = metro.job(client, lat=metro.center[0] + 0.01, lon=metro.center[1])
    plain = windows(as_key, metro.brand_key, job_north["id"])[0]["score"]
    fake = FakeOsrm()
    server, url = _serve(fake)
    try:
        monkeypatch.setitem(app.config, "OSRM_URL", url)
        routed = windows(as_key, metro.brand_key, job_north["id"])[0]["score"]
    finally:
        server.shutdown()
        server.server_close()
    # Great circle: 1.11 km × 1.3 at 30 km/h ≈ 173 s each way → 6 min; the fake server
    # says 0.01° of latitude is 200 s each way → 7 min.
    assert (plain, routed) == (6, 7)
    assert fake.requests and all("/table/v1/driving/" in path for path in fake.requests)


def _serve(fake):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            status, body = fake.answer(self.path)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def test_a_routing_server_that_is_down_answers_503_and_intake_still_works(
    metro, app, client, as_key, monkeypatch
):
    monkeypatch.setitem(app.config, "OSRM_URL", "http://127.0.0.1:9/")  # nothing listens there
    monkeypatch.setitem(app.config, "OSRM_TIMEOUT", 0.5)
    job = metro.job(client)  # the invitation goes without offers
    response = as_key(metro.brand_key).get(f"/api/v1/jobs/{job['id']}/windows")
    assert (response.status_code, response.json["error"]["code"]) == (503, "travel_unavailable")


def test_far_dates_and_huge_ids_are_refused_not_crashes(metro, client, as_key):
    job = metro.job(client)
    api = as_key(metro.brand_key)
    for start in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:00:00-12:00"):
        assert (
            api.post(f"/api/v1/jobs/{job['id']}/booking", json={"window_start": start}).status_code
            == 422
        )
    dealer = as_key(metro.dealer_key)
    assert (
        dealer.post(
            f"/api/v1/jobs/{job['id']}/booking/move", json={"installer_id": 99999999999999999999}
        ).status_code
        == 422
    )
    assert dealer.get(f"/dispatch/{metro.dealer.id}/9999-12-31").status_code in (302, 422)


def test_a_dispatched_job_s_booking_can_be_cancelled(metro, app, client, as_key):
    from app.db import transaction
    from app.extensions import db
    from app.jobs import service as jobs
    from app.jobs.enums import JobStatus
    from app.jobs.models import Job

    api = as_key(metro.brand_key)
    job = metro.job(client)
    start = windows(as_key, metro.brand_key, job["id"])[5]["start"]
    assert (
        api.post(f"/api/v1/jobs/{job['id']}/booking", json={"window_start": start}).status_code
        == 201
    )
    with app.app_context(), transaction():
        jobs.transition(db.session.get(Job, job["id"]), JobStatus.DISPATCHED, factories.ADMIN_ACTOR)
    assert api.delete(f"/api/v1/jobs/{job['id']}/booking").status_code == 204
    after = api.get(f"/api/v1/jobs/{job['id']}").json
    assert (after["status"], after["booking"]) == ("assigned", None)
    last = api.get(f"/api/v1/jobs/{job['id']}/events").json[-1]
    assert (last["type"], last["from_status"], last["to_status"]) == (
        "booking_cancelled",
        "dispatched",
        "assigned",
    )


def test_windows_of_a_job_that_cannot_be_booked_are_refused(metro, client, as_key):
    api = as_key(metro.brand_key)
    job = metro.job(client)
    assert (
        api.post(f"/api/v1/jobs/{job['id']}/cancel", json={"reason": "refund"}).status_code == 200
    )
    refused = api.get(f"/api/v1/jobs/{job['id']}/windows")
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "not_bookable"


def test_a_range_starting_in_the_past_counts_its_days_from_there(metro, client, as_key):
    job = metro.job(client)
    # From Monday 30 Nov for 4 days: Mon and Tue are past or inside the lead time.
    found = windows(as_key, metro.brand_key, job["id"], **{"from": "2026-11-30", "days": 4})
    assert sorted({w["date"] for w in found}) == ["2026-12-02", "2026-12-03"]


def thursday_starts(as_key, metro, job_id):
    found = windows(as_key, metro.brand_key, job_id, **{"from": "2026-12-03", "days": 1})
    return [w["start"][11:16] for w in found]


def test_no_visit_runs_into_time_off_or_pushes_another_into_lunch(
    app, client, as_key, clock, admin
):
    clock.set(NOW)
    metro = Metro(app, installers=1)
    installer = metro.installers[0].id
    split = [
        {"weekday": d, "start": start, "end": end}
        for d in range(1, 8)
        for start, end in (("08:00", "12:00"), ("13:00", "19:00"))
    ]
    assert (
        admin.put(f"/api/v1/installers/{installer}/shifts", json={"shifts": split}).status_code
        == 200
    )
    off = {"starts_at": "2026-12-03T16:00:00+08:00", "ends_at": "2026-12-03T17:00:00+08:00"}
    assert admin.post(f"/api/v1/installers/{installer}/time-off", json=off).status_code == 201
    # 2.5 h of work: 10:00 would run into lunch; 15:00 overlaps the time off; 17:00 would end
    # after the shift.
    long = metro.job(client, duration_minutes=150)
    assert thursday_starts(as_key, metro, long["id"]) == ["08:00", "13:00"]
    # One hour booked at 10:00; a 200-minute job at 08:00 would push it to 11:20, into lunch,
    # and at 13:00 would run into the time off at 16:00 (that window does not overlap it).
    short = metro.job(client, duration_minutes=60)
    api = as_key(metro.brand_key)
    booked = api.post(
        f"/api/v1/jobs/{short['id']}/booking", json={"window_start": "2026-12-03T10:00:00+08:00"}
    )
    assert booked.status_code == 201, booked.json
    longer = metro.job(client, duration_minutes=200)
    assert thursday_starts(as_key, metro, longer["id"]) == []
    refused = api.post(
        f"/api/v1/jobs/{longer['id']}/booking", json={"window_start": "2026-12-03T08:00:00+08:00"}
    )
    assert refused.status_code == 409


def test_a_job_inserted_before_another_moves_that_one_s_estimated_start(app, client, as_key, clock):
    clock.set(NOW)
    metro = Metro(app, installers=1)
    api = as_key(metro.brand_key)
    first = metro.job(client, duration_minutes=60)
    at_ten = {"window_start": "2026-12-03T10:00:00+08:00"}
    assert api.post(f"/api/v1/jobs/{first['id']}/booking", json=at_ten).status_code == 201
    # Three hours from 08:00 at the same address: the 10:00 visit cannot start before 11:00.
    second = metro.job(client, duration_minutes=180)
    at_eight = {"window_start": "2026-12-03T08:00:00+08:00"}
    assert api.post(f"/api/v1/jobs/{second['id']}/booking", json=at_eight).status_code == 201
    day = as_key(metro.dealer_key).get(
        f"/api/v1/dealers/{metro.dealer.id}/bookings", query_string={"date": "2026-12-03"}
    )
    [row] = day.json["installers"]
    shown = [(b["job_id"], b["estimated_start"][11:16]) for b in row["bookings"]]
    assert shown == [(second["id"], "08:00"), (first["id"], "11:00")]
