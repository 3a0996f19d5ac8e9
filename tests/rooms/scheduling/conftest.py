"""Fixtures for the scheduling tests: a pinned clock and both booking stores."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from rooms.clock import ManualClock
from rooms.scheduling.booking_store import BookingStore
from rooms.scheduling.memory_bookings import MemoryBookingStore
from rooms.scheduling.redis_bookings import RedisBookingStore
from rooms.scheduling.slots import SlotFinder
from tests.rooms.scheduling.builders import NOW

RETENTION_S = 3600


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW.timestamp())


@pytest.fixture
def finder(clock: ManualClock) -> SlotFinder:
    return SlotFinder(clock)


@pytest.fixture(params=["memory", "redis"])
async def bookings(
    request: pytest.FixtureRequest, clock: ManualClock
) -> AsyncIterator[BookingStore]:
    """Each booking store in turn; the Redis one on a freshly flushed real redis-server."""
    made: BookingStore
    if request.param == "redis":
        url = request.getfixturevalue("clean_redis_url")
        made = RedisBookingStore(url, clock, retention_s=RETENTION_S)
    else:
        made = MemoryBookingStore(clock, retention_s=RETENTION_S)
    yield made
    await made.close()
