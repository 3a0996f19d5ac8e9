"""What only the Redis recording store has: its key layout (one hash tag, which keys
expire) and its answer while Redis is away."""

from __future__ import annotations

import redis.asyncio as aioredis

from rooms.clock import ManualClock
from rooms.recordings.audit import TRAIL_TTL_S, AuditAction, AuditEntry, AuditOutcome
from rooms.recordings.model import RecordingFilter
from rooms.recordings.policy import CoffeeRecorders, RecordingPolicy
from rooms.recordings.redis_store import RedisRecordingStore
from tests.redis_server import RedisServer, key_ttls
from tests.rooms.builders import START, expect_error
from tests.rooms.recordings.builders import recording


async def test_key_layout(redis_url: str, raw: aioredis.Redis, clock: ManualClock) -> None:
    store = RedisRecordingStore(redis_url, clock)
    await store.create(recording("rec-1", booking_id="b-1"))
    await store.set_policy("room-1", RecordingPolicy(coffee_recorders=CoffeeRecorders.EITHER),
                           until=START + 600)
    ttls = await key_ttls(raw)
    assert all("{rec}" in key for key in ttls)  # one Redis Cluster slot for the scripts
    prefix = "mentorcall:{rec}:"
    assert 0 < ttls[prefix + "policy:room-1"] <= 600_000  # expires with the room
    assert {key for key, ttl in ttls.items() if ttl == -1} == {
        prefix + name for name in ("recording:rec-1", "by-start", "room:room-1",
                                   "booking:b-1", "person:mentor-1", "active:room-1")}
    await store.close()


async def test_redis_away_is_unavailable(own_redis: RedisServer, clock: ManualClock) -> None:
    store = RedisRecordingStore(own_redis.url, clock)
    await store.create(recording("rec-1"))
    own_redis.kill()
    await expect_error("unavailable", store.find(RecordingFilter()))
    await expect_error("unavailable", store.create(recording("rec-2", "room-2")))
    own_redis.restart()
    assert await store.get("rec-1") is None  # a fresh, empty server
    await store.close()


async def test_a_recordings_trail_expires_and_older_entries_are_still_found(
        redis_url: str, raw: aioredis.Redis, clock: ManualClock) -> None:
    """Each recording's trail is a list of its own that expires TRAIL_TTL_S after its last
    entry; entries written before trails were kept (only in the whole log) still count."""
    store = RedisRecordingStore(redis_url, clock)

    def entry(at: float) -> AuditEntry:
        return AuditEntry(at=at, actor="admin", action=AuditAction.READ,
                          outcome=AuditOutcome.ALLOWED, recording_id="rec-1")

    await raw.lpush("mentorcall:{rec}:audit", entry(START - 10).model_dump_json())  # older
    await store.audit(entry(START))
    ttls = await key_ttls(raw)
    assert 0 < ttls["mentorcall:{rec}:audit:rec-1"] <= TRAIL_TTL_S * 1000
    assert [e.at for e in await store.audit_log(recording_id="rec-1")] == [START, START - 10]
    await store.close()
