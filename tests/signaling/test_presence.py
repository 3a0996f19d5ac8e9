"""The seat keeper: renews the seats held here, expires lapsed ones, and waits a lease
after the store was away before sweeping (so owners renew live seats first)."""

from __future__ import annotations

import asyncio

import pytest

from rooms.clock import ManualClock
from rooms.errors import StoreUnavailable
from rooms.grants import TokenSigner
from rooms.memory_store import MemoryRoomStore
from rooms.service import RoomService
from signaling.presence import SeatKeeper
from tests.rooms.builders import START, coffee, person

SECRET = "presence-test-secret-0123456789abcdef"
GRACE_S, INTERVAL_S = 10.0, 2.0


class FlakyStore(MemoryRoomStore):
    """The memory store, unavailable while ``down``."""

    down = False

    async def renew_leases(self, room_id: str, identities: list[str], until: float) -> None:
        if self.down:
            raise StoreUnavailable()
        await super().renew_leases(room_id, identities, until)


async def test_held_seats_are_renewed_and_lapsed_ones_expire_once_the_store_is_steady(
        ) -> None:
    clock = ManualClock(START)
    store = FlakyStore(clock)
    lapsed: list[tuple[str, str]] = []

    async def on_lapsed(room_id: str, identity: str, now: float) -> None:
        if await store.remove_lapsed(room_id, identity, now):
            lapsed.append((room_id, identity))

    keeper = SeatKeeper(RoomService(store, TokenSigner(SECRET, clock), clock), clock,
                        GRACE_S, INTERVAL_S, lambda: {"room-1": ["held"]}, on_lapsed)
    assert keeper.lease_s == GRACE_S + INTERVAL_S
    await store.create_room(coffee())
    for identity in ("held", "gone"):
        await store.join("room-1", person(identity), lease_until=START + keeper.lease_s)
    clock.advance(keeper.lease_s)
    store.down = True
    with pytest.raises(StoreUnavailable):
        await keeper.round()
    store.down = False
    await keeper.round()  # renews "held", but does not sweep yet: the store was away
    assert lapsed == []
    clock.advance(keeper.lease_s)
    await keeper.round()
    assert lapsed == [("room-1", "gone")]
    assert [p.identity for p in (await store.snapshot("room-1")).participants] == ["held"]


class CancelEatingStore(MemoryRoomStore):
    """A store whose renewal turns a cancellation into an outage, as a Redis client may
    when the cancel lands while a command times out."""

    entered: asyncio.Event

    async def renew_leases(self, room_id: str, identities: list[str], until: float) -> None:
        self.entered.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            raise StoreUnavailable() from None


async def test_the_seat_keeper_stops_when_cancelled_even_if_the_store_call_ate_the_cancel(
        ) -> None:
    # A shutdown cancels the keeper; before, the loop caught the StoreUnavailable, slept
    # and went on, so the server's clean-up waited for it for ever.
    clock = ManualClock(START)
    store = CancelEatingStore(clock)
    store.entered = asyncio.Event()
    keeper = SeatKeeper(RoomService(store, TokenSigner(SECRET, clock), clock), clock,
                        GRACE_S, 0.01, lambda: {"room-1": ["held"]}, _no_lapses)
    task = asyncio.create_task(keeper.run())
    await asyncio.wait_for(store.entered.wait(), 5)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=5)
    assert done == {task}, "the keeper kept running after it was cancelled"
    assert task.cancelled()


async def _no_lapses(room_id: str, identity: str, now: float) -> None:
    raise AssertionError("nothing lapses here")
