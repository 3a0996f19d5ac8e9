"""One contract for every BookingStore: run against the in-memory and the Redis store."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from rooms.clock import ManualClock
from rooms.errors import RoomError
from rooms.scheduling.booking_store import BookingStore
from rooms.scheduling.bookings import Booking, BookingStatus
from rooms.scheduling.recurrence import Frequency, Recurrence, Series, occurrence_bookings
from tests.rooms.builders import expect_error
from tests.rooms.scheduling.builders import attendee, booking, utc

T = utc(2024, 3, 4, 10)  # a Monday morning, well after the pinned "now"
M30 = timedelta(minutes=30)


async def test_create_then_get(bookings: BookingStore) -> None:
    made = booking("b1", T)
    assert await bookings.create(made) == made
    assert await bookings.get("b1") == made
    await expect_error("booking_not_found", bookings.get("nope"))


async def test_same_id_twice_is_refused(bookings: BookingStore) -> None:
    await bookings.create(booking("b1", T))
    await expect_error("booking_exists", bookings.create(booking("b1", T + 10 * M30)))


async def test_overlap_for_the_same_person_is_refused(bookings: BookingStore) -> None:
    await bookings.create(booking("b1", T))
    await expect_error("slot_taken", bookings.create(booking("b2", T + M30 / 2)))
    await expect_error("slot_taken", bookings.create(  # the mentee is busy too
        booking("b3", T, organiser="other-mentor", attendees=["mentee"])))
    await expect_error("slot_taken", bookings.create(  # as an attendee elsewhere
        booking("b4", T, organiser="host", attendees=["x", "mentor"])))
    await bookings.create(booking("b5", T, organiser="m2", attendees=["e2"]))  # other people
    await bookings.create(booking("b6", T + M30))  # back to back, no buffer


async def test_buffers_keep_meetings_apart(bookings: BookingStore) -> None:
    await bookings.create(booking("b1", T, buffer_s=600))
    await expect_error("slot_taken", bookings.create(booking("b2", T + M30 + timedelta(
        minutes=5))))  # the stored booking's 10-minute buffer applies to newcomers
    await bookings.create(booking("b3", T + M30 + timedelta(minutes=10)))
    await expect_error("slot_taken", bookings.create(
        booking("b4", T - M30 - timedelta(minutes=15), buffer_s=1200)))  # its own buffer
    await bookings.create(booking("b5", T - M30 - timedelta(minutes=20), buffer_s=1200))


async def test_past_times_are_refused(bookings: BookingStore, clock: ManualClock) -> None:
    clock.set((T + timedelta(minutes=1)).timestamp())
    await expect_error("slot_in_past", bookings.create(booking("b1", T)))


async def test_a_batch_is_booked_whole_or_not_at_all(bookings: BookingStore) -> None:
    await bookings.create(booking("taken", T + timedelta(days=14)))
    batch = [booking(f"w{i}", T + timedelta(days=7 * i)) for i in range(4)]
    await expect_error("slot_taken", bookings.create_all(batch))
    for i in range(4):
        await expect_error("booking_not_found", bookings.get(f"w{i}"))
    clash = [booking("c1", T), booking("c2", T + M30 / 3)]
    await expect_error("slot_taken", bookings.create_all(clash))
    await expect_error("booking_not_found", bookings.get("c1"))
    with pytest.raises(ValueError):
        await bookings.create_all([booking("d", T), booking("d", T + 4 * M30)])
    with pytest.raises(ValueError):
        await bookings.create_all([])
    ok = [b for b in batch if b.booking_id != "w2"]
    assert await bookings.create_all(ok) == ok


async def test_a_series_is_booked_atomically(bookings: BookingStore) -> None:
    series = Series(series_id="weekly", zone="Europe/London", start=datetime(2024, 3, 6, 14),
                    length_min=45, recurrence=Recurrence(frequency=Frequency.WEEKLY, count=8))
    made = occurrence_bookings(series, series.occurrences(utc(2024, 3, 1), utc(2024, 6, 1)),
                               attendee("mentor"), [attendee("mentee", "Asia/Tokyo")],
                               utc(2024, 1, 1).timestamp())
    # 14:00 in London is 13:00 UTC once summer time starts (2024-03-31).
    await bookings.create(booking("blocker", utc(2024, 4, 3, 13, 30), organiser="mentee",
                                  attendees=["someone"]))
    await expect_error("slot_taken", bookings.create_all(made))
    assert await bookings.bookings_for("mentor", utc(2024, 1, 1), utc(2025, 1, 1)) == []
    await bookings.cancel("blocker")
    await bookings.create_all(made)
    listed = await bookings.bookings_for("mentor", utc(2024, 1, 1), utc(2025, 1, 1))
    assert [b.booking_id for b in listed] == [b.booking_id for b in made]


async def test_reschedule_moves_and_counts(bookings: BookingStore, clock: ManualClock) -> None:
    made = await bookings.create(booking("b1", T))
    clock.advance(3600)
    moved = await bookings.reschedule("b1", T + M30 / 2, T + M30 * 1.5)  # overlaps itself
    assert (moved.sequence, moved.start, moved.end) == (1, T + M30 / 2, T + M30 * 1.5)
    assert moved.updated_at == utc(2024, 1, 1, 1) and moved.created_at == made.created_at
    assert await bookings.get("b1") == moved
    await bookings.create(booking("b2", T - M30 / 2))  # the old time is free again
    await expect_error("slot_taken", bookings.reschedule("b1", T - M30, T))
    assert await bookings.get("b1") == moved
    again = await bookings.reschedule("b1", T + 4 * M30, T + 5 * M30)
    assert again.sequence == 2
    await expect_error("slot_in_past", bookings.reschedule("b1", utc(2023, 12, 1),
                                                           utc(2023, 12, 1, 1)))
    await expect_error("booking_not_found", bookings.reschedule("nope", T, T + M30))
    with pytest.raises(RoomError, match="invalid_range"):
        await bookings.reschedule("b1", T + M30, T)


async def test_cancel_frees_the_time(bookings: BookingStore) -> None:
    await bookings.create(booking("b1", T))
    cancelled = await bookings.cancel("b1")
    assert (cancelled.status, cancelled.sequence) == (BookingStatus.CANCELLED, 1)
    assert await bookings.get("b1") == cancelled
    await bookings.create(booking("b2", T))
    await expect_error("booking_cancelled", bookings.cancel("b1"))
    await expect_error("booking_cancelled", bookings.reschedule("b1", T, T + M30))
    await expect_error("booking_not_found", bookings.cancel("nope"))


async def test_bookings_for_a_person(bookings: BookingStore) -> None:
    await bookings.create(booking("late", T + 4 * M30))
    await bookings.create(booking("early", T))
    await bookings.create(booking("guest", T + 8 * M30, organiser="host",
                                  attendees=["mentor", "z"]))
    await bookings.create(booking("other", T + 2 * M30, organiser="m2", attendees=["e2"]))
    await bookings.create(booking("gone", T + 2 * M30))
    await bookings.cancel("gone")
    found = await bookings.bookings_for("mentor", T - M30, T + 10 * M30)
    assert [b.booking_id for b in found] == ["early", "late", "guest"]
    part = await bookings.bookings_for("mentor", T + M30 / 2, T + 4 * M30)
    assert [b.booking_id for b in part] == ["early"]  # [start, end) overlap only
    assert await bookings.bookings_for("nobody", T, T + M30) == []


async def test_fifty_concurrent_bookings_of_one_slot_make_one(bookings: BookingStore) -> None:
    attempts = [
        booking(f"try-{i}", T + timedelta(minutes=i % 5), attendees=[f"mentee-{i}"])
        for i in range(50)
    ]
    results = await asyncio.gather(*(bookings.create(b) for b in attempts),
                                   return_exceptions=True)
    won = [r for r in results if isinstance(r, Booking)]
    lost = [r for r in results if isinstance(r, RoomError) and r.code == "slot_taken"]
    assert (len(won), len(lost)) == (1, 49)
    assert await bookings.bookings_for("mentor", T - M30, T + 2 * M30) == won


async def test_concurrent_reschedules_all_apply_in_turn(bookings: BookingStore) -> None:
    await bookings.create(booking("b1", T))
    moves = [bookings.reschedule("b1", T + timedelta(hours=i), T + timedelta(hours=i) + M30)
             for i in range(1, 9)]
    results = await asyncio.gather(*moves)
    assert sorted(r.sequence for r in results) == list(range(1, 9))
    final = await bookings.get("b1")
    assert final.sequence == 8
    listed = await bookings.bookings_for("mentor", T, T + timedelta(days=1))
    assert listed == [final]  # exactly one calendar entry survives


async def test_a_named_revision_is_changed_only_if_still_current(
        bookings: BookingStore) -> None:
    await bookings.create(booking("b1", T))
    moved = await bookings.reschedule("b1", T + M30, T + 2 * M30, expected_sequence=0)
    assert moved.sequence == 1
    await expect_error("booking_changed",
                       bookings.reschedule("b1", T + 4 * M30, T + 5 * M30, expected_sequence=0))
    await expect_error("booking_changed", bookings.cancel("b1", expected_sequence=0))
    assert await bookings.get("b1") == moved  # nothing changed
    done = await bookings.cancel("b1", expected_sequence=1)
    assert (done.sequence, done.is_confirmed) == (2, False)
    await expect_error("booking_cancelled", bookings.cancel("b1", expected_sequence=2))


async def test_concurrent_changes_of_one_revision_let_one_win(bookings: BookingStore) -> None:
    await bookings.create(booking("b1", T))
    changes = [bookings.reschedule("b1", T + timedelta(hours=i), T + timedelta(hours=i) + M30,
                                   expected_sequence=0) for i in range(1, 5)]
    changes.append(bookings.cancel("b1", expected_sequence=0))
    results = await asyncio.gather(*changes, return_exceptions=True)
    won = [r for r in results if isinstance(r, Booking)]
    lost = [r for r in results if isinstance(r, RoomError) and r.code == "booking_changed"]
    assert (len(won), len(lost)) == (1, 4)
    assert await bookings.get("b1") == won[0]


async def test_cancelled_bookings_stay_listed_apart(bookings: BookingStore) -> None:
    await bookings.create(booking("b1", T))
    await bookings.create(booking("b2", T + 2 * M30))
    await bookings.cancel("b1")
    day = (T - timedelta(hours=12), T + timedelta(hours=12))
    for identity in ("mentor", "mentee"):
        [cancelled] = await bookings.cancelled_for(identity, *day)
        assert (cancelled.booking_id, cancelled.status, cancelled.sequence) == (
            "b1", BookingStatus.CANCELLED, 1)
        assert [b.booking_id for b in await bookings.bookings_for(identity, *day)] == ["b2"]
    assert await bookings.cancelled_for("other", *day) == []
    assert await bookings.cancelled_for("mentor", T + M30, T + 4 * M30) == []  # outside
    await bookings.cancel("b2")
    assert [b.booking_id for b in await bookings.cancelled_for("mentee", *day)] == [
        "b1", "b2"]
