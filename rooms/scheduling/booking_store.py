"""The booking store interface shared by the in-memory and Redis implementations.

Every store keeps these promises (one contract test suite checks both):

* ``create``/``create_all`` are all-or-nothing: if any booking conflicts with a confirmed
  booking of one of its people (or with another in the batch) nothing is stored and
  ``slot_taken`` is raised; a taken id gives ``booking_exists``; a start before "now"
  gives ``slot_in_past``. Concurrent callers can never both get overlapping times.
* ``reschedule`` and ``cancel`` raise the sequence by one; a cancelled booking frees its
  time at once and can be neither rescheduled nor cancelled again (``booking_cancelled``).
  Given ``expected_sequence`` they change only that revision: if another writer changed
  the booking first they raise ``booking_changed`` and change nothing.
* A booking is kept until ``retention_s`` after its end (so late calendar syncs and the
  CANCEL invite still find it), then it is gone (``booking_not_found``). Cancelled ones
  stay listed for their people until then (``cancelled_for``), so a feed can show them
  as cancelled instead of dropping them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from datetime import datetime, timedelta

from rooms.errors import RoomError
from rooms.scheduling.bookings import MAX_BUFFER_S, Booking
from rooms.scheduling.zones import epoch_seconds

DEFAULT_RETENTION_S = 7 * 24 * 3600
MAX_BATCH = 260  # five years of a weekly series
MAX_BUFFER = timedelta(seconds=MAX_BUFFER_S)


def check_new_batch(bookings: Sequence[Booking], now: float) -> None:
    """The checks every store makes before looking at stored bookings.

    Raises ValueError for a batch that could never be stored (empty, too big, duplicate
    ids, not a fresh confirmed booking), ``slot_in_past`` and ``slot_taken`` (two in the
    batch conflict with each other).
    """
    if not 0 < len(bookings) <= MAX_BATCH:
        raise ValueError(f"book between 1 and {MAX_BATCH} sessions at once")
    if len({b.booking_id for b in bookings}) != len(bookings):
        raise ValueError("booking ids must be unique within a batch")
    for booking in bookings:
        if not booking.is_confirmed or booking.sequence != 0:
            raise ValueError("only fresh confirmed bookings (sequence 0) can be created")
        check_not_past(booking.start, now)
    ordered = sorted(bookings, key=lambda b: b.start)
    for i, booking in enumerate(ordered):
        for later in ordered[i + 1:]:
            if later.start - booking.end > MAX_BUFFER:
                break  # sorted by start: nothing later can come within a buffer
            if booking.conflicts_with(later):
                raise RoomError("slot_taken", "Two of these sessions overlap.")


def check_expected(booking: Booking, expected_sequence: int | None) -> None:
    """``booking_cancelled`` if the booking is cancelled, ``booking_changed`` if it is no
    longer at ``expected_sequence`` (None: any revision will do)."""
    if not booking.is_confirmed:
        raise RoomError("booking_cancelled")
    if expected_sequence is not None and booking.sequence != expected_sequence:
        raise RoomError("booking_changed")


def check_not_past(start: datetime, now: float) -> None:
    """``slot_in_past`` if ``start`` is before ``now``."""
    if epoch_seconds(start) < now:
        raise RoomError("slot_in_past")


class BookingStore(ABC):
    """Where bookings live; each method is one atomic step for every caller."""

    async def create(self, booking: Booking) -> Booking:
        """Store one new booking (see :meth:`create_all`)."""
        return (await self.create_all([booking]))[0]

    @abstractmethod
    async def create_all(self, bookings: Sequence[Booking]) -> list[Booking]:
        """Store every booking, or none: ``slot_taken``, ``booking_exists``,
        ``slot_in_past``."""

    @abstractmethod
    async def get(self, booking_id: str) -> Booking:
        """The booking (confirmed or cancelled); ``booking_not_found`` if there is none."""

    @abstractmethod
    async def reschedule(self, booking_id: str, start: datetime, end: datetime,
                         expected_sequence: int | None = None, *,
                         rules_moved: Sequence[str] = ()) -> Booking:
        """Move the booking to [start, end) and return it with its sequence one on
        (``rules_moved``: see :meth:`Booking.rescheduled`).

        Raises ``booking_not_found``, ``booking_cancelled``, ``booking_changed`` (not at
        ``expected_sequence`` any more), ``slot_in_past`` or ``slot_taken`` (the booking's
        own old time never conflicts with the new one).
        """

    @abstractmethod
    async def cancel(self, booking_id: str, expected_sequence: int | None = None) -> Booking:
        """Cancel the booking and return it with its sequence one on; its time is free.

        Raises ``booking_not_found``, ``booking_cancelled`` or ``booking_changed``.
        """

    @abstractmethod
    async def bookings_for(self, identity: str, start: datetime, end: datetime) -> list[Booking]:
        """The confirmed bookings of ``identity`` overlapping [start, end), by start."""

    @abstractmethod
    async def cancelled_for(self, identity: str, start: datetime,
                            end: datetime) -> list[Booking]:
        """The cancelled bookings of ``identity`` overlapping [start, end), by start (kept
        until ``retention_s`` after their end, like every booking: feeds list them)."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections; the store is not used afterwards."""
