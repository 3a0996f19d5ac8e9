"""Finding a time and booking it: the operations the scheduling API calls.

:class:`SchedulingService` ties the domain core together: availability from the
:class:`~rooms.scheduling.directory.PeopleDirectory`, slots from
:class:`~rooms.scheduling.slots.SlotFinder`, atomic bookings from a
:class:`~rooms.scheduling.booking_store.BookingStore`, rooms and join tokens from
:class:`~rooms.scheduling.session_rooms.SessionRooms`, reminders in a
:class:`~rooms.scheduling.reminders.ReminderLedger`; listeners (webhooks) hear of every
change once it is stored.

Rules beyond the domain core's:

* A booked time must lie inside the availability of every required person: both people
  of a pair, the host of a roundtable (invitees are asked, not required). Otherwise
  ``slot_unavailable``. For a series only the first session is checked this way; later
  ones must only be free of conflicts (a weekly window moves with DST for the other side).
* Nothing is half-booked: rooms are created first, then the bookings in one atomic step;
  if that fails the rooms are removed. A reschedule that cannot get its new room is moved
  back. Multi-session changes (``following``) roll back the sessions already moved.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Protocol, TypeVar

from rooms.clock import Clock, SystemClock
from rooms.errors import RoomError
from rooms.models import RoomKind
from rooms.scheduling.availability import Availability
from rooms.scheduling.booking_checks import (
    check_available,
    check_counterparts,
    check_others,
    notice_sentence,
)
from rooms.scheduling.booking_store import BookingStore, check_not_past
from rooms.scheduling.bookings import Booking
from rooms.scheduling.directory import PeopleDirectory
from rooms.scheduling.holds import HeldTimes
from rooms.scheduling.people import Person, PersonRecord, PersonRole
from rooms.scheduling.reach import Reach
from rooms.scheduling.recurrence import Recurrence
from rooms.scheduling.reminders import ReminderLedger
from rooms.scheduling.series_booking import (
    following_moves,
    new_booking_id,
    original_local,
    series_bookings,
)
from rooms.scheduling.session_rooms import SessionRooms, new_room_base, room_kind
from rooms.scheduling.slots import PersonSchedule, Slot, SlotFinder, SlotQuery
from rooms.scheduling.zones import epoch_seconds, from_epoch, to_local

logger = logging.getLogger(__name__)

BOOK_AHEAD_DAYS = 366
UPCOMING_DAYS = BOOK_AHEAD_DAYS * 2 + 1  # a series may start a year ahead and last a year
FEED_PAST_DAYS = 7
BUSY_MARGIN = timedelta(days=2)  # bookings this far outside a range still block buffers


T = TypeVar("T")


class Offload(Protocol):
    """Runs CPU-bound work (a slot search) where it does not hold up the event loop that
    carries the calls: the web layer passes a bounded thread pool."""

    def __call__(self, work: Callable[[], T], /) -> Awaitable[T]:
        ...


async def run_inline(work: Callable[[], T]) -> T:
    """The default :class:`Offload`: the work runs right here (tests, tools)."""
    return work()


class BookingChange(StrEnum):
    """What happened to a booking (the webhook event types)."""

    CREATED = "booking.created"
    RESCHEDULED = "booking.rescheduled"
    CANCELLED = "booking.cancelled"
    CHANGED = "booking.changed"  # moved by a time-zone rules change (see .rule_changes)


class BookingListener(Protocol):
    """Told of every stored change (after it is stored; must not raise)."""

    async def booking_changed(self, change: BookingChange, bookings: Sequence[Booking]) -> None:
        ...


class SchedulingService:
    """Slots, bookings, reschedules, cancellations and series for registered people."""

    def __init__(self, directory: PeopleDirectory, bookings: BookingStore, rooms: SessionRooms,
                 ledger: ReminderLedger, clock: Clock | None = None, *,
                 buffer_min: int = 10, notice_min: int = 120, step_min: int = 15,
                 offload: Offload | None = None) -> None:
        self._offload: Offload = offload or run_inline
        self.directory = directory
        self.bookings = bookings
        self.rooms = rooms
        self.ledger = ledger
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._finder = SlotFinder(self._clock)
        self.buffer_min = buffer_min
        self.notice_min = notice_min
        self.step_min = step_min
        self._listeners: list[BookingListener] = []
        self.held = HeldTimes()  # times kept for some people (see .holds)
        self.reach = Reach(directory, self.upcoming)  # whom one may book (see .reach)

    def add_listener(self, listener: BookingListener) -> None:
        """Tell ``listener`` of every booking change from now on."""
        self._listeners.append(listener)

    @property
    def clock(self) -> Clock:
        return self._clock

    async def announce(self, change: BookingChange, bookings: Sequence[Booking]) -> None:
        """Tell the listeners of a change stored by someone else (the rules check)."""
        await self._tell(change, bookings)

    def today(self, zone: str) -> date:
        """The local date now in ``zone``."""
        return to_local(from_epoch(int(self._clock.now())), zone).date()

    # ---- finding a time ------------------------------------------------------------------

    def query(self, start: datetime, end: datetime, length_min: int) -> SlotQuery:
        """A slot query with the service's buffer, notice and step."""
        return SlotQuery(start=start, end=end, length_min=length_min,
                         buffer_min=self.buffer_min, notice_min=self.notice_min,
                         step_min=self.step_min)

    async def _schedule(self, record: PersonRecord, query: SlotQuery,
                        people: Collection[str]) -> PersonSchedule | None:
        """The person's availability and commitments for a session of ``people``: their
        bookings and the times held for them with someone else (see :mod:`.holds`)."""
        if record.availability is None:
            return None
        booked = await self.bookings.bookings_for(
            record.person.identity, query.start - BUSY_MARGIN, query.end + BUSY_MARGIN)
        held = await self.held.busy(record.person.identity, people, self.buffer_min * 60)
        return PersonSchedule(record.person.identity, record.availability,
                              tuple(b.busy_span() for b in booked) + tuple(held))

    async def pair_slots(self, caller: Person, other: str, query: SlotQuery,
                         limit: int | None = None, *, any_role: bool = False) -> list[Slot]:
        """The common free slots of ``caller`` (whose grid is used) and ``other``, the
        first ``limit`` of them (``any_role``: peers too, for programme coffee rounds)."""
        if other == caller.identity:
            raise RoomError("forbidden", "Look for a time with someone else.")
        mine, theirs = await self.directory.records([caller.identity, other])
        if not any_role:
            check_counterparts(caller, [theirs])
            await self.reach.check(caller, [theirs])
        pair = (caller.identity, other)
        organiser = await self._schedule(mine, query, pair)
        guest = await self._schedule(theirs, query, pair)
        if organiser is None or guest is None:
            return []  # someone has not said when they are free yet

        def search() -> list[Slot]:  # a week at a time, no further than the slots asked for
            windows = self._finder.pair_by_window(organiser, guest, query, limit=limit)
            return [slot for window in windows for slot in window]

        return await self._offload(search)

    async def roundtable_slots(self, host: Person, invitees: Sequence[str], query: SlotQuery,
                               limit: int = 20) -> list[Slot]:
        """Slots the host can make, ranked by how many invitees can come."""
        self._require_host(host)
        check_others(host, invitees)
        records = await self.directory.records([host.identity, *invitees])
        await self.reach.check(host, records[1:])
        people = [host.identity, *invitees]
        schedules = [await self._schedule(r, query, people) for r in records]
        organiser = schedules[0]
        if organiser is None:
            return []
        guests = [s if s is not None else PersonSchedule(r.person.identity, _never(r))
                  for s, r in zip(schedules[1:], records[1:], strict=True)]
        return await self._offload(
            lambda: self._finder.roundtable(organiser, guests, query, limit=limit))

    @staticmethod
    def _require_host(person: Person) -> None:
        if person.role is not PersonRole.HOST:
            raise RoomError("forbidden", "Only a host can organise a roundtable.")

    # ---- booking ---------------------------------------------------------------------------

    async def book(self, organiser: Person, others: Sequence[str], *, roundtable: bool,
                   start: datetime, length_min: int, title: str = "",
                   recurrence: Recurrence | None = None,
                   any_role: bool = False) -> list[Booking]:
        """Book a session (or a series) for ``organiser`` with ``others``, with its rooms
        (``any_role``: peers may meet too, for programme coffee rounds).

        Raises ``person_not_found``, ``forbidden``, ``slot_unavailable``, ``slot_taken``,
        ``slot_in_past`` and the recurrence's errors; on any error nothing is booked.
        """
        if roundtable:
            self._require_host(organiser)
        check_others(organiser, others)
        self._check_when(start)
        records = await self.directory.records(others)
        if not any_role:
            check_counterparts(organiser, records)
            await self.reach.check(organiser, records)
        own = await self.directory.record(organiser.identity)
        end = start + timedelta(minutes=length_min)
        required = [own] if roundtable else [own, *records]
        check_available(required, start, end)
        attendees = [r.person.attendee() for r in records]
        kind = RoomKind.ROUNDTABLE if roundtable else RoomKind.COFFEE
        now = self._clock.now()
        buffer_s = self.buffer_min * 60
        if recurrence is None:
            made = [Booking.new(new_booking_id(), own.person.attendee(), attendees, start, end,
                                now, title=title, buffer_s=buffer_s,
                                room_id=new_room_base(kind))]
        else:
            made = series_bookings(own.person.attendee(), attendees, start, length_min,
                                   recurrence, now, title=title, buffer_s=buffer_s, kind=kind)
        await self.held.check({r.person.identity: r.person.display_name for r in (own, *records)},
                              [(b.start, b.end) for b in made], self.buffer_min)
        await self.rooms.open(made)
        try:
            stored = await self.bookings.create_all(made)
        except BaseException:
            await self.rooms.close(made)
            raise
        for booking in stored:
            await self.ledger.plan(booking.booking_id, epoch_seconds(booking.start))
        await self._tell(BookingChange.CREATED, stored)
        return stored

    def _check_when(self, start: datetime) -> None:
        """``slot_in_past`` before now; ``too_soon`` within the notice (``notice_min``, as
        for suggested slots); ``range_too_long`` beyond the upcoming horizon."""
        now = self._clock.now()
        check_not_past(start, now)
        if epoch_seconds(start) < now + self.notice_min * 60:
            raise RoomError("too_soon", notice_sentence(self.notice_min))
        if start > from_epoch(int(now)) + timedelta(days=BOOK_AHEAD_DAYS):
            raise RoomError("range_too_long",
                            f"Sessions are booked at most {BOOK_AHEAD_DAYS} days ahead.")

    async def _required_records(self, booking: Booking) -> list[PersonRecord]:
        if room_kind(booking) is RoomKind.ROUNDTABLE:
            return [await self.directory.record(booking.organiser.identity)]
        return await self.directory.records(list(booking.people))

    async def booking_for(self, caller: Person, booking_id: str) -> Booking:
        """The booking, if ``caller`` is in it (``forbidden`` otherwise)."""
        booking = await self.bookings.get(booking_id)
        if caller.identity not in booking.people:
            raise RoomError("forbidden", "You are not in this session.")
        return booking

    async def _changeable(self, caller: Person, booking_id: str) -> Booking:
        """The booking, if ``caller`` may change it: either person of a 1:1, only the
        organiser of a roundtable (``forbidden`` otherwise)."""
        booking = await self.booking_for(caller, booking_id)
        if (room_kind(booking) is RoomKind.ROUNDTABLE
                and caller.identity != booking.organiser.identity):
            raise RoomError("forbidden", "Only the host who organised it can change a "
                                         "roundtable.")
        return booking

    async def reschedule(self, caller: Person, booking_id: str, start: datetime,
                         length_min: int | None = None,
                         following: bool = False) -> list[Booking]:
        """Move a session (or it and the following ones of its series); new rooms, each
        SEQUENCE one on. The first booking returned is ``booking_id``'s, the others follow
        in date order."""
        booking = await self._changeable(caller, booking_id)
        if not booking.is_confirmed:
            raise RoomError("booking_cancelled")
        length = timedelta(minutes=length_min) if length_min else booking.end - booking.start
        self._check_when(start)
        check_available(await self._required_records(booking), start, start + length)
        moves = [(booking, start, start + length)]
        if following and booking.series_id is not None:
            moves = following_moves(booking, await self._series_after(booking), start, length)
        await self.held.check(
            {r.person.identity: r.person.display_name
             for r in await self.directory.records(list(booking.people))},
            [(s, e) for _, s, e in moves], self.buffer_min)
        moved: list[tuple[Booking, Booking]] = []
        try:
            for old, new_start, new_end in moves:
                # Only the revision read here: a concurrent change gives booking_changed,
                # so the room closed below is always the one of the revision replaced.
                new = await self.bookings.reschedule(old.booking_id, new_start, new_end,
                                                     expected_sequence=old.sequence)
                moved.append((old, new))
            await self.rooms.open([new for _, new in moved])
        except BaseException:
            await self._move_back(moved)
            raise
        await self.rooms.close([old for old, _ in moved])
        for _, new in moved:
            await self.ledger.plan(new.booking_id, epoch_seconds(new.start))
        # The one addressed first (it is also the earliest), then by date: moves run
        # latest first when moving later, which is not an order to show anyone.
        result = sorted((new for _, new in moved),
                        key=lambda b: (b.booking_id != booking_id, b.start, b.booking_id))
        await self._tell(BookingChange.RESCHEDULED, result)
        return result

    async def _move_back(self, moved: Sequence[tuple[Booking, Booking]]) -> None:
        """Put moved bookings back at their old times (a new revision, with its room)."""
        restored = []
        for old, new in reversed(moved):
            try:
                restored.append(await self.bookings.reschedule(
                    old.booking_id, old.start, old.end, expected_sequence=new.sequence))
            except Exception:
                logger.exception("could not move booking %s back", old.booking_id)
        try:
            await self.rooms.open(restored)
            await self.rooms.close([old for old, _ in moved])
            await self.rooms.close([new for _, new in moved])
        except Exception:
            logger.exception("could not reopen the rooms of %d booking(s)", len(restored))

    async def _series_after(self, booking: Booking) -> list[Booking]:
        """The confirmed, not yet started sessions of the booking's series planned (by
        their original local time) from it on, by start; the booking itself first."""
        now = from_epoch(int(self._clock.now()))
        later = await self.bookings.bookings_for(
            booking.organiser.identity, min(now, booking.start),
            booking.start + timedelta(days=UPCOMING_DAYS * 2))
        origin = original_local(booking)
        found = [b for b in later if b.series_id == booking.series_id
                 and b.booking_id != booking.booking_id
                 and (b.start >= now or b.start >= booking.start)
                 and original_local(b) >= origin]
        return [booking, *found]

    async def cancel(self, caller: Person, booking_id: str,
                     following: bool = False) -> list[Booking]:
        """Cancel a session (or it and the following ones of its series)."""
        booking = await self._changeable(caller, booking_id)
        targets = [booking]
        if following and booking.series_id is not None and booking.is_confirmed:
            targets = await self._series_after(booking)
        done: list[Booking] = []
        try:
            for target in targets:
                # Only the revision read here (booking_changed otherwise), so the room
                # closed is the one of the revision cancelled.
                done.append(await self.bookings.cancel(target.booking_id,
                                                       expected_sequence=target.sequence))
        finally:
            await self.rooms.close(
                [b for b in targets[:len(done)] if b.is_confirmed])
            for b in done:
                await self.ledger.unplan(b.booking_id)
            if done:
                await self._tell(BookingChange.CANCELLED, done)
        return done

    async def upcoming(self, identity: str) -> list[Booking]:
        """The person's confirmed sessions whose room has not closed, by start: a late
        joiner still finds a session that ran over its end (until ``closes_at``)."""
        now = from_epoch(int(self._clock.now()))
        overrun = timedelta(seconds=self.rooms.timing.overrun_s)
        found = await self.bookings.bookings_for(identity, now - overrun,
                                                 now + timedelta(days=UPCOMING_DAYS))
        return [b for b in found if self.rooms.closes_at(b) > now]

    async def feed(self, identity: str) -> list[Booking]:
        """The person's sessions for their calendar feed (a week back, a year ahead), by
        start: the cancelled ones too (until the store forgets them), so a calendar that
        syncs the feed sees each one as cancelled (STATUS:CANCELLED, SEQUENCE one on)
        and removes it, instead of keeping a session that silently left the feed."""
        now = from_epoch(int(self._clock.now()))
        lo, hi = now - timedelta(days=FEED_PAST_DAYS), now + timedelta(days=UPCOMING_DAYS)
        found = [*await self.bookings.bookings_for(identity, lo, hi),
                 *await self.bookings.cancelled_for(identity, lo, hi)]
        return sorted(found, key=lambda b: (b.start, b.booking_id))

    async def _tell(self, change: BookingChange, bookings: Sequence[Booking]) -> None:
        for listener in self._listeners:
            try:
                await listener.booking_changed(change, bookings)
            except Exception:
                logger.exception("a booking listener failed on %s", change.value)


def _never(record: PersonRecord) -> Availability:
    """An availability with no free time, for someone who has not set theirs."""
    return Availability(zone=record.person.zone)
