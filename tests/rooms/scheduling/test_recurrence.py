"""Recurring series: expanded in the organiser's zone, exceptions, moves, splits, DST edges."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from pydantic import ValidationError

from rooms.scheduling.recurrence import (
    Frequency,
    Occurrence,
    Recurrence,
    Series,
    occurrence_bookings,
)
from rooms.scheduling.zones import LocalKind, to_local
from tests.rooms.scheduling.builders import attendee, expect_code, utc

WEEKLY = Recurrence(frequency=Frequency.WEEKLY)


def series(zone: str, start: datetime, rule: Recurrence = WEEKLY, length_min: int = 30,
           series_id: str = "s1") -> Series:
    return Series(series_id=series_id, zone=zone, start=start, length_min=length_min,
                  recurrence=rule)


def counted(count: int, **kw: object) -> Recurrence:
    return Recurrence.model_validate({"frequency": "weekly", "count": count, **kw})


def local_times(occurrences: list[Occurrence], zone: str) -> list[str]:
    return [to_local(o.start, zone).strftime("%m-%d %H:%M") for o in occurrences]


def year(s: Series, y: int = 2024) -> list[Occurrence]:
    """Occurrences from just before the year (Tokyo's 1 January starts in December UTC)."""
    return s.occurrences(utc(y - 1, 12, 31), utc(y, 12, 30))


# --- New York and London change clocks on different weekends ----------------------------------


def test_new_york_organiser_london_attendee_in_march() -> None:
    ny = series("America/New_York", datetime(2024, 2, 28, 9, 0), counted(7))
    occ = year(ny)
    assert local_times(occ, "America/New_York") == [
        f"{d} 09:00" for d in ("02-28", "03-06", "03-13", "03-20", "03-27", "04-03", "04-10")]
    # US changes on 03-10, the UK on 03-31: for three weeks London is an hour "closer".
    assert local_times(occ, "Europe/London") == [
        "02-28 14:00", "03-06 14:00", "03-13 13:00", "03-20 13:00", "03-27 13:00",
        "04-03 14:00", "04-10 14:00"]


def test_new_york_organiser_london_attendee_in_october_and_november() -> None:
    ny = series("America/New_York", datetime(2024, 10, 16, 9, 0), counted(5))
    occ = year(ny)
    assert set(local_times(occ, "America/New_York")) == {
        f"{d} 09:00" for d in ("10-16", "10-23", "10-30", "11-06", "11-13")}
    # The UK goes back on 10-27, the US on 11-03.
    assert local_times(occ, "Europe/London") == [
        "10-16 14:00", "10-23 14:00", "10-30 13:00", "11-06 14:00", "11-13 14:00"]


def test_london_organiser_new_york_attendee_in_march() -> None:
    london = series("Europe/London", datetime(2024, 3, 6, 14, 0), counted(5))
    occ = year(london)
    assert set(local_times(occ, "Europe/London")) == {
        f"{d} 14:00" for d in ("03-06", "03-13", "03-20", "03-27", "04-03")}
    assert local_times(occ, "America/New_York") == [
        "03-06 09:00", "03-13 10:00", "03-20 10:00", "03-27 10:00", "04-03 09:00"]


# --- rules ---------------------------------------------------------------------------------


def test_every_other_week() -> None:
    fortnightly = series("Asia/Kolkata", datetime(2024, 1, 3, 18, 30),
                         counted(4, interval=2))
    assert [o.recurrence_id.date() for o in year(fortnightly)] == [
        date(2024, 1, 3), date(2024, 1, 17), date(2024, 1, 31), date(2024, 2, 14)]
    assert year(fortnightly)[0].start == utc(2024, 1, 3, 13)


def test_monthly_second_tuesday_keeps_local_time() -> None:
    rule = Recurrence(frequency=Frequency.MONTHLY, week_of_month=2, count=6)
    berlin = series("Europe/Berlin", datetime(2024, 1, 9, 18, 0), rule)
    occ = year(berlin)
    assert [o.recurrence_id.date() for o in occ] == [
        date(2024, 1, 9), date(2024, 2, 13), date(2024, 3, 12), date(2024, 4, 9),
        date(2024, 5, 14), date(2024, 6, 11)]
    assert [o.start.hour for o in occ] == [17, 17, 17, 16, 16, 16]
    derived = series("Europe/Berlin", datetime(2024, 1, 9, 18, 0),
                     Recurrence(frequency=Frequency.MONTHLY, count=6))
    assert year(derived) == occ


def test_monthly_last_friday() -> None:
    rule = Recurrence(frequency=Frequency.MONTHLY, week_of_month=-1, count=4)
    last = series("UTC", datetime(2024, 1, 26, 12, 0), rule)
    assert [o.recurrence_id.day for o in year(last)] == [26, 23, 29, 26]


@pytest.mark.parametrize(
    "rule",
    [
        {"frequency": "weekly", "count": 3, "until": "2024-05-01T00:00:00"},
        {"frequency": "weekly", "interval": 5},
        {"frequency": "weekly", "week_of_month": 2},
        {"frequency": "monthly", "week_of_month": 0},
        {"frequency": "monthly", "count": 0},
        {"frequency": "daily"},
    ],
)
def test_bad_rules_are_refused(rule: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Recurrence.model_validate(rule)


def test_bad_series_are_refused() -> None:
    second_tuesday = Recurrence(frequency=Frequency.MONTHLY, week_of_month=2)
    with pytest.raises(ValidationError):
        series("UTC", datetime(2024, 1, 16, 9), second_tuesday)  # a third Tuesday
    with pytest.raises(ValidationError):
        series("UTC", datetime(2024, 1, 9, 9, 0, 30))
    with pytest.raises(ValidationError):
        series("UTC", utc(2024, 1, 9, 9))
    with expect_code("unknown_zone"):
        series("Moon/Tranquility", datetime(2024, 1, 9, 9))


def test_expansion_range_errors() -> None:
    s = series("UTC", datetime(2024, 1, 1, 9))
    with expect_code("invalid_range"):
        s.occurrences(utc(2024, 2, 1), utc(2024, 1, 1))
    with expect_code("range_too_long"):
        s.occurrences(utc(2024, 1, 1), utc(2025, 1, 2))
    assert len(s.occurrences(utc(2024, 1, 1), utc(2024, 12, 31))) == 53  # open-ended


# --- DST edges in the organiser's zone ---------------------------------------------------------


def test_occurrence_in_a_gap_moves_later_by_the_gap() -> None:
    sunday = series("America/New_York", datetime(2024, 3, 3, 2, 30), counted(3))
    occ = year(sunday)
    assert [o.kind for o in occ] == [LocalKind.NORMAL, LocalKind.NONEXISTENT, LocalKind.NORMAL]
    assert local_times(occ, "America/New_York") == ["03-03 02:30", "03-10 03:30", "03-17 02:30"]
    assert occ[1].start == utc(2024, 3, 10, 7, 30)


def test_occurrence_in_a_repeated_hour_is_the_first() -> None:
    sunday = series("America/New_York", datetime(2024, 10, 27, 1, 30), counted(3))
    occ = year(sunday)
    assert [o.kind for o in occ] == [LocalKind.NORMAL, LocalKind.AMBIGUOUS, LocalKind.NORMAL]
    assert occ[1].start == utc(2024, 11, 3, 5, 30)  # 01:30 EDT, not EST
    assert to_local(occ[1].start, "America/New_York").fold == 0


def test_lord_howe_occurrence_in_its_half_hour_gap() -> None:
    sunday = series("Australia/Lord_Howe", datetime(2024, 9, 29, 2, 15), counted(2))
    assert local_times(year(sunday), "Australia/Lord_Howe") == ["09-29 02:15", "10-06 02:45"]


def test_apia_series_across_the_skipped_day() -> None:
    friday = series("Pacific/Apia", datetime(2011, 12, 16, 9, 0), counted(4))
    occ = friday.occurrences(utc(2011, 12, 1), utc(2012, 2, 1))
    assert [o.kind for o in occ] == [LocalKind.NORMAL, LocalKind.NORMAL,
                                     LocalKind.NONEXISTENT, LocalKind.NORMAL]
    # 2011-12-30 (a Friday) never happened in Apia: that session is read with the offset
    # before the gap, i.e. one day later, Saturday 2011-12-31 09:00 (+14:00).
    assert local_times(occ, "Pacific/Apia") == ["12-16 09:00", "12-23 09:00", "12-31 09:00",
                                                "01-06 09:00"]
    assert occ[2].start == utc(2011, 12, 30, 19)
    # In Auckland (+13:00) the Friday 09:00 session jumps from Saturday to Friday morning.
    assert local_times(occ, "Pacific/Auckland") == ["12-17 08:00", "12-24 08:00",
                                                    "12-31 08:00", "01-06 08:00"]
    thursday = series("Pacific/Apia", datetime(2011, 12, 22, 9, 0), counted(3))
    assert local_times(thursday.occurrences(utc(2011, 12, 1), utc(2012, 2, 1)),
                       "Pacific/Apia") == ["12-22 09:00", "12-29 09:00", "01-05 09:00"]


# --- exceptions, one change, all following ------------------------------------------------------


def test_exdate_removes_one_occurrence() -> None:
    s = series("Europe/Paris", datetime(2024, 1, 3, 9), counted(4))
    skipped = s.without(datetime(2024, 1, 10, 9))
    assert [o.recurrence_id.day for o in year(skipped)] == [3, 17, 24]
    with expect_code("occurrence_not_found"):
        s.without(datetime(2024, 1, 11, 9))
    with expect_code("occurrence_not_found"):
        skipped.without(datetime(2024, 1, 10, 9))
    with expect_code("occurrence_not_found"):
        s.without(datetime(2024, 1, 31, 9))  # past the count


def test_move_one_occurrence_uses_the_strict_policy() -> None:
    s = series("America/New_York", datetime(2024, 3, 3, 9), counted(4))
    moved = s.move(datetime(2024, 3, 10, 9), datetime(2024, 3, 11, 16, 30), length_min=45)
    occ = year(moved)
    assert [(o.recurrence_id.day, o.moved) for o in occ] == [
        (3, False), (10, True), (17, False), (24, False)]
    assert (occ[1].start, occ[1].end) == (utc(2024, 3, 11, 20, 30), utc(2024, 3, 11, 21, 15))
    with expect_code("nonexistent_local_time"):
        s.move(datetime(2024, 3, 10, 9), datetime(2024, 3, 10, 2, 30))
    fall = series("America/New_York", datetime(2024, 10, 27, 9), counted(2))
    with expect_code("ambiguous_local_time"):
        fall.move(datetime(2024, 11, 3, 9), datetime(2024, 11, 3, 1, 30))
    second = fall.move(datetime(2024, 11, 3, 9), datetime(2024, 11, 3, 1, 30), fold=1)
    assert year(second)[1].start == utc(2024, 11, 3, 6, 30)
    assert Series.from_dict(second.to_dict()) == second
    back = second.without(datetime(2024, 11, 3, 9))
    assert [o.recurrence_id.day for o in year(back)] == [27]


def test_split_changes_all_following_with_a_count() -> None:
    s = series("Europe/London", datetime(2024, 1, 3, 9), counted(10))
    s = s.without(datetime(2024, 1, 10, 9)).without(datetime(2024, 2, 7, 9))
    head, tail = s.split(datetime(2024, 1, 24, 9), "s2", new_start=datetime(2024, 1, 25, 10))
    assert head is not None
    assert head.recurrence.count == 3 and head.exdates == (datetime(2024, 1, 10, 9),)
    assert tail.recurrence.count == 7 and tail.exdates == ()  # the time changed
    assert [o.recurrence_id.day for o in year(head)] == [3, 17]
    tail_days = [o.recurrence_id.date() for o in year(tail)]
    assert tail_days[0] == date(2024, 1, 25) and len(tail_days) == 7
    assert all(o.recurrence_id.hour == 10 for o in year(tail))


def test_split_with_until_and_unchanged_time_keeps_later_exceptions() -> None:
    rule = Recurrence(frequency=Frequency.WEEKLY, until=datetime(2024, 3, 31, 23, 59))
    s = series("Asia/Tokyo", datetime(2024, 1, 1, 8), rule).without(datetime(2024, 3, 4, 8))
    head, tail = s.split(datetime(2024, 2, 5, 8), "s2", length_min=60)
    assert head is not None and head.recurrence.until == datetime(2024, 2, 5, 7, 59, 59)
    assert [o.recurrence_id.day for o in year(head)] == [1, 8, 15, 22, 29]
    assert tail.exdates == (datetime(2024, 3, 4, 8),) and tail.length_min == 60
    assert len(year(tail)) == 8 - 1
    first_head, whole = s.split(datetime(2024, 1, 1, 8), "s3")
    assert first_head is None and year(whole) == year(s.model_copy(update={"series_id": "s3"}))
    with expect_code("occurrence_not_found"):
        s.split(datetime(2024, 1, 2, 8), "s4")


def test_occurrence_bookings() -> None:
    s = series("Europe/London", datetime(2024, 3, 6, 14, 0), counted(3), length_min=45)
    occ = year(s)
    made = occurrence_bookings(s, occ, attendee("mentor"), [attendee("mentee", "Asia/Tokyo")],
                               utc(2024, 1, 1).timestamp(), title="Weekly", buffer_s=600)
    assert [b.booking_id for b in made] == ["s1-20240306T1400", "s1-20240313T1400",
                                            "s1-20240320T1400"]
    assert all(b.zone == "Europe/London" and b.series_id == "s1" for b in made)
    assert made[0].recurrence_id == made[0].start == utc(2024, 3, 6, 14)
    assert made[0].end - made[0].start == timedelta(minutes=45)
