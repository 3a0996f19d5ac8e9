"""Progress of a programme's pairs: sessions held, no-shows, next session, action items.

Every session booked between two people of one programme (the intro's, and any later one
booked on the schedule page) is recorded in the programme when it is booked, moved or
cancelled (this is a scheduling listener), because the booking store forgets a booking a
week after it ends. Who joined a session's room comes from the attendance log.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from rooms.attendance import AttendanceLog
from rooms.clock import Clock
from rooms.models import RoomKind
from rooms.programmes.model import SessionRecord
from rooms.programmes.store import ProgrammeStore
from rooms.scheduling.booking_service import BookingChange
from rooms.scheduling.bookings import Booking, BookingStatus
from rooms.scheduling.session_rooms import live_room_id

logger = logging.getLogger(__name__)
SESSION_ROOM_PREFIXES = tuple(f"{kind.value}-" for kind in RoomKind)

OpenItems = Callable[[str, str], Awaitable[int]]
"""The number of open action items of a pair (two identities), where notes provide them."""


class Progress:
    """Records programme sessions and reports each pair's progress."""

    def __init__(self, store: ProgrammeStore, clock: Clock, attendance: AttendanceLog,
                 open_items: OpenItems | None = None) -> None:
        self.store = store
        self._clock = clock
        self.attendance = attendance
        self._open_items = open_items

    async def joined(self, room_id: str, identity: str) -> None:
        """A room service join listener: note joins of booked sessions' rooms (their ids
        start with the room kind, see ``new_room_base``); rooms made on the spot are not
        sessions of anyone's programme and cost no write."""
        if room_id.startswith(SESSION_ROOM_PREFIXES):
            await self.attendance.record(room_id, identity)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(int(self._clock.now()), UTC)

    async def booking_changed(self, change: BookingChange, bookings: Sequence[Booking]) -> None:
        """Keep a record of each session between two people of one programme (the
        scheduling listener hook; a booking is forgotten a week after it ends, the
        programme's progress is not)."""
        for booking in bookings:
            try:
                people = (booking.organiser.identity, *(a.identity for a in booking.attendees))
                if len(people) != 2:
                    continue
                programme_id = await self.store.programme_of(people[0])
                if programme_id is None or await self.store.programme_of(people[1]) != (
                        programme_id):
                    continue
                cancelled = (change is BookingChange.CANCELLED
                             or booking.status is BookingStatus.CANCELLED)
                await self.store.save_session(programme_id, SessionRecord(
                    booking_id=booking.booking_id, people=people, start=booking.start,
                    end=booking.end, room_id=live_room_id(booking), cancelled=cancelled))
            except Exception:
                logger.exception("recording programme session %s failed", booking.booking_id)

    async def pairs(self, programme_id: str) -> list[dict[str, Any]]:
        """For each published pair: sessions held (ended, someone joined), no-shows (ended,
        nobody joined: the attendance log), next session, open action items (None
        without notes)."""
        now = self._now()
        people = {p.key: p for p in await self.store.participants(programme_id)}
        sessions = [r for r in await self.store.sessions(programme_id) if not r.cancelled]
        out = []
        for intro in await self.store.intros(programme_id):
            pair = {people[intro.mentor].identity, people[intro.mentee].identity}
            together = sorted((r for r in sessions if set(r.people) == pair),
                              key=lambda r: r.start)
            held = no_shows = 0
            for record in together:
                if record.end <= now:
                    if await self.attendance.joined(record.room_id):
                        held += 1
                    else:
                        no_shows += 1
            coming = [r for r in together if r.end > now]
            items = None
            if self._open_items is not None:
                items = await self._open_items(people[intro.mentor].identity,
                                               people[intro.mentee].identity)
            out.append({"mentor": intro.mentor, "mentee": intro.mentee, "sessions_held": held,
                        "no_shows": no_shows, "open_action_items": items,
                        "next_session": coming[0].start if coming else None})
        return out
