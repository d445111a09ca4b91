"""Business time: pauses at night, on weekends and holidays; correct across DST."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from app.sla.clock import Calendar, add_business_time, business_time_between

WEEKDAYS_9_TO_6 = {d: [(time(9), time(18))] for d in range(1, 6)}
SH = Calendar("Asia/Shanghai", WEEKDAYS_9_TO_6, frozenset({date(2026, 10, 1)}))
NY = Calendar("America/New_York", {d: [(time(9), time(17))] for d in range(1, 8)})


def sh(y, m, d, h, mi=0):
    return (
        datetime(y, m, d, h - 8, mi, tzinfo=UTC)
        if h >= 8
        else datetime(y, m, d, h, mi, tzinfo=UTC) - timedelta(hours=8)
    )


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        (sh(2026, 12, 1, 10), 2, sh(2026, 12, 1, 12)),  # inside the day
        (sh(2026, 12, 1, 17), 2, sh(2026, 12, 2, 10)),  # over the night
        (sh(2026, 12, 1, 20), 1, sh(2026, 12, 2, 10)),  # starts after hours
        (sh(2026, 12, 4, 17), 2, sh(2026, 12, 7, 10)),  # Friday to Monday
        (sh(2026, 9, 30, 17), 2, sh(2026, 10, 2, 10)),  # over a holiday
        (sh(2026, 12, 1, 9), 45, sh(2026, 12, 7, 18)),  # a whole working week
    ],
)
def test_deadlines_pause_outside_business_hours(start, hours, due):
    assert add_business_time(start, timedelta(hours=hours), SH) == due
    assert business_time_between(start, due, SH) == timedelta(hours=hours)


def test_without_a_calendar_the_clock_never_pauses():
    start = datetime(2026, 12, 1, 22, tzinfo=UTC)
    assert add_business_time(start, timedelta(hours=3), None) == start + timedelta(hours=3)
    assert business_time_between(start, start + timedelta(hours=3), None) == timedelta(hours=3)


def test_elapsed_is_zero_backwards_and_counts_only_working_time():
    start = sh(2026, 12, 4, 17)  # Friday 17:00
    assert business_time_between(start, start - timedelta(hours=1), SH) == timedelta(0)
    assert business_time_between(start, sh(2026, 12, 7, 9, 30), SH) == timedelta(
        hours=1, minutes=30
    )


def test_business_hours_keep_local_time_across_dst():
    # 09:00–17:00 in New York: Saturday 7 March is EST (UTC−5), Sunday 8 March EDT (UTC−4).
    start = datetime(2026, 3, 7, 21, 0, tzinfo=UTC)  # Sat 16:00 EST
    due = add_business_time(start, timedelta(hours=2), NY)
    assert due == datetime(2026, 3, 8, 14, 0, tzinfo=UTC)  # Sun 10:00 EDT
    autumn = datetime(2026, 10, 31, 20, 0, tzinfo=UTC)  # Sat 16:00 EDT
    assert add_business_time(autumn, timedelta(hours=2), NY) == datetime(
        2026, 11, 1, 15, 0, tzinfo=UTC
    )  # Sun 10:00 EST


def test_a_calendar_without_hours_is_refused():
    with pytest.raises(ValueError, match="working hours"):
        add_business_time(datetime(2026, 1, 1, tzinfo=UTC), timedelta(hours=1), Calendar("UTC", {}))


def test_a_period_starting_in_the_spring_forward_gap_starts_when_the_gap_ends():
    # New York skips 02:00–03:00 on Sunday 8 March 2026: 02:30–09:00 works 03:00–09:00 EDT.
    early = Calendar("America/New_York", {7: [(time(2, 30), time(9))]})
    day = datetime(2026, 3, 8, 5, tzinfo=UTC)  # 00:00 EST
    assert business_time_between(day, day + timedelta(days=1), early) == timedelta(hours=6)
    assert add_business_time(day, timedelta(hours=1), early) == datetime(2026, 3, 8, 8, tzinfo=UTC)
