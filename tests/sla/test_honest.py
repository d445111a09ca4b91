"""What each promise honestly measures: the contact clock stops in quiet hours, a booking is
contact; the dealer league ranks by promises kept over promises due (Wilson lower bound)."""

from datetime import UTC, datetime, time, timedelta

import pytest

from app.sla.clock import Calendar, Overlap, add_business_time, business_time_between
from app.sla.facts import clock_for
from app.sla.league import MIN_DUE, rank, score, wilson_lower_bound
from tests.sla.conftest import NOW

SHANGHAI = "Asia/Shanghai"  # UTC+8 all year: no DST


def local(day_offset, hour, minute=0, *, base=NOW):
    """A Shanghai wall-clock time `day_offset` days after the frozen clock's local day."""
    day = base.astimezone(UTC).date() + timedelta(days=day_offset)
    return datetime.combine(day, time(hour, minute)).replace(tzinfo=UTC) - timedelta(hours=8)


@pytest.mark.parametrize(
    ("ordered", "minutes", "due"),
    [
        (local(0, 10), 120, local(0, 12)),  # in the day: runs as the wall clock
        (local(0, 20), 120, local(1, 9)),  # 1 h before 21:00, 1 h after 08:00 the next day
        (local(0, 23, 30), 120, local(1, 10)),  # ordered in quiet hours: starts at 08:00
        (local(1, 2), 60, local(1, 9)),  # after midnight: the same morning
        (local(0, 8), 13 * 60 + 30, local(1, 8, 30)),  # a whole contactable day and more
    ],
)
def test_the_contact_clock_stops_in_quiet_hours_across_the_day_boundary(ordered, minutes, due):
    clock = clock_for("contact", None, SHANGHAI)
    assert add_business_time(ordered, timedelta(minutes=minutes), clock) == due
    assert business_time_between(ordered, due, clock) == timedelta(minutes=minutes)


def test_other_promises_keep_running_at_night():
    assert clock_for("schedule", None, SHANGHAI) is None
    ordered = local(0, 23, 30)
    assert add_business_time(ordered, timedelta(hours=2), None) == local(1, 1, 30)


def test_contact_in_business_hours_also_stops_in_quiet_hours():
    # Business hours 07:00–22:00 every day: the quiet hours cut them to 08:00–21:00.
    long_days = Calendar(SHANGHAI, {d: [(time(7), time(22))] for d in range(1, 8)})
    clock = clock_for("contact", long_days, SHANGHAI)
    assert isinstance(clock, Overlap)
    assert add_business_time(local(0, 20, 30), timedelta(hours=1), clock) == local(1, 8, 30)
    # A job in another zone: its quiet hours are its own (Urumqi-style UTC+6 via Asia/Dhaka).
    other = clock_for("contact", long_days, "Asia/Dhaka")  # 08:00 Dhaka = 10:00 Shanghai
    assert add_business_time(local(0, 23), timedelta(minutes=30), other) == local(1, 10, 30)


def test_a_night_order_texted_at_eight_keeps_its_contact_promise(world):
    from app.notify.sender import send_due

    world.at(local(0, 23))  # order at 23:00; the invitation waits for 08:00
    job = world.job()
    with world.app.app_context():
        send_due()
    world.at(local(1, 7, 59))
    contact = _clock(world, job["id"], "contact")
    assert (contact["state"], contact["elapsed_minutes"]) == ("ok", 0)
    world.at(local(1, 8, 1))
    with world.app.app_context():
        send_due()  # delivered just after quiet hours end
    contact = _clock(world, job["id"], "contact")
    assert contact["state"] == "met"
    assert contact["elapsed_minutes"] == 1
    assert datetime.fromisoformat(contact["due_at"]) == local(1, 10)  # 120 min after 08:00


def test_a_booking_is_contact_even_before_the_invitation_is_delivered(world):
    world.at(local(0, 22))
    job = world.job()  # quiet hours: nothing delivered yet
    world.later(minutes=30)
    world.book(job["id"], 0)  # the consumer books (here through the brand's API) at 22:30
    contact = _clock(world, job["id"], "contact")
    assert contact["state"] == "met"
    assert datetime.fromisoformat(contact["kept_at"]) == local(0, 22, 30)


def _clock(world, job_id, sla):
    response = world.client.get(f"/api/v1/jobs/{job_id}/sla", headers=world.brand_api)
    assert response.status_code == 200, response.json
    return {c["sla"]: c for c in response.json}[sla]


def _row(label, *, met=0, breached=0, arrival_met=0, arrival_breached=0):
    return {
        "label": label,
        "complete_met": met,
        "complete_breached": breached,
        "arrival_met": arrival_met,
        "arrival_breached": arrival_breached,
        "assign_breached": 50,  # the brand's promise: never the dealer's score
        "contact_breached": 50,
    }


def test_wilson_lower_bound():
    assert wilson_lower_bound(0, 0) is None
    assert wilson_lower_bound(3, 3) == pytest.approx(0.4385, abs=1e-4)
    assert wilson_lower_bound(190, 200) == pytest.approx(0.9104, abs=1e-4)
    assert wilson_lower_bound(0, 10) == 0.0


def test_the_league_is_fair():
    rows = [
        # 100 % on-time arrivals but 18 promises broken: no longer top of the table.
        {**_row("punctual but late", met=2, breached=18, arrival_met=10), "on_time_pct": 100.0},
        {**_row("steady", met=180, breached=10, arrival_met=10)},
        {**_row("lucky few", met=3, arrival_met=2)},  # 5 of 5: too few to rank
        {**_row("solid", met=40, breached=2)},
        {**_row("idle")},
    ]
    table = rank([{**row, **score(row)} for row in rows])
    assert [(r["label"], r["rank"]) for r in table] == [
        ("steady", 1),  # 190 / 200 kept, lower bound 91.0 %
        ("solid", 2),  # 40 / 42 kept (95.2 %) but a wider interval: 84.2 %
        ("punctual but late", 3),  # 12 / 30
        ("lucky few", None),
        ("idle", None),
    ]
    steady = table[0]
    assert (steady["promises_due"], steady["promises_kept"], steady["kept_pct"]) == (200, 190, 95.0)
    assert steady["kept_lower_bound_pct"] == 91.0
    assert table[-1]["kept_pct"] is None
    assert all(r["promises_due"] < MIN_DUE for r in table if r["rank"] is None)


def test_the_summary_ranks_dealers_by_promises_kept(world):
    job = world.job()
    world.later(minutes=5)
    world.book(job["id"], 0)
    summary = world.client.get("/api/v1/sla/summary", headers=world.brand_api).json
    (dealer,) = summary["dealers"]
    assert dealer["label"] == world.metro.dealer.name
    assert (dealer["promises_due"], dealer["promises_kept"], dealer["kept_pct"]) == (1, 1, 100.0)
    assert dealer["rank"] is None  # one promise due is far below the minimum volume
    assert dealer["kept_lower_bound_pct"] == pytest.approx(20.7, abs=0.1)
