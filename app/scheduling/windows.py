"""Time windows: a dealer's local template turned into real instants, day by day, across DST."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.network.models import DEFAULT_TEMPLATE

__all__ = ["DEFAULT_TEMPLATE", "Window", "localize", "windows_for_day"]

WEEKDAYS = {
    "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    "zh-CN": ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
}
MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass(frozen=True)
class Window:
    """One bookable window: UTC instants, and the local day and clock times it was made from."""

    start: datetime
    end: datetime
    local_date: date
    local_start: time
    local_end: time
    zone: str

    def local(self) -> tuple[datetime, datetime]:
        """Return start and end in the dealer's zone (with its offset)."""
        tz = ZoneInfo(self.zone)
        return self.start.astimezone(tz), self.end.astimezone(tz)

    def label(self, locale: str) -> str:
        """Describe the window in the consumer's language, in local time."""
        d, hours = self.local_date, f"{self.local_start:%H:%M}–{self.local_end:%H:%M}"
        if locale == "zh-CN":
            return f"{d.month}月{d.day}日 {WEEKDAYS['zh-CN'][d.weekday()]} {hours}"
        return f"{WEEKDAYS['en'][d.weekday()]} {d.day} {MONTHS_EN[d.month - 1]} {hours}"


def parse_template(template: Sequence[Sequence[str]]) -> list[tuple[time, time]]:
    """Turn [["08:00", "10:00"], …] into ordered (start, end) times."""
    periods = [(time.fromisoformat(start), time.fromisoformat(end)) for start, end in template]
    return sorted(periods)


def localize(day: date, clock: time, zone: ZoneInfo) -> datetime | None:
    """Return the instant of a local wall-clock time, or None when it does not exist (DST gap).

    An ambiguous time (the repeated hour when clocks go back) takes its first occurrence.
    """
    naive = datetime.combine(day, clock)
    aware = naive.replace(tzinfo=zone, fold=0)
    round_trip = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != naive:
        return None
    return aware.astimezone(UTC)


def windows_for_day(day: date, template: Sequence[Sequence[str]], zone_name: str) -> list[Window]:
    """List the template's windows on one local day; windows touching a DST gap are skipped."""
    zone = ZoneInfo(zone_name)
    found = []
    for start_clock, end_clock in parse_template(template):
        start = localize(day, start_clock, zone)
        end = localize(day, end_clock, zone)
        if start is None or end is None or end <= start:
            continue
        found.append(Window(start, end, day, start_clock, end_clock, zone_name))
    return found


def local_today(zone_name: str, now: datetime) -> date:
    """Return today's date in a zone."""
    return now.astimezone(ZoneInfo(zone_name)).date()


def days(first: date, count: int) -> Iterator[date]:
    """Yield `count` consecutive days from `first`."""
    for offset in range(count):
        yield first + timedelta(days=offset)
