"""One tz database the project controls: every zone comes from the pinned ``tzdata``
package, never from the machine's zone files (``zoneinfo.TZPATH``).

The suite runs with the machine's files out of the path (tests/conftest.py); the tests
here put a path back on purpose, holding wrong or old rules, and check nothing reads it.
"""

from __future__ import annotations

import re
import sysconfig
import zoneinfo
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import tzdata

from rooms.clock import ManualClock
from rooms.scheduling import tzdb
from rooms.scheduling.ics import booking_ics
from rooms.scheduling.slots import SlotFinder, SlotQuery
from rooms.scheduling.zones import load_zone, to_local
from tests.rooms.scheduling.builders import (
    booking,
    every_day,
    expect_code,
    rules_with,
    schedule,
    utc,
)

VANCOUVER = "America/Vancouver"
# 09:00 in Vancouver on 2026-12-07: -07:00 since British Columbia stopped changing clocks
# (tzdata 2026); rules from before that (e.g. the 2025b files of some hosts) say -08:00.
DEC_7_9AM = datetime(2026, 12, 7, 9, 0)


def package_file_zone(name: str) -> ZoneInfo:
    """``name`` read straight from the tzdata package's file, bypassing the project."""
    with files("tzdata.zoneinfo").joinpath(*name.split("/")).open("rb") as handle:
        return ZoneInfo.from_file(handle, key=name)


@pytest.fixture
def zone_path(tmp_path: Path) -> Iterator[Path]:
    """``zoneinfo.TZPATH`` set to an empty directory the test may fill; the project's
    zone cache and zoneinfo's are fresh, and both are put back after."""
    ZoneInfo.clear_cache()
    zoneinfo.reset_tzpath(to=[str(tmp_path)])
    try:
        with tzdb.use(tzdb.package_source()):
            yield tmp_path
    finally:
        zoneinfo.reset_tzpath(to=[])
        ZoneInfo.clear_cache()


def plant(root: Path, name: str, like: str) -> None:
    """Put the package's ``like`` zone file under ``root`` as ``name`` (a wrong zone)."""
    target = root.joinpath(*name.split("/"))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(files("tzdata.zoneinfo").joinpath(*like.split("/")).read_bytes())


def test_the_rules_in_use_are_the_pinned_package_s() -> None:
    assert tzdb.version() == tzdata.IANA_VERSION
    ours = DEC_7_9AM.replace(tzinfo=load_zone(VANCOUVER)).utcoffset()
    assert ours == DEC_7_9AM.replace(tzinfo=package_file_zone(VANCOUVER)).utcoffset()
    assert ours == timedelta(hours=-7)


def test_a_zone_file_on_the_search_path_is_never_read(zone_path: Path) -> None:
    plant(zone_path, VANCOUVER, like="Asia/Tokyo")  # +09:00: a deliberately wrong file
    assert ZoneInfo(VANCOUVER).utcoffset(DEC_7_9AM) == timedelta(hours=9)  # zoneinfo reads it
    assert load_zone(VANCOUVER).utcoffset(DEC_7_9AM) == timedelta(hours=-7)
    assert to_local(utc(2026, 12, 7, 16), VANCOUVER).hour == 9


def test_zones_only_on_the_search_path_are_unknown(zone_path: Path) -> None:
    plant(zone_path, "Mars/Olympus_Mons", like="Asia/Tokyo")
    with expect_code("unknown_zone"):
        load_zone("Mars/Olympus_Mons")
    listed = files("tzdata").joinpath("zones").read_text().split()
    assert tzdb.available_zones() == frozenset(listed)


@pytest.fixture
def machine_zone_path() -> Iterator[None]:
    """zoneinfo's default search path (the machine's zone files) back in place."""
    ZoneInfo.clear_cache()
    zoneinfo.reset_tzpath(to=(sysconfig.get_config_var("TZPATH") or "").split(":"))
    try:
        with tzdb.use(tzdb.package_source()):
            yield
    finally:
        zoneinfo.reset_tzpath(to=[])
        ZoneInfo.clear_cache()


def test_a_vancouver_mentor_free_at_nine_is_offered_nine_under_current_rules(
        machine_zone_path: None) -> None:
    # The case: on a host with 2025b files this offered 17:00Z (09:00 at -08:00).
    mentor = schedule("mentor", every_day(VANCOUVER, "09:00-12:00"))
    mentee = schedule("mentee", every_day("Europe/London", "00:00-00:00"))
    query = SlotQuery(start=utc(2026, 12, 7), end=utc(2026, 12, 8), length_min=60)
    slots = SlotFinder(ManualClock(utc(2026, 1, 1).timestamp())).pair(mentor, mentee, query)
    assert slots[0].start == utc(2026, 12, 7, 16)
    assert slots[0].local[0].start.isoformat() == "2026-12-07T09:00:00-07:00"


def test_one_zone_object_per_name_keeps_zoneinfo_arithmetic() -> None:
    # Same tzinfo object: wall-clock arithmetic, exactly as with ZoneInfo(name) (cached).
    ours, stdlib = load_zone("America/New_York"), ZoneInfo("America/New_York")
    assert ours is load_zone("America/New_York")
    for tz in (ours, stdlib):
        midnight, four = datetime(2024, 3, 10, 0, tzinfo=tz), datetime(2024, 3, 10, 4, tzinfo=tz)
        assert four - midnight == timedelta(hours=4)  # wall clock, across the gap
        assert four.astimezone(UTC) - midnight.astimezone(UTC) == timedelta(hours=3)
        assert (midnight + timedelta(days=1)).utcoffset() == timedelta(hours=-4)
        assert four > midnight and four.tzname() == "EDT"
    # Different objects of one zone compare as instants, across sources too.
    assert datetime(2024, 3, 10, 4, tzinfo=ours) == datetime(2024, 3, 10, 4, tzinfo=stdlib)


def test_another_source_can_be_put_in_use_and_taken_out() -> None:
    old = rules_with({VANCOUVER: "America/Los_Angeles"}, version="2025b-like")
    with tzdb.use(old):
        assert tzdb.version() == "2025b-like"
        assert load_zone(VANCOUVER).utcoffset(DEC_7_9AM) == timedelta(hours=-8)
        assert load_zone(VANCOUVER).key == VANCOUVER
    assert load_zone(VANCOUVER).utcoffset(DEC_7_9AM) == timedelta(hours=-7)
    assert tzdb.version() == tzdata.IANA_VERSION


def test_invites_carry_the_package_rules(machine_zone_path: None) -> None:
    # A 16:00Z session on 2026-12-07 is 09:00 in Vancouver; with 2025b rules the invite
    # said 08:00 and its VTIMEZONE went back to -08:00 on 1 November 2026.
    made = booking("b1", utc(2026, 12, 7, 16), zone=VANCOUVER)
    calendar = icalendar.Calendar.from_ical(booking_ics(made))
    [event] = calendar.walk("VEVENT")
    assert event["DTSTART"].to_ical() == b"20261207T090000"
    assert event["DTSTART"].params["TZID"] == VANCOUVER
    winter = [block for block in booking_ics(made).decode().split("BEGIN:")
              if "TZOFFSETTO:-0800" in block]
    assert winter  # Vancouver had winter time until 2026
    starts = [d for block in winter
              for d in re.findall(r"^(?:DTSTART|RDATE):(\d{8})", block, re.MULTILINE)]
    assert starts and max(starts) < "20261101"
