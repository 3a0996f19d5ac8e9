"""Seat leases (presence), one contract for the in-memory and the Redis store."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from rooms.clock import ManualClock
from rooms.redis_store import RedisRoomStore
from rooms.store import RoomStore
from tests.redis_server import key_ttls
from tests.rooms.builders import GRACE_S, START, coffee, person

LEASE_S = 10.0


async def roster(store: RoomStore, room_id: str = "room-1") -> list[str]:
    return [p.identity for p in (await store.snapshot(room_id)).participants]


async def test_a_seat_lapses_when_its_lease_is_not_renewed(store: RoomStore) -> None:
    await store.create_room(coffee())
    await store.join("room-1", person("a"), lease_until=START + LEASE_S)
    await store.join("room-1", person("b"), lease_until=START + LEASE_S)
    assert await store.lapsed_seats(START + LEASE_S - 1) == []
    await store.renew_leases("room-1", ["a", "nobody"], START + 2 * LEASE_S)
    assert await store.lapsed_seats(START + LEASE_S) == [("room-1", "b")]
    assert not await store.remove_lapsed("room-1", "a", START + LEASE_S)  # renewed
    assert await store.remove_lapsed("room-1", "b", START + LEASE_S)
    assert not await store.remove_lapsed("room-1", "b", START + LEASE_S)  # once
    assert await roster(store) == ["a"]
    assert await store.lapsed_seats(START + LEASE_S) == []
    assert await store.lapsed_seats(START + 2 * LEASE_S) == [("room-1", "a")]


async def test_seats_without_a_lease_and_left_seats_never_lapse(store: RoomStore) -> None:
    await store.create_room(coffee())
    await store.join("room-1", person("a"))
    await store.join("room-1", person("b"), lease_until=START + LEASE_S)
    assert await store.leave("room-1", "b")
    await store.renew_leases("room-1", ["b"], START + 2 * LEASE_S)  # gone: not renewed
    assert await store.lapsed_seats(START + 100 * LEASE_S) == []
    assert not await store.remove_lapsed("room-1", "a", START + 100 * LEASE_S)
    assert await roster(store) == ["a"]


async def test_a_rejoin_renews_the_lease(store: RoomStore) -> None:
    await store.create_room(coffee())
    await store.join("room-1", person("a"), lease_until=START + LEASE_S)
    await store.join("room-1", person("a"), lease_until=START + 3 * LEASE_S)
    assert not await store.remove_lapsed("room-1", "a", START + 2 * LEASE_S)
    assert await roster(store) == ["a"]


async def test_deleted_rooms_leave_no_lapsed_seats_behind(store: RoomStore) -> None:
    await store.create_room(coffee())
    await store.join("room-1", person("a"), lease_until=START + LEASE_S)
    await store.delete_room("room-1")
    for room_id, identity in await store.lapsed_seats(START + LEASE_S):
        assert not await store.remove_lapsed(room_id, identity, START + LEASE_S)
    assert await store.lapsed_seats(START + LEASE_S) == []


async def test_only_one_of_many_sweepers_removes_a_seat(redis_url: str,
                                                        clock: ManualClock) -> None:
    stores = [RedisRoomStore(redis_url, clock, grace_s=GRACE_S) for _ in range(5)]
    try:
        await stores[0].create_room(coffee())
        await stores[0].join("room-1", person("a"), lease_until=START + LEASE_S)
        removed = await asyncio.gather(*(s.remove_lapsed("room-1", "a", START + LEASE_S)
                                         for s in stores))
        assert removed.count(True) == 1
    finally:
        for s in stores:
            await s.close()


async def test_lease_keys_expire(redis_url: str, clock: ManualClock,
                                 raw: aioredis.Redis) -> None:
    store = RedisRoomStore(redis_url, clock, grace_s=GRACE_S)
    try:
        await store.create_room(coffee())
        await store.join("room-1", person("a"), lease_until=START + LEASE_S)
        await store.renew_leases("room-1", ["a"], START + 2 * LEASE_S)
        ttls = await key_ttls(raw)
        assert "mentorcall:room:{room-1}:leases" in ttls and "mentorcall:presence" in ttls
        assert all(ttl > 0 for ttl in ttls.values()), ttls
    finally:
        await store.close()
