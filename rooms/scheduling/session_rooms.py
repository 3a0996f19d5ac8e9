"""The room behind each booking, and the join tokens that open it on time.

A booked session's room is stored when the booking is made, long before anyone may join.
The room's ``created_at`` is its *opening*, ``join_early_s`` before the start, and it
closes ``overrun_s`` after the end. What actually keeps people out until then is the join
token: its ``nbf`` is the opening instant (``token_not_yet_valid`` before it) and it
expires when the room closes.

Naming: ``Booking.room_id`` is a base ``"<kind>-<random>"`` (``coffee`` or
``roundtable``); the live room of booking revision ``n`` (its SEQUENCE) is
``"<base>-<n>"``. A reschedule therefore gets a fresh room, and every join link issued
for the old time stops working (``token_wrong_room``/``room_not_found``) instead of
opening the new room at the old time.
"""

from __future__ import annotations

import asyncio
import logging
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from rooms.clock import Clock, SystemClock
from rooms.grants import JoinGrant, TokenSigner
from rooms.models import MAX_DURATION_S, Role, Room, RoomKind
from rooms.scheduling.bookings import Booking
from rooms.scheduling.people import Person
from rooms.scheduling.zones import epoch_seconds
from rooms.store import RoomStore

logger = logging.getLogger(__name__)

ROOM_BASE_BYTES = 16


@dataclass(frozen=True)
class SessionTiming:
    """When a booked room opens (before the start) and closes (after the end)."""

    join_early_s: int = 300
    overrun_s: int = 600

    def __post_init__(self) -> None:
        if self.join_early_s < 0 or self.overrun_s < 0:
            raise ValueError("join_early_s and overrun_s must not be negative")


def new_room_base(kind: RoomKind) -> str:
    """A fresh, unguessable ``Booking.room_id`` for a session of ``kind``."""
    return f"{kind.value}-{secrets.token_urlsafe(ROOM_BASE_BYTES)}"


def room_kind(booking: Booking) -> RoomKind:
    """Coffee or roundtable, as chosen when the booking was made."""
    base = booking.room_id or ""
    if base.startswith(f"{RoomKind.ROUNDTABLE.value}-"):
        return RoomKind.ROUNDTABLE
    if base.startswith(f"{RoomKind.COFFEE.value}-"):
        return RoomKind.COFFEE
    return RoomKind.COFFEE if len(booking.attendees) == 1 else RoomKind.ROUNDTABLE


def live_room_id(booking: Booking) -> str:
    """The id of the room for this revision of the booking."""
    if booking.room_id is None:
        raise ValueError("this booking has no room")
    return f"{booking.room_id}-{booking.sequence}"


class SessionRooms:
    """Creates and removes booked rooms; issues each person's join token."""

    def __init__(self, rooms: RoomStore, signer: TokenSigner, clock: Clock | None = None,
                 timing: SessionTiming | None = None) -> None:
        self._rooms = rooms
        self._signer = signer
        self._clock: Clock = clock if clock is not None else SystemClock()
        self.timing = timing or SessionTiming()

    def opens_at(self, booking: Booking) -> datetime:
        """When joining becomes possible."""
        return booking.start - timedelta(seconds=self.timing.join_early_s)

    def closes_at(self, booking: Booking) -> datetime:
        """When the room closes."""
        return booking.end + timedelta(seconds=self.timing.overrun_s)

    def room_for(self, booking: Booking) -> Room:
        """The room this revision of the booking needs."""
        opens = epoch_seconds(self.opens_at(booking))
        duration_s = min(epoch_seconds(self.closes_at(booking)) - opens, MAX_DURATION_S)
        room_id = live_room_id(booking)
        if room_kind(booking) is RoomKind.COFFEE:
            return Room.coffee(room_id, duration_s, opens, title=booking.title)
        return Room.roundtable(room_id, len(booking.people), duration_s, opens,
                               title=booking.title)

    async def open(self, bookings: Sequence[Booking]) -> None:
        """Store the rooms of ``bookings``: all of them, or (on any error) none."""
        rooms = [self.room_for(b) for b in bookings]
        results = await asyncio.gather(*(self._rooms.create_room(r) for r in rooms),
                                       return_exceptions=True)
        failed = next((r for r in results if isinstance(r, BaseException)), None)
        if failed is None:
            return
        made = [room for room, r in zip(rooms, results, strict=True)
                if not isinstance(r, BaseException)]
        await self._delete([room.room_id for room in made])
        raise failed

    async def close(self, bookings: Sequence[Booking]) -> None:
        """Remove the rooms of ``bookings`` (best effort: a left-over room has a TTL and
        no valid tokens)."""
        await self._delete([live_room_id(b) for b in bookings if b.room_id is not None])

    async def _delete(self, room_ids: Sequence[str]) -> None:
        results = await asyncio.gather(*(self._rooms.delete_room(r) for r in room_ids),
                                       return_exceptions=True)
        if any(isinstance(r, BaseException) for r in results):
            logger.warning("could not remove %d booked room(s); they expire by themselves",
                           sum(isinstance(r, BaseException) for r in results))

    def grant_for(self, booking: Booking, person: Person) -> JoinGrant:
        """What ``person`` may do in the booking's room (ValueError if not in it)."""
        if person.identity not in booking.people:
            raise ValueError("this person is not in the booking")
        coffee = room_kind(booking) is RoomKind.COFFEE
        if coffee:  # both may record; the room's recording policy says which role may
            role = person.role.coffee_role()
            is_host = False
        else:
            is_host = person.identity == booking.organiser.identity
            role = Role.HOST if is_host else Role.PARTICIPANT
        return JoinGrant(
            room_id=live_room_id(booking),
            identity=person.identity,
            display_name=person.display_name,
            role=role,
            publish=True,
            subscribe=True,
            record=is_host or coffee,
            admin=is_host,
            not_before=epoch_seconds(self.opens_at(booking)),
        )

    def join_token(self, booking: Booking, person: Person) -> str | None:
        """``person``'s join token: valid from the opening until the room closes; None once
        the room has closed or if the booking is cancelled."""
        if not booking.is_confirmed:
            return None
        ttl_s = math.floor(epoch_seconds(self.closes_at(booking)) - self._clock.now())
        if ttl_s <= 0:
            return None
        return self._signer.issue(self.grant_for(booking, person), ttl_s)
