"""What only the Redis booking store does: key layout, TTLs, races across connections."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import redis.asyncio as aioredis

from rooms.clock import ManualClock
from rooms.errors import RoomError
from rooms.scheduling.bookings import Booking
from rooms.scheduling.redis_bookings import LOOK_BACK_S, RedisBookingStore
from tests.redis_server import key_ttls as ttls
from tests.rooms.scheduling.builders import NOW, booking, utc
from tests.rooms.scheduling.conftest import RETENTION_S

T = utc(2024, 3, 4, 10)
M30 = timedelta(minutes=30)
PREFIX = "mentorcall:sched:{sched}:"


@pytest.fixture
async def rstore(redis_url: str, clock: ManualClock) -> AsyncIterator[RedisBookingStore]:
    store = RedisBookingStore(redis_url, clock, retention_s=RETENTION_S)
    yield store
    await store.close()


async def test_key_layout(rstore: RedisBookingStore, raw: aioredis.Redis) -> None:
    await rstore.create(booking("b1", T, buffer_s=300))
    assert set(await raw.keys("*")) == {
        PREFIX + "booking:b1", PREFIX + "calendar:mentor", PREFIX + "calendar:mentee"}
    start = int(T.timestamp())
    assert await raw.zrange(PREFIX + "calendar:mentor", 0, -1, withscores=True) == [
        (f"{start}:{start + 1800}:300:b1", float(start))]
    assert await raw.hget(PREFIX + "booking:b1", "seq") == "0"


async def test_every_key_has_a_ttl_measured_from_the_clock(
    rstore: RedisBookingStore, raw: aioredis.Redis
) -> None:
    await rstore.create(booking("b1", T))
    await rstore.create(booking("b2", T + 4 * M30, organiser="mentor", attendees=["other"]))
    now = NOW.timestamp()
    expected = {
        PREFIX + "booking:b1": T.timestamp() + 1800 + RETENTION_S - now,
        PREFIX + "booking:b2": T.timestamp() + 4 * 1800 + 1800 + RETENTION_S - now,
        # A calendar lives as long as its latest booking could last, plus retention.
        PREFIX + "calendar:mentor": T.timestamp() + 4 * 1800 + LOOK_BACK_S + RETENTION_S - now,
        PREFIX + "calendar:mentee": T.timestamp() + LOOK_BACK_S + RETENTION_S - now,
        PREFIX + "calendar:other": T.timestamp() + 4 * 1800 + LOOK_BACK_S + RETENTION_S - now,
    }
    found = await ttls(raw)
    assert set(found) == set(expected)
    for key, seconds in expected.items():
        assert abs(found[key] - seconds * 1000) < 5000, key


async def test_cancel_empties_and_deletes_calendars(
    rstore: RedisBookingStore, raw: aioredis.Redis
) -> None:
    await rstore.create(booking("b1", T))
    await rstore.cancel("b1")
    cancelled = {PREFIX + "cancelled:mentor", PREFIX + "cancelled:mentee"}
    assert set(await raw.keys("*")) == {PREFIX + "booking:b1", *cancelled}
    assert 0 < await raw.pttl(PREFIX + "booking:b1")
    # The cancelled lists (for feeds) expire like calendars: latest start, plus retention.
    found = await ttls(raw)
    for key in cancelled:
        seconds = T.timestamp() + LOOK_BACK_S + RETENTION_S - NOW.timestamp()
        assert abs(found[key] - seconds * 1000) < 5000, key


async def test_old_calendar_entries_are_pruned_on_write(
    rstore: RedisBookingStore, raw: aioredis.Redis, clock: ManualClock
) -> None:
    await rstore.create(booking("old", T))
    clock.set(T.timestamp() + LOOK_BACK_S + RETENTION_S + 10)
    later = T + timedelta(seconds=LOOK_BACK_S + RETENTION_S + 3600)
    await rstore.create(booking("new", later))
    members = await raw.zrange(PREFIX + "calendar:mentor", 0, -1)
    assert [str(m).rsplit(":", 1)[1] for m in members] == ["new"]


async def test_reschedule_replaces_the_calendar_entry(
    rstore: RedisBookingStore, raw: aioredis.Redis
) -> None:
    await rstore.create(booking("b1", T))
    moved = await rstore.reschedule("b1", T + 2 * M30, T + 3 * M30)
    members = await raw.zrange(PREFIX + "calendar:mentee", 0, -1)
    start = int(moved.start.timestamp())
    assert members == [f"{start}:{start + 1800}:0:b1"]
    assert await raw.hget(PREFIX + "booking:b1", "seq") == "1"


async def test_fifty_attempts_from_separate_connections_make_one_booking(
    redis_url: str, clock: ManualClock
) -> None:
    stores = [RedisBookingStore(redis_url, clock, retention_s=RETENTION_S) for _ in range(50)]
    try:
        attempts = [
            store.create(booking(f"try-{i}", T + timedelta(minutes=3 * (i % 7)),
                                 attendees=[f"mentee-{i}"]))
            for i, store in enumerate(stores)
        ]
        results = await asyncio.gather(*attempts, return_exceptions=True)
    finally:
        await asyncio.gather(*(s.close() for s in stores))
    won = [r for r in results if isinstance(r, Booking)]
    lost = [r for r in results if isinstance(r, RoomError) and r.code == "slot_taken"]
    assert (len(won), len(lost)) == (1, 49)
    check = RedisBookingStore(redis_url, clock)
    try:
        assert await check.bookings_for("mentor", T - M30, T + 2 * M30) == won
    finally:
        await check.close()


async def test_a_shared_client_is_left_open(redis_url: str, clock: ManualClock) -> None:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    store = RedisBookingStore(client, clock)
    await store.create(booking("b1", T))
    await store.close()
    assert await client.exists("mentorcall:sched:{sched}:booking:b1") == 1
    await client.aclose()
