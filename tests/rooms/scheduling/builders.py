"""Small builders and checks shared by the scheduling tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from importlib.resources import files
from typing import IO
from zoneinfo import ZoneInfo

import pytest

from rooms.errors import RoomError
from rooms.scheduling import tzdb
from rooms.scheduling.availability import Availability, Weekday
from rooms.scheduling.bookings import Attendee, Booking
from rooms.scheduling.slots import BusySpan, PersonSchedule
from rooms.scheduling.zones import HOST_SPECIFIC

NOW = datetime(2024, 1, 1, tzinfo=UTC)
# Every zone name the tzdata package lists, less the host-specific names (refused).
ALL_ZONES = sorted(tzdb.available_zones() - HOST_SPECIFIC)
# Zones that change clocks nowadays (January and July offsets differ): where DST bugs live.
DST_ZONES = [
    z for z in ALL_ZONES
    if datetime(2024, 1, 15, tzinfo=ZoneInfo(z)).utcoffset()
    != datetime(2024, 7, 15, tzinfo=ZoneInfo(z)).utcoffset()
]
WEEKDAYS = (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
        second: int = 0) -> datetime:
    """A UTC datetime: ``utc(2024, 3, 10, 7)``."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def hm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def every_day(zone: str, *windows: str, days: Sequence[Weekday] = tuple(Weekday),
              **extra: object) -> Availability:
    """Availability in ``zone`` with windows like ``"08:30-12:00"`` on ``days``."""
    parsed = tuple((hm(w.split("-")[0]), hm(w.split("-")[1])) for w in windows)
    return Availability.model_validate(
        {"zone": zone, "weekly": {day: parsed for day in days}, **extra}
    )


def schedule(identity: str, availability: Availability,
             busy: Sequence[BusySpan] = ()) -> PersonSchedule:
    return PersonSchedule(identity, availability, tuple(busy))


def attendee(identity: str, zone: str = "Europe/London", email: str | None = None) -> Attendee:
    return Attendee(identity=identity, display_name=identity.title(), zone=zone, email=email)


def booking(
    booking_id: str,
    start: datetime,
    minutes: int = 30,
    organiser: str = "mentor",
    attendees: Sequence[str] = ("mentee",),
    zone: str = "Europe/London",
    buffer_s: int = 0,
    now: datetime = NOW,
    title: str = "Career chat",
) -> Booking:
    return Booking.new(
        booking_id,
        attendee(organiser, zone, f"{organiser}@example.org"),
        [attendee(a, "Asia/Tokyo") for a in attendees],
        start,
        start + timedelta(minutes=minutes),
        now.timestamp(),
        title=title,
        buffer_s=buffer_s,
    )


def expect_code(code: str) -> pytest.RaisesExc[RoomError]:
    """``with expect_code("unknown_zone"): ...``"""
    return pytest.raises(RoomError, match=f"^{code}: ")


def transitions_in_year(zone: str, year: int) -> list[datetime]:
    """UTC midnights after which ``zone``'s offset changes within the day (found by daily
    sampling with zoneinfo alone, independently of the code under test; with the suite's
    empty zone search path zoneinfo reads the same tzdata package by its own path)."""
    tz = ZoneInfo(zone)
    day = datetime(year, 1, 1, tzinfo=UTC)
    found, previous = [], day.astimezone(tz).utcoffset()
    for _ in range(366):
        day += timedelta(days=1)
        offset = day.astimezone(tz).utcoffset()
        if offset != previous:
            found.append(day - timedelta(days=1))
        previous = offset
    return found


def rules_with(overrides: dict[str, str], version: str = "test-old") -> tzdb.ZoneSource:
    """The package's zone rules, except each zone in ``overrides`` takes the rules of the
    zone it maps to (``{"America/Vancouver": "America/Los_Angeles"}``: Vancouver as it was
    before its 2026 change, still with winter time): a second rule set for tests."""
    package = tzdb.package_source()

    def opener(name: str) -> IO[bytes] | None:
        source = overrides.get(name, name)
        resource = files("tzdata.zoneinfo").joinpath(*source.split("/"))
        return resource.open("rb") if resource.is_file() else None

    return tzdb.ZoneSource(version, package.names, opener)
