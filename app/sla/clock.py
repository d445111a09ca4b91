"""Business time: deadlines that pause outside working hours and on holidays, across DST."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.scheduling.windows import localize

MAX_DAYS = 800  # a deadline further than this many calendar days away is refused


@dataclass(frozen=True)
class Calendar:
    """Working hours per ISO weekday (local time) and holidays, in one time zone."""

    zone: str
    hours: Mapping[int, Sequence[tuple[time, time]]]
    holidays: frozenset[date] = field(default_factory=frozenset)

    def periods(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working periods of a local day as UTC instants (none on holidays)."""
        if day in self.holidays:
            return []
        zone = ZoneInfo(self.zone)
        found = []
        for start, end in self.hours.get(day.isoweekday(), ()):
            a, b = _instant(day, start, zone), _instant(day, end, zone)
            if b > a:
                found.append((a, b))
        return sorted(found)

    def works(self) -> bool:
        """Tell whether the calendar has any working period at all."""
        return any(self.hours.values())


@dataclass(frozen=True)
class Overlap:
    """The time two calendars both count (business hours outside quiet hours), days in the
    first one's zone."""

    first: Calendar
    second: Calendar

    @property
    def zone(self) -> str:
        return self.first.zone

    def works(self) -> bool:
        return self.first.works() and self.second.works()

    def periods(self, day: date) -> list[tuple[datetime, datetime]]:
        # The second calendar's local days that can overlap this one (zones differ by < 2 days).
        others = [p for n in range(-2, 3) for p in self.second.periods(day + timedelta(days=n))]
        found = []
        for a, b in self.first.periods(day):
            for c, d in others:
                start, end = max(a, c), min(b, d)
                if end > start:
                    found.append((start, end))
        return sorted(found)


Clock = Calendar | Overlap


def contactable(zone: str, opens: time, closes: time) -> Calendar:
    """Every day from `opens` to `closes` local time: when a consumer may be texted."""
    return Calendar(zone, {day: [(opens, closes)] for day in range(1, 8)})


def _instant(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """A local wall-clock time as an instant; one inside a DST gap moves to the gap's end."""
    found = localize(day, clock, zone)
    if found is not None:
        return found
    naive = datetime.combine(day, clock)
    # Inside the gap the two offsets bracket the transition: search for the first instant
    # whose local time is at or after the wall-clock time asked for.
    low = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if low > high:
        low, high = high, low
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def _days_from(moment: datetime, zone: str) -> Iterator[date]:
    day = moment.astimezone(ZoneInfo(zone)).date() - timedelta(days=1)
    for offset in range(MAX_DAYS):
        yield day + timedelta(days=offset)


def add_business_time(start: datetime, duration: timedelta, calendar: Clock | None) -> datetime:
    """The instant `duration` of working time after `start`."""
    if calendar is None:
        return start + duration
    if not calendar.works():
        raise ValueError("a business calendar needs working hours")
    left = duration
    for day in _days_from(start, calendar.zone):
        for opens, closes in calendar.periods(day):
            if closes <= start:
                continue
            begin = max(opens, start)
            if closes - begin >= left:
                return begin + left
            left -= closes - begin
    raise ValueError("deadline too far away in business time")


def business_time_between(start: datetime, end: datetime, calendar: Clock | None) -> timedelta:
    """Working time elapsed between two instants (zero if end is before start)."""
    if end <= start:
        return timedelta(0)
    if calendar is None:
        return end - start
    total = timedelta(0)
    for day in _days_from(start, calendar.zone):
        periods = calendar.periods(day)
        if periods and periods[0][0] >= end:
            break
        for a, b in periods:
            overlap = min(b, end) - max(a, start)
            if overlap > timedelta(0):
                total += overlap
        if day > end.astimezone(ZoneInfo(calendar.zone)).date():
            break
    return total
