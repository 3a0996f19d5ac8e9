"""Slot finding, named cases: pairs across the world, buffers, notice, grids, DST edges."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from pydantic import ValidationError

from rooms.clock import ManualClock
from rooms.scheduling.availability import Weekday
from rooms.scheduling.slots import BusySpan, Slot, SlotFinder, SlotQuery, local_day_range
from tests.rooms.scheduling.builders import WEEKDAYS, every_day, expect_code, schedule, utc

ANYTIME = every_day("UTC", "00:00-00:00")


def query(start: datetime, end: datetime, length_min: int = 30, **kw: int) -> SlotQuery:
    return SlotQuery(start=start, end=end, length_min=length_min, **kw)


def starts(slots: list[Slot]) -> list[datetime]:
    return [s.start for s in slots]


def local_starts(slots: list[Slot], identity: str) -> list[str]:
    return [s.local_for(identity).start.isoformat() for s in slots]


def test_tokyo_mentee_and_los_angeles_mentor(finder: SlotFinder) -> None:
    mentor = schedule("mentor", every_day("America/Los_Angeles", "16:00-19:00", days=WEEKDAYS))
    mentee = schedule("mentee", every_day("Asia/Tokyo", "09:00-12:00", days=WEEKDAYS))
    slots = finder.pair(mentor, mentee, query(utc(2024, 1, 8), utc(2024, 1, 13), 45))
    # LA Mon-Thu afternoons are Tokyo Tue-Fri mornings; LA Friday is Tokyo Saturday.
    assert len(slots) == 4 * 10
    first = slots[0]
    assert first.start == utc(2024, 1, 9, 0) and first.end == utc(2024, 1, 9, 0, 45)
    assert first.local_for("mentor").start.isoformat() == "2024-01-08T16:00:00-08:00"
    assert first.local_for("mentee").start.isoformat() == "2024-01-09T09:00:00+09:00"
    assert first.to_dict()["local"]["mentee"] == {
        "zone": "Asia/Tokyo", "start": "2024-01-09T09:00:00+09:00",
        "end": "2024-01-09T09:45:00+09:00"}
    assert first.to_dict()["start"] == "2024-01-09T00:00:00Z"
    assert slots[9].local_for("mentor").start.hour == 18  # 18:15 is the last 45-min start
    assert {s.local_for("mentor").start.weekday() for s in slots} == {0, 1, 2, 3}


def test_existing_bookings_and_buffers_block(finder: SlotFinder) -> None:
    busy = [BusySpan(utc(2024, 1, 8, 10), utc(2024, 1, 8, 10, 30), buffer_s=0)]
    mentor = schedule("m", every_day("UTC", "09:00-12:00"), busy)
    slots = finder.pair(mentor, schedule("e", ANYTIME),
                        query(utc(2024, 1, 8), utc(2024, 1, 9), buffer_min=15))
    assert [s.start.strftime("%H:%M") for s in slots] == [
        "09:00", "09:15", "10:45", "11:00", "11:15", "11:30"]
    # The booking's own buffer wins when it is the larger one.
    busy = [BusySpan(utc(2024, 1, 8, 10), utc(2024, 1, 8, 10, 30), buffer_s=1800)]
    mentor = schedule("m", every_day("UTC", "09:00-12:00"), busy)
    slots = finder.pair(mentor, schedule("e", ANYTIME),
                        query(utc(2024, 1, 8), utc(2024, 1, 9), buffer_min=15))
    assert [s.start.strftime("%H:%M") for s in slots] == ["09:00", "11:00", "11:15", "11:30"]


def test_minimum_notice_comes_from_the_clock(clock: ManualClock, finder: SlotFinder) -> None:
    clock.set(utc(2024, 1, 8, 9, 40).timestamp())
    slots = finder.pair(schedule("m", every_day("UTC", "09:00-12:00")), schedule("e", ANYTIME),
                        query(utc(2024, 1, 8), utc(2024, 1, 9), notice_min=60))
    assert slots[0].start == utc(2024, 1, 8, 10, 45)  # first grid start after 10:40


def test_grid_is_aligned_in_the_organisers_zone(finder: SlotFinder) -> None:
    organiser = schedule("org", every_day("Asia/Kathmandu", "09:00-11:00"))
    slots = finder.pair(organiser, schedule("o", ANYTIME),
                        query(utc(2024, 5, 6), utc(2024, 5, 7), step_min=30))
    assert local_starts(slots, "org") == [
        f"2024-05-06T{t}:00+05:45" for t in ("09:00", "09:30", "10:00", "10:30")]
    assert [s.start.strftime("%H:%M") for s in slots] == ["03:15", "03:45", "04:15", "04:45"]
    # The other way round the grid follows UTC, and Kathmandu sees :45 and :15.
    flipped = finder.pair(schedule("o", every_day("UTC", "03:00-05:00")),
                          schedule("ktm", every_day("Asia/Kathmandu", "00:00-00:00")),
                          query(utc(2024, 5, 6), utc(2024, 5, 7), step_min=30))
    assert local_starts(flipped, "ktm")[:2] == ["2024-05-06T08:45:00+05:45",
                                                "2024-05-06T09:15:00+05:45"]


def test_chatham_organiser_hourly_grid(finder: SlotFinder) -> None:
    organiser = schedule("org", every_day("Pacific/Chatham", "10:00-12:00"))
    slots = finder.pair(organiser, schedule("o", ANYTIME),
                        query(utc(2024, 7, 1), utc(2024, 7, 2), 60, step_min=60))
    # 10:00 and 11:00 on 2024-07-02 at +12:45 (the 07-01 ones fall before the range).
    assert [s.start for s in slots] == [utc(2024, 7, 1, 21, 15), utc(2024, 7, 1, 22, 15)]
    assert all(s.local_for("org").start.minute == 0 for s in slots)


def test_adelaide_and_kolkata_pair_across_adelaide_dst_start(finder: SlotFinder) -> None:
    adelaide = schedule("adl", every_day("Australia/Adelaide", "14:00-15:00"))
    kolkata = schedule("ccu", every_day("Asia/Kolkata", "09:00-11:00"))
    slots = finder.pair(adelaide, kolkata,
                        query(utc(2024, 10, 4), utc(2024, 10, 8), 60, step_min=60))
    # 14:00 Adelaide is 10:00 Kolkata at +09:30, 09:00 at +10:30 (from 2024-10-06).
    assert [(s.local_for("adl").start.day, s.local_for("ccu").start.strftime("%H:%M"))
            for s in slots] == [(4, "10:00"), (5, "10:00"), (6, "09:00"), (7, "09:00")]


def test_dublin_mentor_in_winter_and_summer(finder: SlotFinder) -> None:
    dublin = schedule("dub", every_day("Europe/Dublin", "09:00-10:00"))
    for day, utc_hour in ((date(2024, 1, 15), 9), (date(2024, 7, 15), 8)):
        start = utc(day.year, day.month, day.day)
        slots = finder.pair(dublin, schedule("o", ANYTIME),
                            query(start, start + timedelta(days=1), 60, step_min=60))
        assert [s.start for s in slots] == [start + timedelta(hours=utc_hour)]


def test_slots_never_start_in_a_gap(finder: SlotFinder) -> None:
    organiser = schedule("ny", every_day("America/New_York", "01:00-04:00"))
    slots = finder.pair(organiser, schedule("o", ANYTIME),
                        query(utc(2024, 3, 10), utc(2024, 3, 11), 60, step_min=30))
    assert local_starts(slots, "ny") == ["2024-03-10T01:00:00-05:00",
                                         "2024-03-10T01:30:00-05:00",
                                         "2024-03-10T03:00:00-04:00"]
    assert slots[1].local_for("ny").end.isoformat() == "2024-03-10T03:30:00-04:00"


def test_slots_in_a_repeated_hour_come_twice(finder: SlotFinder) -> None:
    organiser = schedule("ny", every_day("America/New_York", "01:00-02:00"))
    slots = finder.pair(organiser, schedule("o", ANYTIME),
                        query(utc(2024, 11, 3), utc(2024, 11, 4), 30, step_min=30))
    assert local_starts(slots, "ny") == [
        "2024-11-03T01:00:00-04:00", "2024-11-03T01:30:00-04:00",
        "2024-11-03T01:00:00-05:00", "2024-11-03T01:30:00-05:00"]
    assert [s.local_for("ny").start.fold for s in slots] == [0, 0, 1, 1]
    assert starts(slots) == [utc(2024, 11, 3, h, m) for h in (5, 6) for m in (0, 30)]


def test_lord_howe_half_hour_gap(finder: SlotFinder) -> None:
    organiser = schedule("lh", every_day("Australia/Lord_Howe", "01:00-04:00"))
    slots = finder.pair(organiser, schedule("o", ANYTIME),
                        query(utc(2024, 10, 5), utc(2024, 10, 6, 12), 30, step_min=30))
    assert [s.local_for("lh").start.strftime("%H:%M%z") for s in slots] == [
        "01:00+1030", "01:30+1030", "02:30+1100", "03:00+1100", "03:30+1100"]


def test_apia_skipped_date_yields_no_slots(clock: ManualClock, finder: SlotFinder) -> None:
    clock.set(utc(2011, 12, 1).timestamp())
    apia = schedule("apia", every_day("Pacific/Apia", "09:00-17:00"))
    slots = finder.pair(apia, schedule("o", ANYTIME),
                        query(utc(2011, 12, 28), utc(2012, 1, 2), 60, step_min=60))
    days = sorted({s.local_for("apia").start.date() for s in slots})
    assert date(2011, 12, 30) not in days
    # The UTC range reads 12-27 14:00 (-10:00) to 2012-01-02 14:00 (+14:00) in Apia.
    assert days == [date(2011, 12, d) for d in (27, 28, 29, 31)] + [
        date(2012, 1, 1), date(2012, 1, 2)]


def test_roundtable_ranks_by_attendance_then_start(finder: SlotFinder) -> None:
    host = schedule("host", every_day("UTC", "09:00-12:00"))
    invitees = [
        schedule("a", every_day("Europe/Paris", "10:00-13:00")),  # 09-12 UTC in January
        schedule("b", every_day("America/New_York", "05:00-06:00")),  # 10-11 UTC
        schedule("c", every_day("Asia/Kolkata", "16:00-17:30")),  # 10:30-12:00 UTC
        schedule("d", every_day("Asia/Tokyo", "06:00-07:00")),  # 21-22 UTC: never
    ]
    slots = finder.roundtable(host, invitees,
                              query(utc(2024, 1, 8), utc(2024, 1, 9), 60, step_min=30),
                              limit=3)
    assert [(s.start.strftime("%H:%M"), s.available, s.unavailable) for s in slots] == [
        ("10:00", ("host", "a", "b"), ("c", "d")),
        ("10:30", ("host", "a", "c"), ("b", "d")),
        ("11:00", ("host", "a", "c"), ("b", "d")),
    ]
    assert slots[0].local_for("d").start.isoformat() == "2024-01-08T19:00:00+09:00"
    everyone = finder.roundtable(host, invitees, query(utc(2024, 1, 8), utc(2024, 1, 9), 60),
                                 limit=100, min_attendees=3)
    assert everyone == []
    with pytest.raises(ValueError):
        finder.roundtable(host, [host], query(utc(2024, 1, 8), utc(2024, 1, 9), 60))


def test_pair_limit_and_empty_ranges(clock: ManualClock, finder: SlotFinder) -> None:
    m, e = schedule("m", ANYTIME), schedule("e", ANYTIME)
    assert len(finder.pair(m, e, query(utc(2024, 1, 8), utc(2024, 1, 9)), limit=5)) == 5
    clock.set(utc(2024, 2, 1).timestamp())
    assert finder.pair(m, e, query(utc(2024, 1, 8), utc(2024, 1, 9))) == []
    with pytest.raises(ValueError):
        finder.pair(m, m, query(utc(2024, 1, 8), utc(2024, 1, 9)))


def test_range_and_length_errors() -> None:
    with expect_code("invalid_range"):
        query(utc(2024, 1, 9), utc(2024, 1, 8))
    with expect_code("invalid_range"):
        query(utc(2024, 1, 9), utc(2024, 1, 9))
    with expect_code("invalid_range"):
        SlotQuery(start=datetime(2024, 1, 8), end=utc(2024, 1, 9), length_min=30)
    with expect_code("range_too_long"):  # 90 local days, plus a day for offset changes
        query(utc(2024, 1, 1), utc(2024, 1, 1) + timedelta(days=91, seconds=1))
    assert query(utc(2024, 1, 1), utc(2024, 1, 1) + timedelta(days=91)).length_min == 30


def test_ninety_local_days_across_a_dst_change_are_not_too_long() -> None:
    # 1 October to 29 December 2026 in London: 90 days, and an hour more in UTC.
    start, end = local_day_range("Europe/London", date(2026, 10, 1), date(2026, 12, 29))
    assert end - start == timedelta(days=90, hours=1)
    assert query(start, end).length_min == 30
    with expect_code("range_too_long"):
        local_day_range("Europe/London", date(2026, 10, 1), date(2026, 12, 30))
    with expect_code("invalid_duration"):
        query(utc(2024, 1, 8), utc(2024, 1, 9), 20)
    with pytest.raises(ValidationError):
        query(utc(2024, 1, 8), utc(2024, 1, 9), step_min=7)
    with pytest.raises(ValidationError):
        query(utc(2024, 1, 8), utc(2024, 1, 9), buffer_min=-5)


def test_days_off_remove_slots(finder: SlotFinder) -> None:
    mentor = schedule("m", every_day("Europe/London", "09:00-10:00", days=[Weekday.MON],
                                     days_off=[date(2024, 1, 15)]))
    slots = finder.pair(mentor, schedule("e", ANYTIME),
                        query(utc(2024, 1, 1), utc(2024, 1, 31), 60, step_min=60))
    assert [s.start.date() for s in slots] == [date(2024, 1, d) for d in (1, 8, 22, 29)]
