"""Fixtures for the roundtable tests: a room service over each pair of stores."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from rooms.clock import ManualClock
from rooms.memory_store import MemoryRoomStore
from rooms.redis_store import RedisRoomStore
from rooms.roundtables.memory_store import MemoryRoundtableStore
from rooms.roundtables.redis_store import RedisRoundtableStore
from tests.rooms.builders import GRACE_S
from tests.rooms.roundtables.builders import Deployment


@pytest.fixture(params=["memory", "redis"])
async def deployment(request: pytest.FixtureRequest,
                     clock: ManualClock) -> AsyncIterator[Deployment]:
    """Rooms and roundtables in memory, then both in a freshly flushed real redis-server."""
    if request.param == "redis":
        url = request.getfixturevalue("clean_redis_url")
        made = Deployment(RedisRoomStore(url, clock, grace_s=GRACE_S),
                          RedisRoundtableStore(url, clock), clock, url)
    else:
        made = Deployment(MemoryRoomStore(clock, grace_s=GRACE_S),
                          MemoryRoundtableStore(clock), clock)
    yield made
    await made.close()
