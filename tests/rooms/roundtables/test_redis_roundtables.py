"""What only the Redis roundtable store does: key layout, TTLs, and surviving a restart."""

from __future__ import annotations

import redis.asyncio as aioredis

from rooms.clock import ManualClock
from rooms.memory_store import MemoryRoomStore
from rooms.models import Role, TrackKind
from rooms.redis_store import RedisRoomStore
from rooms.roundtables.memory_store import MemoryRoundtableStore
from rooms.roundtables.redis_store import RedisRoundtableStore
from tests.redis_server import key_ttls
from tests.rooms.builders import DURATION_S, GRACE_S, expect_error
from tests.rooms.roundtables.builders import Deployment


def redis_deployment(url: str, clock: ManualClock) -> Deployment:
    return Deployment(RedisRoomStore(url, clock, grace_s=GRACE_S),
                      RedisRoundtableStore(url, clock), clock, url)


async def test_one_key_per_roundtable_expiring_with_its_room(
        redis_url: str, clock: ManualClock, raw: aioredis.Redis) -> None:
    deployment = redis_deployment(redis_url, clock)
    made = await deployment.create(("Ben", Role.PARTICIPANT))
    host = await deployment.join(made.host_token)
    clock.advance(100)
    await deployment.tables.raise_hand(host)  # a later write keeps the room's expiry
    key = f"mentorcall:room:{{{made.room.room_id}}}:roundtable"
    assert key == deployment.store.state_key(made.room.room_id)  # type: ignore[attr-defined]
    ttls = await key_ttls(raw)
    room_ttl = ttls[f"mentorcall:room:{{{made.room.room_id}}}"]
    assert all(ttl > 0 for ttl in ttls.values())
    expected_ms = (DURATION_S + GRACE_S - 100) * 1000
    assert abs(ttls[key] - expected_ms) < 1000 and abs(room_ttl - ttls[key]) < 100_000
    await deployment.close()


async def test_the_state_survives_a_new_process(redis_url: str, clock: ManualClock) -> None:
    first = redis_deployment(redis_url, clock)
    made = await first.create(("Ana", Role.CO_HOST), ("Ben", Role.PARTICIPANT),
                              ("Cy", Role.PARTICIPANT), lobby=True)
    room_id = made.room.room_id
    host = await first.join(made.host_token)
    co = await first.join(made.invites[0].token)
    await expect_error("lobby_waiting", first.join(made.invites[1].token))
    await expect_error("lobby_waiting", first.join(made.invites[2].token))
    ben, cy = (first.grant(i.token) for i in made.invites[1:])
    await first.tables.admit(co, ben.identity)
    await first.join(made.invites[1].token)
    await first.tables.raise_hand(ben)
    await first.tables.raise_hand(co)
    await first.tables.mute(host, ben.identity, TrackKind.VIDEO)
    await first.tables.ban(host, cy.identity)
    await first.tables.set_locked(co, True)
    before = await first.tables.state(room_id)
    await first.close()

    second = redis_deployment(redis_url, clock)  # a restarted server process
    after = await second.tables.state(room_id)
    assert after == before
    assert after.hand_queue() == [ben.identity, co.identity] and after.locked
    assert after.is_muted(ben.identity, TrackKind.VIDEO) and after.is_banned(cy.identity)
    await expect_error("banned", second.join(made.invites[2].token))
    await expect_error("not_host", second.tables.set_locked(ben, False))
    state = await second.tables.lower_hand(host, ben.identity)
    assert state.revision == before.revision + 1
    await second.close()


async def test_memory_stores_forget_expired_roundtables(clock: ManualClock) -> None:
    deployment = Deployment(MemoryRoomStore(clock, grace_s=GRACE_S),
                            MemoryRoundtableStore(clock), clock)
    made = await deployment.create()
    assert await deployment.store.get(made.room.room_id) is not None
    clock.advance(DURATION_S + GRACE_S + 1)
    assert await deployment.store.get(made.room.room_id) is None
