"""The Redis stores' write-back after a Redis restart (rooms/owned_seats.py), against a
real redis-server restarted empty on its socket: what a process held comes back, nothing
it did not hold or that ended on purpose does, and nothing is written over live data."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from rooms.clock import ManualClock
from rooms.models import Role
from rooms.redis_store import RedisRoomStore
from rooms.roundtables import rules
from rooms.roundtables.redis_store import RedisRoundtableStore
from tests.redis_server import RedisServer
from tests.rooms.builders import AUDIO, GRACE_S, START, VIDEO, coffee, person

LEASE_UNTIL = START + 15


@pytest.fixture
async def rstore(own_redis: RedisServer, clock: ManualClock) -> AsyncIterator[RedisRoomStore]:
    store = RedisRoomStore(own_redis.url, clock, grace_s=GRACE_S)
    yield store
    await store.close()


async def test_a_restart_writes_back_held_rooms_and_seats_once(
        rstore: RedisRoomStore, own_redis: RedisServer) -> None:
    assert await rstore.restarted({}) is False  # the first look only learns the run id
    await rstore.create_room(coffee("r1"))
    await rstore.join("r1", person("a", role=Role.MENTOR), LEASE_UNTIL, "digest-a")
    await rstore.join("r1", person("b"), LEASE_UNTIL, "digest-b")
    assert await rstore.swap_resume_digest("r1", "b", "digest-b", "digest-b2", START,
                                           LEASE_UNTIL) == "ok"
    await rstore.set_tracks("r1", "a", [AUDIO, VIDEO])
    before = await rstore.snapshot("r1")
    held = {"r1": ["a", "b"]}
    assert await rstore.restarted(held) is False  # same Redis: nothing to do

    own_redis.restart()
    assert await rstore.get_room("r1") is None
    assert await rstore.restarted(held) is True
    assert await rstore.reassert_room("r1", ["a", "b"], LEASE_UNTIL + 5) == 2
    rstore.reasserted()
    assert await rstore.snapshot("r1") == before  # room, roles, names, tracks, mute flags
    # the resume tokens given out before still resume (their digests, the latest one)
    assert await rstore.swap_resume_digest("r1", "a", "digest-a", "a2", START,
                                           LEASE_UNTIL + 5) == "ok"
    assert await rstore.swap_resume_digest("r1", "b", "digest-b", "b3", START,
                                           LEASE_UNTIL + 5) == "invalid"
    assert await rstore.swap_resume_digest("r1", "b", "digest-b2", "b3", START,
                                           LEASE_UNTIL + 5) == "ok"
    assert await rstore.lapsed_seats(LEASE_UNTIL + 4) == []
    assert sorted(await rstore.lapsed_seats(LEASE_UNTIL + 5)) == [("r1", "a"), ("r1", "b")]
    assert await rstore.restarted(held) is False
    assert await rstore.reassert_room("r1", ["a", "b"], LEASE_UNTIL) == 0  # all there


async def test_what_left_ended_or_was_not_held_is_not_written_back(
        rstore: RedisRoomStore, own_redis: RedisServer, clock: ManualClock) -> None:
    await rstore.restarted({})
    for room_id in ("stay", "ended"):
        await rstore.create_room(coffee(room_id))
        await rstore.join(room_id, person("a"), LEASE_UNTIL)
    await rstore.join("stay", person("b"), LEASE_UNTIL)
    await rstore.leave("stay", "b")
    await rstore.join("stay", person("no-lease"))  # not held by a process: no lease
    await rstore.delete_room("ended")  # a host ended it

    own_redis.restart()
    assert await rstore.restarted({"stay": ["a", "b"], "ended": ["a"]}) is True
    assert await rstore.reassert_room("ended", ["a"], LEASE_UNTIL) == 0
    assert await rstore.get_room("ended") is None
    assert await rstore.reassert_room("stay", ["a", "b", "no-lease"], LEASE_UNTIL) == 1
    assert [p.identity for p in (await rstore.snapshot("stay")).participants] == ["a"]
    assert await rstore.restarted({"stay": ["a"]}) is True  # until reasserted()
    rstore.reasserted()
    assert await rstore.restarted({"stay": ["a"]}) is False


async def test_seats_not_held_two_rounds_in_a_row_are_forgotten(
        rstore: RedisRoomStore, own_redis: RedisServer) -> None:
    await rstore.restarted({})
    await rstore.create_room(coffee("r1"))
    await rstore.join("r1", person("a"), LEASE_UNTIL)
    await rstore.join("r1", person("moved"), LEASE_UNTIL)  # reconnects elsewhere later
    await rstore.restarted({"r1": ["a"]})  # one round without it: still remembered
    own_redis.restart()
    assert await rstore.restarted({"r1": ["a"]}) is True  # a second: forgotten
    assert await rstore.reassert_room("r1", ["a", "moved"], LEASE_UNTIL) == 1


async def test_a_roundtable_state_is_written_back_only_where_it_is_missing(
        own_redis: RedisServer, clock: ManualClock) -> None:
    store = RedisRoundtableStore(own_redis.url, clock)
    try:
        until = START + 3600
        first = await store.update("t1", until, lambda s: rules.initial("host", ["co"]))
        assert await store.reassert("t1") is False  # there: never written over
        assert await store.reassert("never-seen") is False
        own_redis.restart()
        assert await store.get("t1") is None
        assert await store.reassert("t1") is True
        assert await store.get("t1") == first
        await store.delete("t1")
        own_redis.restart()
        assert await store.reassert("t1") is False  # ended on purpose
    finally:
        await store.close()
