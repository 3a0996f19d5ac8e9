"""Which mentoring pair or roundtable series a booked room belongs to.

:class:`BookingContexts` listens to the scheduling service (a
:class:`~rooms.scheduling.booking_service.BookingListener`) and records, for every
booking stored or moved, the :class:`~rooms.notes.model.SessionContext` of its live
room: a 1:1 booking's scope is the pair (whoever booked), a roundtable's its series
(or the booking itself when it is a one-off).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from rooms.models import RoomKind
from rooms.notes.model import SessionContext, pair_scope, series_scope
from rooms.notes.store import NotesStore
from rooms.scheduling.booking_service import BookingChange
from rooms.scheduling.bookings import Booking
from rooms.scheduling.session_rooms import SessionRooms, live_room_id, room_kind
from rooms.scheduling.zones import epoch_seconds

logger = logging.getLogger(__name__)


def scope_of(booking: Booking) -> str:
    """The scope a booking's action items are listed under."""
    if room_kind(booking) is RoomKind.COFFEE:
        return pair_scope(booking.organiser.identity, booking.attendees[0].identity)
    if booking.series_id is not None:
        return series_scope(booking.series_id)
    return f"booking:{booking.booking_id}"


def context_of(booking: Booking, rooms: SessionRooms) -> SessionContext:
    return SessionContext(room_id=live_room_id(booking), scope=scope_of(booking),
                          people=booking.people, title=booking.title,
                          ends_at=epoch_seconds(rooms.closes_at(booking)),
                          booking_id=booking.booking_id)


class BookingContexts:
    """Records the context of every booked room (a booking listener)."""

    def __init__(self, store: NotesStore, rooms: SessionRooms) -> None:
        self._store = store
        self._rooms = rooms

    async def booking_changed(self, change: BookingChange, bookings: Sequence[Booking]) -> None:
        for booking in bookings:
            if booking.room_id is None or not booking.is_confirmed:
                continue
            await self._store.put_context(context_of(booking, self._rooms))


async def booking_of_room(store: NotesStore, room_id: str) -> str | None:
    """The booking a booked room was made for (None: not a booked room)."""
    context = await store.context(room_id)
    return None if context is None else context.booking_id
