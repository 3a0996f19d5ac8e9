"""When a person is free to meet, in their own local time.

An :class:`Availability` is a zone, weekly windows in that zone's wall-clock time
("Mon-Thu 08:30-12:00 and 16:00-18:00"), days off (local dates) and one-off extra slots
(local datetime ranges). Its free time is the set of instants whose wall-clock reading falls
in a weekly window on a day that is not a day off, or in an extra slot (policy 4 of
:mod:`.zones`: extra slots win over days off, because they are the more specific wish).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum

from pydantic import Field, field_validator

from rooms.models import WireModel
from rooms.scheduling.intervals import Interval, clip
from rooms.scheduling.timeline import DAY_S, ZoneTimeline, local_seconds, naive_local_seconds
from rooms.scheduling.zones import ZoneName, from_epoch, load_zone

MAX_WINDOWS_PER_DAY = 12
MAX_DAYS_OFF = 1000
MAX_EXTRA_SLOTS = 500
MAX_EXTRA_SLOT = timedelta(days=14)
FIRST_YEAR, LAST_YEAR = 2000, 2100  # dates beyond are refused before any arithmetic overflows


def _check_year(day: date) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(f"dates run from {FIRST_YEAR} to {LAST_YEAR}")
MIDNIGHT = time(0, 0)

Window = tuple[time, time]
"""A local [start, end) within one day; an end of 00:00 means midnight at the day's end."""


class Weekday(StrEnum):
    """A day of the week; ``number`` is Python's (Monday 0 .. Sunday 6)."""

    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @property
    def number(self) -> int:
        return list(Weekday).index(self)

    @classmethod
    def of(cls, day: date) -> Weekday:
        """The weekday ``day`` falls on."""
        return list(cls)[day.weekday()]


def window_seconds(window: Window) -> Interval:
    """A window as seconds from local midnight; an end of 00:00 is 86400."""
    start, end = window
    start_s = start.hour * 3600 + start.minute * 60
    end_s = end.hour * 3600 + end.minute * 60
    return start_s, end_s if end != MIDNIGHT else DAY_S


def _check_clock_time(value: time) -> None:
    if value.tzinfo is not None:
        raise ValueError("window times are local wall-clock times: no offset or zone")
    if value.second or value.microsecond:
        raise ValueError("window times are whole minutes")


class Availability(WireModel):
    """A person's free time, written in their own zone's wall-clock time."""

    zone: ZoneName
    weekly: dict[Weekday, tuple[Window, ...]] = Field(default_factory=dict)
    days_off: tuple[date, ...] = ()
    extra: tuple[tuple[datetime, datetime], ...] = Field(default=(), max_length=MAX_EXTRA_SLOTS)

    @field_validator("weekly")
    @classmethod
    def _valid_windows(
        cls, weekly: dict[Weekday, tuple[Window, ...]]
    ) -> dict[Weekday, tuple[Window, ...]]:
        for day, windows in weekly.items():
            if len(windows) > MAX_WINDOWS_PER_DAY:
                raise ValueError(f"at most {MAX_WINDOWS_PER_DAY} windows on {day.value}")
            for window in windows:
                for value in window:
                    _check_clock_time(value)
                start_s, end_s = window_seconds(window)
                if start_s >= end_s:
                    raise ValueError(f"window {window[0]}-{window[1]} ends before it starts")
        return {day: tuple(sorted(weekly[day])) for day in Weekday if weekly.get(day)}

    @field_validator("days_off")
    @classmethod
    def _sorted_days_off(cls, days: tuple[date, ...]) -> tuple[date, ...]:
        if len(days) > MAX_DAYS_OFF:
            raise ValueError(f"at most {MAX_DAYS_OFF} days off")
        for day in days:
            _check_year(day)
        return tuple(sorted(set(days)))

    @field_validator("extra")
    @classmethod
    def _valid_extra(
        cls, extra: tuple[tuple[datetime, datetime], ...]
    ) -> tuple[tuple[datetime, datetime], ...]:
        for start, end in extra:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("extra slots are local wall-clock times: no offset or zone")
            _check_year(start.date())
            _check_year(end.date())
            if not start < end <= start + MAX_EXTRA_SLOT:
                raise ValueError("an extra slot must end after it starts, within 14 days")
        return tuple(sorted(extra))

    def timeline(self, start: int, end: int) -> ZoneTimeline:
        """This person's zone's offsets over [start, end) (UTC seconds)."""
        return ZoneTimeline(load_zone(self.zone), start, end)

    def local_ranges(self, first_day: date, last_day: date) -> list[Interval]:
        """The free wall-clock ranges (as local seconds) of the local days in the range."""
        days_off = set(self.days_off)
        weekly = [
            [window_seconds(w) for w in self.weekly.get(day, ())] for day in list(Weekday)
        ]
        ranges: list[Interval] = []
        day = first_day
        while day <= last_day:
            if day not in days_off:
                base = local_seconds(day)
                ranges.extend((base + s, base + e) for s, e in weekly[day.weekday()])
            day += timedelta(days=1)
        for start, end in self.extra:
            if end.date() >= first_day and start.date() <= last_day:
                ranges.append((naive_local_seconds(start), naive_local_seconds(end)))
        return ranges

    def free_intervals(
        self, start: int, end: int, timeline: ZoneTimeline | None = None
    ) -> list[Interval]:
        """The free instants in [start, end) (UTC seconds), as a normalised interval list.

        ``timeline`` may be passed in when the caller already has this zone's timeline for
        (at least) the same span.
        """
        if timeline is None:
            timeline = self.timeline(start, end)
        # Offsets stay within +-1 day, so these local days hold every wall time in range.
        first_day = from_epoch(start).date() - timedelta(days=1)
        last_day = from_epoch(end).date() + timedelta(days=1)
        return clip(timeline.local_ranges_to_utc(self.local_ranges(first_day, last_day)),
                    start, end)

    def is_free_at(self, local: datetime) -> bool:
        """Whether the naive wall-clock time ``local`` is inside this availability."""
        if any(s <= local < e for s, e in self.extra):
            return True
        if local.date() in self.days_off:
            return False
        at = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
        windows = self.weekly.get(Weekday.of(local.date()), ())
        return any(s <= at < e for s, e in map(window_seconds, windows))
