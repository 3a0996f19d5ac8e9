"""The .ics output, read back with a second, independent parser (vobject, with the
file's own VTIMEZONE: tests/ics_reader.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rooms.scheduling.bookings import Booking
from rooms.scheduling.ics import booking_ics, feed_ics, series_ics
from rooms.scheduling.recurrence import Frequency, Recurrence, Series
from rooms.scheduling.zones import to_local
from tests.ics_reader import read_ics
from tests.rooms.scheduling.builders import (
    ALL_ZONES,
    DST_ZONES,
    attendee,
    booking,
    transitions_in_year,
    utc,
)


def parse(data: bytes) -> Any:
    assert data.startswith(b"BEGIN:VCALENDAR\r\n")
    return read_ics(data)


def instant(value: datetime) -> datetime:
    assert value.tzinfo is not None and value.utcoffset() is not None
    return value.astimezone(UTC)


def in_zone(b: Booking, zone: str) -> Booking:
    return Booking.model_validate({**b.model_dump(), "zone": zone})


def test_request_invite_fields() -> None:
    made = booking("b1", utc(2024, 3, 4, 10), minutes=45, zone="Europe/London",
                   title="Career chat")
    data = booking_ics(made, url="https://mentorcall.example/join/b1")
    assert b"DTSTART;TZID=Europe/London:20240304T100000" in data
    cal = parse(data)
    assert cal.method.value == "REQUEST"
    assert cal.vtimezone.tzid.value == "Europe/London"
    event = cal.vevent
    assert event.uid.value == "b1@mentorcall"
    assert event.sequence.value == "0"
    assert instant(event.dtstamp.value) == made.updated_at
    assert (instant(event.dtstart.value), instant(event.dtend.value)) == (made.start, made.end)
    assert event.summary.value == "Career chat" and event.status.value == "CONFIRMED"
    assert event.organizer.value == "mailto:mentor@example.org"
    assert event.organizer.params["CN"] == ["Mentor"]
    assert [a.value for a in event.attendee_list] == ["urn:mentorcall:mentee"]
    assert event.attendee_list[0].params["ROLE"] == ["REQ-PARTICIPANT"]
    assert event.url.value == "https://mentorcall.example/join/b1"


def test_cancel_invite() -> None:
    made = booking("b1", utc(2024, 3, 4, 10))
    moved = made.rescheduled(utc(2024, 3, 5, 10), utc(2024, 3, 5, 10, 30),
                             utc(2024, 1, 2).timestamp())
    cancelled = moved.cancelled(utc(2024, 1, 3).timestamp())
    cal = parse(booking_ics(cancelled))
    assert cal.method.value == "CANCEL"
    assert cal.vevent.status.value == "CANCELLED"
    assert cal.vevent.sequence.value == "2"
    assert instant(cal.vevent.dtstamp.value) == utc(2024, 1, 3)
    assert instant(cal.vevent.dtstart.value) == utc(2024, 3, 5, 10)
    with pytest.raises(ValueError):
        booking_ics(cancelled, method="REQUEST")
    with pytest.raises(ValueError):
        booking_ics(made, method="CANCEL")


@pytest.mark.parametrize(
    ("zone", "start", "local_text"),
    [
        ("Asia/Kathmandu", utc(2024, 5, 6, 3, 15), "20240506T090000"),
        ("Asia/Kolkata", utc(2024, 5, 6, 3, 30), "20240506T090000"),
        ("Australia/Adelaide", utc(2024, 1, 8, 22, 30), "20240109T090000"),
        ("Pacific/Chatham", utc(2024, 1, 8, 19, 15), "20240109T090000"),
        ("Australia/Lord_Howe", utc(2024, 10, 5, 15, 45), "20241006T024500"),
        ("Europe/Dublin", utc(2024, 1, 15, 9), "20240115T090000"),
        ("Europe/Dublin", utc(2024, 7, 15, 8), "20240715T090000"),
        ("Pacific/Apia", utc(2011, 12, 30, 19), "20111231T090000"),
        ("Pacific/Apia", utc(2011, 12, 29, 19), "20111229T090000"),
        ("America/New_York", utc(2024, 11, 3, 5, 30), "20241103T013000"),  # first 01:30
        # Egypt's 2010: summer time paused for Ramadan, back on Sep 10, off again Sep 30.
        ("Africa/Cairo", utc(2010, 9, 30), "20100930T030000"),
        ("Africa/Cairo", utc(2010, 8, 20, 7), "20100820T090000"),
    ],
)
def test_hard_zones_round_trip_through_vobject(zone: str, start: datetime,
                                                local_text: str) -> None:
    made = in_zone(booking("b1", start, now=start - timedelta(days=30)), zone)
    data = booking_ics(made)
    assert f"DTSTART;TZID={zone}:{local_text}".encode() in data
    event = parse(data).vevent
    assert (instant(event.dtstart.value), instant(event.dtend.value)) == (made.start, made.end)


def test_second_of_a_repeated_hour_is_written_in_utc() -> None:
    start = utc(2024, 11, 3, 6, 30)  # 01:30 EST, the second 01:30 in New York
    made = in_zone(booking("b1", start, now=utc(2024, 10, 1)), "America/New_York")
    data = booking_ics(made)
    assert b"DTSTART:20241103T063000Z" in data
    assert b"DTEND;TZID=America/New_York:20241103T020000" in data
    event = parse(data).vevent
    assert (instant(event.dtstart.value), instant(event.dtend.value)) == (made.start, made.end)


def test_feed_holds_every_booking_and_zone() -> None:
    items = [
        in_zone(booking("a", utc(2024, 3, 4, 10)), "America/New_York"),
        in_zone(booking("b", utc(2024, 3, 11, 10)), "America/New_York"),
        in_zone(booking("c", utc(2024, 3, 5, 10), organiser="host", attendees=["mentor"]),
                "Asia/Kathmandu"),
    ]
    cal = parse(feed_ics(items, name="Mentor's sessions",
                         url_for=lambda b: f"https://x.example/{b.booking_id}"))
    assert not hasattr(cal, "method")
    assert cal.contents["x-wr-calname"][0].value == "Mentor's sessions"
    assert sorted(tz.tzid.value for tz in cal.vtimezone_list) == ["America/New_York",
                                                                  "Asia/Kathmandu"]
    events = {e.uid.value: e for e in cal.vevent_list}
    assert set(events) == {"a@mentorcall", "b@mentorcall", "c@mentorcall"}
    for item in items:
        event = events[f"{item.booking_id}@mentorcall"]
        assert instant(event.dtstart.value) == item.start
        assert event.url.value == f"https://x.example/{item.booking_id}"


def test_series_expands_the_same_in_vobject() -> None:
    series = Series(series_id="weekly", zone="America/New_York",
                    start=datetime(2024, 2, 28, 9), length_min=30,
                    recurrence=Recurrence(frequency=Frequency.WEEKLY, count=10))
    series = series.without(datetime(2024, 3, 13, 9)).move(
        datetime(2024, 3, 20, 9), datetime(2024, 3, 21, 15, 0))
    data = series_ics(series, attendee("mentor", "America/New_York"),
                      [attendee("mentee", "Europe/London")], stamp=utc(2024, 1, 1), sequence=2)
    cal = parse(data)
    main = next(e for e in cal.vevent_list if not hasattr(e, "recurrence_id"))
    override = next(e for e in cal.vevent_list if hasattr(e, "recurrence_id"))
    assert main.rrule.value == "FREQ=WEEKLY;COUNT=10;INTERVAL=1"
    replaced = instant(override.recurrence_id.value)
    theirs = sorted(
        [instant(d) for d in main.getrruleset(addRDate=True) if instant(d) != replaced]
        + [instant(override.dtstart.value)]
    )
    ours = [o.start for o in series.occurrences(utc(2024, 1, 1), utc(2024, 12, 1))]
    assert theirs == ours
    # 03-13 is skipped and 03-20 moved to 03-21 15:00; 09:00 holds across 03-10.
    assert [to_local(t, "America/New_York").hour for t in theirs] == [9, 9, 15] + [9] * 6


def test_monthly_series_rule() -> None:
    series = Series(series_id="m", zone="Europe/Berlin", start=datetime(2024, 1, 9, 18),
                    length_min=60,
                    recurrence=Recurrence(frequency=Frequency.MONTHLY, until=datetime(2024, 6, 30)))
    main = parse(series_ics(series, attendee("host", "Europe/Berlin"), [attendee("guest")],
                            stamp=utc(2024, 1, 1))).vevent
    assert main.rrule.value.startswith("FREQ=MONTHLY;")
    assert "BYDAY=2TU" in main.rrule.value
    theirs = [instant(d) for d in main.getrruleset()]
    assert theirs == [o.start for o in series.occurrences(utc(2024, 1, 1), utc(2024, 12, 1))]


@st.composite
def zones_and_instants(draw: st.DrawFn) -> tuple[str, datetime]:
    """Any zone at any minute 2000-2040; half the time a DST zone within 90 minutes of one
    of its transitions (overlaps give fold=1 local times, written in UTC)."""
    day = draw(st.datetimes(min_value=datetime(2000, 1, 2), max_value=datetime(2040, 12, 30)))
    at = day.replace(second=0, microsecond=0, tzinfo=UTC)
    if draw(st.booleans()):
        zone = draw(st.sampled_from(DST_ZONES))
        near = transitions_in_year(zone, at.year)
        if near:
            at = draw(st.sampled_from(near)) + timedelta(minutes=draw(st.integers(-90, 1530)))
        return zone, at
    return draw(st.sampled_from(ALL_ZONES)), at


@settings(max_examples=150, deadline=None)
@given(case=zones_and_instants(), minutes=st.sampled_from([15, 30, 45, 60]))
def test_any_zone_any_date_same_instants_in_vobject(case: tuple[str, datetime],
                                                     minutes: int) -> None:
    zone, at = case
    made = in_zone(booking("b1", at, minutes=minutes, now=at - timedelta(days=1)), zone)
    event = parse(booking_ics(made)).vevent
    assert (instant(event.dtstart.value), instant(event.dtend.value)) == (made.start, made.end)


def test_the_files_own_zone_wins_over_pytz() -> None:
    """A made-up rule for a real TZID name is what the reader applies."""
    text = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n"
        "BEGIN:VTIMEZONE\r\nTZID:Europe/Dublin\r\nBEGIN:STANDARD\r\nDTSTART:20000101T000000\r\n"
        "TZOFFSETFROM:+0500\r\nTZOFFSETTO:+0500\r\nTZNAME:X\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
        "BEGIN:VEVENT\r\nUID:u\r\nDTSTAMP:20300101T000000Z\r\n"
        "DTSTART;TZID=Europe/Dublin:20300101T100000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    start = parse(text.encode()).vevent.dtstart.value
    assert start.utcoffset() is not None and start.utcoffset().total_seconds() == 5 * 3600
