"""What only the in-memory store does: purging rooms past their grace period."""

from __future__ import annotations

import pytest

from rooms.clock import ManualClock
from rooms.memory_store import MemoryRoomStore
from rooms.models import Room
from tests.rooms.builders import DURATION_S, GRACE_S, START, coffee, expect_error, person


@pytest.fixture
def memory(clock: ManualClock) -> MemoryRoomStore:
    return MemoryRoomStore(clock, grace_s=GRACE_S)


async def test_rooms_past_grace_are_forgotten_on_access(
    memory: MemoryRoomStore, clock: ManualClock
) -> None:
    await memory.create_room(coffee("r1"))
    await memory.create_room(coffee("r2"))
    clock.set(START + DURATION_S + GRACE_S)  # last instant of the grace period
    assert await memory.get_room("r1") is not None
    clock.advance(0.001)
    assert await memory.get_room("r1") is None
    await expect_error("room_not_found", memory.join("r2", person("a")))
    await expect_error("room_not_found", memory.snapshot("r2"))
    assert memory.purge_expired() == 0  # both already went on access


async def test_purge_expired(memory: MemoryRoomStore, clock: ManualClock) -> None:
    await memory.create_room(coffee("short"))
    await memory.create_room(Room.coffee("long", DURATION_S * 2, START))
    clock.set(START + DURATION_S + GRACE_S + 1)
    assert memory.purge_expired() == 1
    assert await memory.get_room("long") is not None
    clock.set(START + 2 * DURATION_S + GRACE_S + 1)
    assert memory.purge_expired() == 1
    assert await memory.get_room("long") is None


async def test_an_expired_id_can_be_reused(memory: MemoryRoomStore, clock: ManualClock) -> None:
    await memory.create_room(coffee("r1"))
    clock.set(START + DURATION_S + GRACE_S + 1)
    fresh = coffee("r1", now=clock.now())
    await memory.create_room(fresh)
    assert await memory.get_room("r1") == fresh


def test_negative_grace_is_refused() -> None:
    with pytest.raises(ValueError):
        MemoryRoomStore(ManualClock(), grace_s=-1)
