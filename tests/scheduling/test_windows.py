"""Windows keep their local hours across DST; nonexistent local times are never offered."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from app.scheduling.windows import DEFAULT_TEMPLATE, localize, windows_for_day

NY = "America/New_York"


def _local(window):
    start, end = window.local()
    return start.strftime("%H:%M%z"), end.strftime("%H:%M%z")


def test_shanghai_windows_have_local_hours_and_offset():
    found = windows_for_day(date(2026, 11, 26), DEFAULT_TEMPLATE, "Asia/Shanghai")
    assert [_local(w) for w in found] == [
        ("08:00+0800", "10:00+0800"),
        ("10:00+0800", "12:00+0800"),
        ("13:00+0800", "15:00+0800"),
        ("15:00+0800", "17:00+0800"),
        ("17:00+0800", "19:00+0800"),
    ]
    assert found[2].start == datetime(2026, 11, 26, 5, 0, tzinfo=UTC)


def test_spring_forward_day_keeps_local_hours():
    found = windows_for_day(date(2026, 3, 8), DEFAULT_TEMPLATE, NY)
    assert [_local(w)[0] for w in found] == [
        "08:00-0400",
        "10:00-0400",
        "13:00-0400",
        "15:00-0400",
        "17:00-0400",
    ]
    # 13:00 EDT is 17:00 UTC (the day before it was 18:00 UTC).
    assert found[2].start == datetime(2026, 3, 8, 17, 0, tzinfo=UTC)
    before = windows_for_day(date(2026, 3, 7), DEFAULT_TEMPLATE, NY)
    assert before[2].start == datetime(2026, 3, 7, 18, 0, tzinfo=UTC)


def test_fall_back_day_keeps_local_hours():
    found = windows_for_day(date(2026, 11, 1), DEFAULT_TEMPLATE, NY)
    assert [_local(w)[0] for w in found] == [
        "08:00-0500",
        "10:00-0500",
        "13:00-0500",
        "15:00-0500",
        "17:00-0500",
    ]
    assert found[2].start == datetime(2026, 11, 1, 18, 0, tzinfo=UTC)
    assert all((w.end - w.start).total_seconds() == 7200 for w in found)


def test_nonexistent_local_times_are_never_offered():
    template = [["01:00", "02:00"], ["02:00", "03:00"], ["02:30", "04:00"], ["03:00", "05:00"]]
    found = windows_for_day(date(2026, 3, 8), template, NY)
    # 02:00–02:59 does not exist that day: every window starting or ending in it is skipped.
    assert [_local(w) for w in found] == [("03:00-0400", "05:00-0400")]
    assert localize(date(2026, 3, 8), time(2, 30), ZoneInfo(NY)) is None


def test_ambiguous_local_time_takes_first_occurrence():
    found = windows_for_day(date(2026, 11, 1), [["00:30", "01:30"]], NY)
    assert len(found) == 1
    assert found[0].start == datetime(2026, 11, 1, 4, 30, tzinfo=UTC)  # 00:30 EDT
    assert found[0].end == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT (first)


def test_labels_in_both_languages():
    window = windows_for_day(date(2026, 11, 26), DEFAULT_TEMPLATE, "Asia/Shanghai")[0]
    assert window.label("zh-CN") == "11月26日 周四 08:00–10:00"
    assert window.label("en") == "Thu 26 Nov 08:00–10:00"
