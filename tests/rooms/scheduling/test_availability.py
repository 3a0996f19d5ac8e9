"""Availability: weekly windows, days off and extra slots, turned into UTC intervals."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from pydantic import ValidationError

from rooms.scheduling.availability import Availability, Weekday
from rooms.scheduling.intervals import total
from rooms.scheduling.zones import epoch_seconds, from_epoch, load_zone
from tests.rooms.scheduling.builders import every_day, expect_code, utc


def free(availability: Availability, start: datetime, end: datetime) -> list[tuple[datetime,
                                                                                  datetime]]:
    found = availability.free_intervals(epoch_seconds(start), epoch_seconds(end))
    return [(from_epoch(s), from_epoch(e)) for s, e in found]


def test_weekly_windows_in_local_time() -> None:
    mentor = every_day("Asia/Kathmandu", "08:30-12:00", "16:00-18:00", days=[Weekday.MON])
    assert free(mentor, utc(2024, 5, 6), utc(2024, 5, 7)) == [
        (utc(2024, 5, 6, 2, 45), utc(2024, 5, 6, 6, 15)),
        (utc(2024, 5, 6, 10, 15), utc(2024, 5, 6, 12, 15)),
    ]


def test_windows_ending_at_midnight_and_whole_days_merge() -> None:
    night = every_day("UTC", "20:00-00:00", "00:00-02:00")
    assert free(night, utc(2024, 5, 6), utc(2024, 5, 8)) == [
        (utc(2024, 5, 6), utc(2024, 5, 6, 2)),
        (utc(2024, 5, 6, 20), utc(2024, 5, 7, 2)),
        (utc(2024, 5, 7, 20), utc(2024, 5, 8)),
    ]


def test_window_across_spring_forward_loses_the_hour() -> None:
    person = every_day("America/New_York", "01:00-04:00")
    day = free(person, utc(2024, 3, 10), utc(2024, 3, 11))
    assert day == [(utc(2024, 3, 10, 6), utc(2024, 3, 10, 8))]  # 2 h, not 3


def test_window_across_fall_back_gains_the_hour() -> None:
    person = every_day("America/New_York", "00:30-02:30")
    assert free(person, utc(2024, 11, 3), utc(2024, 11, 4)) == [
        (utc(2024, 11, 3, 4, 30), utc(2024, 11, 3, 7, 30))]  # 3 h of real time


def test_window_inside_the_gap_is_empty() -> None:
    person = every_day("America/New_York", "02:00-03:00")
    assert free(person, utc(2024, 3, 10), utc(2024, 3, 11)) == []
    assert free(person, utc(2024, 3, 11), utc(2024, 3, 12)) == [
        (utc(2024, 3, 11, 6), utc(2024, 3, 11, 7))]


def test_apia_skipped_date_has_no_free_time() -> None:
    person = every_day("Pacific/Apia", "00:00-00:00")  # free all day, every day
    found = free(person, utc(2011, 12, 28), utc(2012, 1, 2))
    assert found == [(utc(2011, 12, 28), utc(2012, 1, 2))]  # time itself has no hole...
    local_dates = {
        from_epoch(t).astimezone(load_zone("Pacific/Apia")).date()
        for t in range(epoch_seconds(utc(2011, 12, 28)), epoch_seconds(utc(2012, 1, 2)), 900)
    }
    assert date(2011, 12, 30) not in local_dates  # ...but no instant reads 2011-12-30
    friday_only = every_day("Pacific/Apia", "09:00-17:00", days=[Weekday.FRI])
    assert free(friday_only, utc(2011, 12, 26), utc(2012, 1, 2)) == []  # 12-30 was Friday


def test_days_off_and_extra_slots() -> None:
    person = every_day(
        "Europe/Berlin", "09:00-10:00",
        days_off=[date(2024, 5, 7)],
        extra=[(datetime(2024, 5, 7, 18, 0), datetime(2024, 5, 7, 19, 0))],
    )
    assert free(person, utc(2024, 5, 6), utc(2024, 5, 9)) == [
        (utc(2024, 5, 6, 7), utc(2024, 5, 6, 8)),
        (utc(2024, 5, 7, 16), utc(2024, 5, 7, 17)),  # extra slot on the day off
        (utc(2024, 5, 8, 7), utc(2024, 5, 8, 8)),
    ]
    assert person.is_free_at(datetime(2024, 5, 7, 18, 30))
    assert not person.is_free_at(datetime(2024, 5, 7, 9, 30))
    assert person.is_free_at(datetime(2024, 5, 8, 9, 30))


def test_free_time_is_clipped_to_the_range() -> None:
    person = every_day("UTC", "09:00-17:00")
    assert free(person, utc(2024, 5, 6, 10), utc(2024, 5, 6, 11)) == [
        (utc(2024, 5, 6, 10), utc(2024, 5, 6, 11))]
    week = person.free_intervals(epoch_seconds(utc(2024, 5, 6)), epoch_seconds(utc(2024, 5, 13)))
    assert total(week) == 7 * 8 * 3600


def test_unknown_zone_is_a_room_error() -> None:
    with expect_code("unknown_zone"):
        Availability(zone="Atlantis/Capital")
    with expect_code("unknown_zone"):
        Availability.from_dict({"zone": "utc+2"})


@pytest.mark.parametrize(
    "weekly",
    [
        {"mon": [("12:00", "09:00")]},
        {"mon": [("09:00", "09:00")]},
        {"mon": [("09:00:30", "10:00")]},
        {"mon": [("09:00+02:00", "10:00")]},
        {"someday": [("09:00", "10:00")]},
        {"mon": [("09:00", "10:00")] * 13},
    ],
)
def test_bad_windows_are_refused(weekly: object) -> None:
    with pytest.raises(ValidationError):
        Availability.model_validate({"zone": "UTC", "weekly": weekly})


def test_bad_extra_slots_are_refused() -> None:
    with pytest.raises(ValidationError):
        Availability(zone="UTC", extra=((datetime(2024, 1, 2), datetime(2024, 1, 1)),))
    with pytest.raises(ValidationError):
        Availability(zone="UTC", extra=((datetime(2024, 1, 1), datetime(2024, 2, 1)),))


def test_wire_form_round_trips() -> None:
    person = every_day("Australia/Lord_Howe", "08:30-12:00", days_off=[date(2024, 1, 2)],
                       extra=[(datetime(2024, 1, 6, 10), datetime(2024, 1, 6, 11))])
    data = person.to_dict()
    assert data["weekly"]["mon"] == [["08:30:00", "12:00:00"]]
    assert Availability.from_dict(data) == person
    assert Weekday.of(date(2024, 1, 7)) is Weekday.SUN and Weekday.SUN.number == 6
    assert time(8, 30) == person.weekly[Weekday.MON][0][0]


@pytest.mark.parametrize("data", [
    {"extra": ((datetime(9999, 12, 31, 10), datetime(9999, 12, 31, 23, 59)),)},
    {"extra": ((datetime(1, 1, 1), datetime(1, 1, 1, 1)),)},
    {"days_off": (date(9999, 12, 31),)},
    {"days_off": (date(2101, 1, 1),)},
])
def test_dates_outside_2000_to_2100_are_refused(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match="dates run from 2000 to 2100"):
        Availability.model_validate({"zone": "Pacific/Kiritimati", **data})
