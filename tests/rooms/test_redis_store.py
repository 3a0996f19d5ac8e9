"""What only the Redis store does: TTLs on every key, key layout, cross-client races."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from rooms.clock import ManualClock
from rooms.redis_store import RedisRoomStore
from tests.redis_server import key_ttls as ttls
from tests.rooms.builders import (
    AUDIO,
    DURATION_S,
    GRACE_S,
    START,
    coffee,
    expect_error,
    person,
    race,
    tally,
)


@pytest.fixture
async def rstore(redis_url: str, clock: ManualClock) -> AsyncIterator[RedisRoomStore]:
    store = RedisRoomStore(redis_url, clock, grace_s=GRACE_S)
    yield store
    await store.close()


async def test_key_layout(rstore: RedisRoomStore, raw: aioredis.Redis) -> None:
    await rstore.create_room(coffee("abc"))
    await rstore.join("abc", person("a"))
    assert set(await raw.keys("*")) == {
        "mentorcall:room:{abc}",
        "mentorcall:room:{abc}:participants",
        "mentorcall:room:{abc}:tracks",
    }
    assert rstore.room_keys("abc") == [
        "mentorcall:room:{abc}",
        "mentorcall:room:{abc}:participants",
        "mentorcall:room:{abc}:tracks",
        "mentorcall:room:{abc}:leases",
    ]


async def test_every_key_has_the_room_ttl(
    rstore: RedisRoomStore, raw: aioredis.Redis, clock: ManualClock
) -> None:
    await rstore.create_room(coffee())
    full_ms = (DURATION_S + GRACE_S) * 1000
    (only,) = (await ttls(raw)).values()
    assert full_ms - 5000 < only <= full_ms

    clock.advance(100)  # later writes copy the room's remaining TTL, never extend it
    await rstore.join("room-1", person("a"))
    await rstore.join("room-1", person("b"))
    await rstore.set_tracks("room-1", "a", [AUDIO])
    await rstore.leave("room-1", "b")
    found = await ttls(raw)
    assert len(found) == 3
    for key, ttl in found.items():
        assert 0 < ttl <= full_ms, key


async def test_expired_room_refuses_joins(rstore: RedisRoomStore, clock: ManualClock) -> None:
    await rstore.create_room(coffee())
    clock.set(START + DURATION_S + 1)
    await expect_error("room_closed", rstore.join("room-1", person("a")))


async def test_redis_keys_expire_for_real(redis_url: str, raw: aioredis.Redis) -> None:
    # Pin "now" so that the room has 300 ms of (duration + grace) left when created.
    clock = ManualClock(START + DURATION_S - 0.3)
    store = RedisRoomStore(redis_url, clock, grace_s=0)
    try:
        await store.create_room(coffee())
        await store.join("room-1", person("a"))
        assert len(await raw.keys("*")) == 3
        await asyncio.sleep(0.6)
        assert await raw.keys("*") == []
        assert await store.get_room("room-1") is None
    finally:
        await store.close()


async def test_key_prefix_separates_deployments(redis_url: str, clock: ManualClock) -> None:
    one = RedisRoomStore(redis_url, clock, key_prefix="one:")
    two = RedisRoomStore(redis_url, clock, key_prefix="two:")
    try:
        await one.create_room(coffee())
        assert await two.get_room("room-1") is None
        await two.create_room(coffee())
        await one.join("room-1", person("a"))
        assert (await two.snapshot("room-1")).participants == []
    finally:
        await one.close()
        await two.close()


async def test_accepts_a_client_that_returns_bytes(redis_url: str, clock: ManualClock) -> None:
    client = aioredis.Redis.from_url(redis_url)  # decode_responses=False
    store = RedisRoomStore(client, clock)
    await store.create_room(coffee())
    await store.join("room-1", person("a"))
    await store.set_tracks("room-1", "a", [AUDIO])
    snap = await store.snapshot("room-1")
    assert snap.participants == [person("a").with_tracks([AUDIO])]
    assert await store.get_room("room-1") == coffee()
    await store.close()  # not ours: stays open
    assert await client.ping()
    await client.aclose()


async def test_concurrent_joins_from_separate_connections(
    redis_url: str, clock: ManualClock
) -> None:
    stores = [RedisRoomStore(redis_url, clock) for _ in range(20)]
    try:
        await stores[0].create_room(coffee())
        assert tally(await race(stores, "room-1")) == (2, 18)
        assert len((await stores[7].snapshot("room-1")).participants) == 2
    finally:
        for store in stores:
            await store.close()
