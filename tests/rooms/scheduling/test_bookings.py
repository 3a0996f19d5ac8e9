"""The Booking value object: validation, wire form, conflicts, revisions."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError

from rooms.errors import RoomError
from rooms.scheduling.bookings import Booking, BookingStatus
from rooms.scheduling.zones import load_zone, to_utc_strict
from tests.rooms.scheduling.builders import attendee, booking, expect_code, utc

T = utc(2024, 3, 4, 10)


def test_wire_form_round_trips() -> None:
    made = booking("b1", T, buffer_s=600)
    data = made.to_dict()
    assert data["start"] == "2024-03-04T10:00:00Z" and data["zone"] == "Europe/London"
    assert Booking.from_dict(data) == made
    assert Booking.model_validate_json(made.model_dump_json()) == made


def test_instants_are_normalised_to_utc() -> None:
    made = booking("b1", datetime(2024, 3, 4, 9, 0, tzinfo=load_zone("Asia/Kathmandu")))
    assert made.start == to_utc_strict(datetime(2024, 3, 4, 9, 0), "Asia/Kathmandu")
    assert made.start == utc(2024, 3, 4, 3, 15) and made.start.utcoffset() == timedelta(0)
    assert made.local_start().isoformat() == "2024-03-04T03:15:00+00:00"
    assert made.local_start("Asia/Kathmandu").isoformat() == "2024-03-04T09:00:00+05:45"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"start": "2024-03-04T10:00:00"}, "invalid_range"),
        ({"end": "2024-03-04T09:00:00Z"}, "invalid_range"),
        ({"end": "2024-03-05T10:00:01Z"}, "invalid_duration"),
        ({"zone": "Europe/Londres"}, "unknown_zone"),
    ],
)
def test_bad_bookings_carry_codes(change: dict[str, str], code: str) -> None:
    with expect_code(code):
        Booking.model_validate({**booking("b1", T).to_dict(), **change})


@pytest.mark.parametrize(
    "change",
    [
        {"start": "2024-03-04T10:00:00.5Z"},
        {"booking_id": "has space"},
        {"attendees": []},
        {"attendees": [attendee("mentor").to_dict()]},  # the organiser again
        {"buffer_s": 3 * 3600},
        {"organiser": {**attendee("m").to_dict(), "email": "not-an-address"}},
    ],
)
def test_malformed_bookings_are_refused(change: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Booking.model_validate({**booking("b1", T).to_dict(), **change})


def test_conflicts_need_a_shared_person_and_respect_the_larger_buffer() -> None:
    a = booking("a", T, buffer_s=900)
    assert a.conflicts_with(booking("b", T + timedelta(minutes=40)))  # 10 min < 15 min gap
    assert not a.conflicts_with(booking("c", T + timedelta(minutes=45)))
    assert not a.conflicts_with(booking("d", T, organiser="x", attendees=["y"]))
    assert not a.conflicts_with(a)
    assert not a.conflicts_with(booking("e", T).cancelled(T.timestamp()))


def test_revisions_raise_the_sequence() -> None:
    made = booking("b1", T)
    moved = made.rescheduled(T + timedelta(hours=1), T + timedelta(hours=2), T.timestamp())
    assert (moved.sequence, moved.updated_at, moved.created_at) == (1, T, made.created_at)
    gone = moved.cancelled(T.timestamp() + 1.7)
    assert (gone.status, gone.sequence) == (BookingStatus.CANCELLED, 2)
    assert gone.updated_at == T + timedelta(seconds=1)
    with pytest.raises(RoomError, match="booking_cancelled"):
        gone.cancelled(T.timestamp())
