"""Presence as leases: seats held here are renewed, lapsed seats of any process expire.

Every process runs one :class:`SeatKeeper`. Each round it

1. renews the lease of every seat whose connection it holds (to ``now + lease_s``, with
   ``lease_s`` = the disconnect grace period + one round, so a live seat never lapses
   between rounds), then
2. asks the store for seats whose lease ran out, of whichever process, and hands each to
   ``on_lapsed`` (the namespace removes it atomically, if still lapsed, and tells the
   room through the Socket.IO manager, hence every process's participants).

So a participant whose process died (``kill -9``) leaves the roster about a grace period
plus a round or two after the last renewal, not when the room's keys expire.

After the store was unreachable, a keeper waits one lease before sweeping again: the
owners of live seats get a round to renew them first. When the store restarted and
lost its data (Redis without persistence), each keeper first writes back the rooms,
seats and roundtable states its process holds (rooms/owned_seats.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from rooms.clock import Clock
from rooms.errors import StoreUnavailable
from rooms.service import RoomService

logger = logging.getLogger(__name__)

HeldSeats = Callable[[], dict[str, list[str]]]  # room id -> identities held here
OnLapsed = Callable[[str, str, float], Awaitable[None]]  # room id, identity, now


class SeatKeeper:
    """Renews this process's seat leases and expires lapsed seats, every ``interval_s``."""

    def __init__(self, service: RoomService, clock: Clock, grace_s: float, interval_s: float,
                 held: HeldSeats, on_lapsed: OnLapsed) -> None:
        if interval_s <= 0 or grace_s < 0:
            raise ValueError("interval_s > 0 and grace_s >= 0")
        self._service = service
        self._clock = clock
        self._interval_s = interval_s
        self.lease_s = grace_s + interval_s
        self._held = held
        self._on_lapsed = on_lapsed
        # Since when the store has answered every round (None: the last round failed).
        self._reachable_since: float | None = float("-inf")

    async def renew(self) -> None:
        """Extend the leases of every seat held here."""
        until = self._clock.now() + self.lease_s
        for room_id, identities in self._held().items():
            await self._service.renew_seats(room_id, identities, until)

    async def sweep(self) -> int:
        """Hand every lapsed seat to ``on_lapsed``; how many there were."""
        now = self._clock.now()
        lapsed = await self._service.lapsed_seats(now)
        for room_id, identity in lapsed:
            await self._on_lapsed(room_id, identity, now)
        return len(lapsed)

    async def reassert(self) -> bool:
        """If the store restarted and lost its data, write back what this process holds
        (its rooms, seats and roundtable states; RoomService.reassert_if_restarted);
        whether it did. Also called by a join that found no room (it may be one of
        those, not yet written back)."""
        held = self._held()
        seats = await self._service.reassert_if_restarted(
            held, self._clock.now() + self.lease_s)
        if seats is None:
            return False
        logger.warning("presence: the store restarted; wrote back %d seat(s) of %d "
                       "room(s) held here", seats, len(held))
        return True

    async def round(self) -> None:
        """A write-back after a store restart, one renewal, then a sweep unless the
        store was away less than a lease ago."""
        try:
            await self.reassert()
            await self.renew()
            now = self._clock.now()
            if self._reachable_since is None:
                self._reachable_since = now
            if now - self._reachable_since >= self.lease_s:
                await self.sweep()
        except StoreUnavailable:
            self._reachable_since = None
            raise

    async def run(self) -> None:
        """Rounds until cancelled; failures are logged and the next round tries again."""
        while True:
            try:
                await self.round()
            except StoreUnavailable:
                logger.warning("presence: the store is unavailable; leases not renewed")
            except Exception:
                logger.exception("presence round failed")
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                # cancelled while a store call failed: never swallow the cancellation
                # (the shutdown waiting for this loop would hang)
                raise asyncio.CancelledError()
            await asyncio.sleep(self._interval_s)
