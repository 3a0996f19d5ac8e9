"""The join budget per (room, identity) (review 3, finding 3), in both stores: a burst
of 10, then one every 2 s; the same bucket from another process (Redis client), none
of another person's or room's, and nothing kept in Redis past a refill."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from rooms.clock import ManualClock
from rooms.join_budget import JOIN_BURST, JOIN_RATE_PER_S, MemoryJoinBudgets, RedisJoinBudgets
from rooms.redis_store import RedisRoomStore
from rooms.store import RoomStore
from tests.rooms.builders import GRACE_S


async def test_a_burst_then_one_every_two_seconds(store: RoomStore,
                                                  clock: ManualClock) -> None:
    now = clock.now()
    assert [await store.take_join("r", "ann", now) for _ in range(JOIN_BURST)] == [0.0] * 10
    wait = await store.take_join("r", "ann", now)
    assert wait == pytest.approx(1 / JOIN_RATE_PER_S, abs=0.01)
    assert await store.take_join("r", "bob", now) == 0.0  # another person
    assert await store.take_join("r2", "ann", now) == 0.0  # another room
    assert await store.take_join("r", "ann", now + 1.0) == pytest.approx(1.0, abs=0.01)
    assert await store.take_join("r", "ann", now + 2.0) == 0.0
    assert await store.take_join("r", "ann", now + 2.0) > 0
    assert await store.take_join("r", "ann", now + 3600) == 0.0  # saved up again


async def test_every_process_draws_on_the_same_bucket(clean_redis_url: str,
                                                      clock: ManualClock) -> None:
    one = RedisRoomStore(clean_redis_url, clock, grace_s=GRACE_S)
    two = RedisRoomStore(clean_redis_url, clock, grace_s=GRACE_S)
    try:
        now = clock.now()
        for n in range(JOIN_BURST):
            assert await (one if n % 2 else two).take_join("r", "ann", now) == 0.0
        assert await one.take_join("r", "ann", now) > 0
        assert await two.take_join("r", "ann", now) > 0
        plain = aioredis.from_url(clean_redis_url)
        budgets = RedisJoinBudgets(plain, "mentorcall:")
        ttl_ms = await plain.pttl(budgets.key("r", "ann"))
        assert 0 < ttl_ms <= (JOIN_BURST / JOIN_RATE_PER_S + 1) * 1000
        await plain.aclose()
    finally:
        await one.close()
        await two.close()


def test_memory_drops_buckets_that_are_full_again() -> None:
    budgets = MemoryJoinBudgets()
    for n in range(5000):
        assert budgets.take("r", f"p{n}", float(n)) == 0.0
    assert len(budgets) < 5000  # the ones idle for 20 s went
