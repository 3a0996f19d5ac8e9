"""Fixtures for the rooms tests: a pinned clock and both store implementations."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from rooms.clock import ManualClock
from rooms.memory_store import MemoryRoomStore
from rooms.redis_store import RedisRoomStore
from rooms.store import RoomStore
from tests.rooms.builders import GRACE_S, START


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest, clock: ManualClock) -> AsyncIterator[RoomStore]:
    """Each implementation in turn; the Redis one on a freshly flushed real redis-server."""
    made: RoomStore
    if request.param == "redis":
        made = RedisRoomStore(request.getfixturevalue("clean_redis_url"), clock, grace_s=GRACE_S)
    else:
        made = MemoryRoomStore(clock, grace_s=GRACE_S)
    yield made
    await made.close()
