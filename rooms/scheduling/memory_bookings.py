"""The in-memory booking store: the zero-setup default for a single process."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rooms.clock import Clock, SystemClock
from rooms.errors import RoomError
from rooms.scheduling.booking_store import (
    DEFAULT_RETENTION_S,
    BookingStore,
    check_expected,
    check_new_batch,
    check_not_past,
)
from rooms.scheduling.bookings import Booking
from rooms.scheduling.zones import epoch_seconds, require_utc


class MemoryBookingStore(BookingStore):
    """Bookings held in dicts in this process.

    Atomicity comes from the event loop: no method awaits between its checks and its
    writes. Bookings past ``end + retention_s`` are forgotten lazily on access and by
    :meth:`purge_expired`.
    """

    def __init__(self, clock: Clock | None = None,
                 retention_s: float = DEFAULT_RETENTION_S) -> None:
        if retention_s < 0:
            raise ValueError("retention_s must not be negative")
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._retention_s = retention_s
        self._bookings: dict[str, Booking] = {}
        self._calendars: dict[str, set[str]] = {}  # identity -> confirmed booking ids
        self._cancelled: dict[str, set[str]] = {}  # identity -> cancelled booking ids

    def _is_gone(self, booking: Booking, now: float) -> bool:
        return now > epoch_seconds(booking.end) + self._retention_s

    def _forget(self, booking: Booking) -> None:
        del self._bookings[booking.booking_id]
        self._unlist(booking, self._calendars)
        self._unlist(booking, self._cancelled)

    @staticmethod
    def _unlist(booking: Booking, index: dict[str, set[str]]) -> None:
        for identity in booking.people:
            ids = index.get(identity)
            if ids is not None:
                ids.discard(booking.booking_id)
                if not ids:
                    del index[identity]

    def _find(self, booking_id: str) -> Booking | None:
        booking = self._bookings.get(booking_id)
        if booking is not None and self._is_gone(booking, self._clock.now()):
            self._forget(booking)
            return None
        return booking

    def _require(self, booking_id: str) -> Booking:
        booking = self._find(booking_id)
        if booking is None:
            raise RoomError("booking_not_found")
        return booking

    def _conflict(self, booking: Booking) -> bool:
        for identity in booking.people:
            for other_id in list(self._calendars.get(identity, ())):
                other = self._find(other_id)
                if other is not None and booking.conflicts_with(other):
                    return True
        return False

    def purge_expired(self) -> int:
        """Forget every booking past its retention; returns how many."""
        now = self._clock.now()
        gone = [b for b in self._bookings.values() if self._is_gone(b, now)]
        for booking in gone:
            self._forget(booking)
        return len(gone)

    async def create_all(self, bookings: Sequence[Booking]) -> list[Booking]:
        check_new_batch(bookings, self._clock.now())
        for booking in bookings:
            if self._find(booking.booking_id) is not None:
                raise RoomError("booking_exists")
        for booking in bookings:
            if self._conflict(booking):
                raise RoomError("slot_taken")
        for booking in bookings:
            self._bookings[booking.booking_id] = booking
            for identity in booking.people:
                self._calendars.setdefault(identity, set()).add(booking.booking_id)
        return list(bookings)

    async def get(self, booking_id: str) -> Booking:
        return self._require(booking_id)

    async def reschedule(self, booking_id: str, start: datetime, end: datetime,
                         expected_sequence: int | None = None, *,
                         rules_moved: Sequence[str] = ()) -> Booking:
        current = self._require(booking_id)
        check_expected(current, expected_sequence)
        moved = current.rescheduled(start, end, self._clock.now(), rules_moved)
        check_not_past(moved.start, self._clock.now())
        if self._conflict(moved):
            raise RoomError("slot_taken")
        self._bookings[booking_id] = moved
        return moved

    async def cancel(self, booking_id: str, expected_sequence: int | None = None) -> Booking:
        current = self._require(booking_id)
        check_expected(current, expected_sequence)
        cancelled = current.cancelled(self._clock.now())
        self._bookings[booking_id] = cancelled
        self._unlist(cancelled, self._calendars)
        for identity in cancelled.people:
            self._cancelled.setdefault(identity, set()).add(booking_id)
        return cancelled

    async def bookings_for(self, identity: str, start: datetime, end: datetime) -> list[Booking]:
        return self._listed(self._calendars, identity, start, end)

    async def cancelled_for(self, identity: str, start: datetime,
                            end: datetime) -> list[Booking]:
        return self._listed(self._cancelled, identity, start, end)

    def _listed(self, index: dict[str, set[str]], identity: str, start: datetime,
                end: datetime) -> list[Booking]:
        lo, hi = require_utc(start), require_utc(end)
        found = []
        for booking_id in list(index.get(identity, ())):
            booking = self._find(booking_id)
            if booking is not None and booking.start < hi and booking.end > lo:
                found.append(booking)
        return sorted(found, key=lambda b: (b.start, b.booking_id))

    async def close(self) -> None:
        return None
