"""Which pair or series a booked room belongs to, recorded from booking changes."""

from __future__ import annotations

from rooms.clock import ManualClock
from rooms.grants import TokenSigner
from rooms.memory_store import MemoryRoomStore
from rooms.models import RoomKind
from rooms.notes.contexts import BookingContexts, scope_of
from rooms.notes.memory_store import MemoryNotesStore
from rooms.scheduling.booking_service import BookingChange
from rooms.scheduling.bookings import Booking
from rooms.scheduling.session_rooms import SessionRooms, live_room_id, new_room_base
from tests.rooms.scheduling.builders import NOW, booking, utc

SECRET = "notes-contexts-secret-0123456789abcdef"


def with_room(b: Booking, kind: RoomKind, series_id: str | None = None) -> Booking:
    return Booking.model_validate({**b.model_dump(), "room_id": new_room_base(kind),
                                   "series_id": series_id})


def test_a_pair_is_the_same_whoever_books() -> None:
    one = with_room(booking("b1", utc(2024, 2, 1, 10)), RoomKind.COFFEE)
    two = with_room(booking("b2", utc(2024, 2, 8, 10), organiser="mentee",
                            attendees=("mentor",)), RoomKind.COFFEE)
    assert scope_of(one) == scope_of(two) == "pair:mentee+mentor"


def test_roundtables_are_scoped_by_series_or_booking() -> None:
    people = ("a", "b", "c")
    series = with_room(booking("r1", utc(2024, 2, 1, 10), attendees=people),
                       RoomKind.ROUNDTABLE, series_id="s1")
    single = with_room(booking("r2", utc(2024, 2, 1, 12), attendees=people),
                       RoomKind.ROUNDTABLE)
    assert scope_of(series) == "series:s1"
    assert scope_of(single) == "booking:r2"


async def test_booked_rooms_get_their_context() -> None:
    clock = ManualClock(NOW.timestamp())
    rooms = SessionRooms(MemoryRoomStore(clock), TokenSigner(SECRET, clock), clock)
    store = MemoryNotesStore()
    listener = BookingContexts(store, rooms)
    made = with_room(booking("b1", utc(2024, 2, 1, 10)), RoomKind.COFFEE)
    cancelled = with_room(booking("b2", utc(2024, 2, 2, 10)), RoomKind.COFFEE).cancelled(
        NOW.timestamp())
    await listener.booking_changed(BookingChange.CREATED, [made])
    context = await store.context(live_room_id(made))
    assert context is not None
    assert context.scope == "pair:mentee+mentor" and context.people == ("mentor", "mentee")
    assert context.ends_at > made.end.timestamp()
    assert await store.members("pair:mentee+mentor") == {"mentor", "mentee"}
    await listener.booking_changed(BookingChange.CANCELLED, [cancelled])
    assert await store.context(live_room_id(cancelled)) is None
