"""The reminder ledgers (memory and Redis, one contract): plans, due sessions, claims."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from rooms.clock import ManualClock
from rooms.scheduling.reminders import (
    MemoryReminderLedger,
    RedisReminderLedger,
    ReminderLedger,
)

NOW = 1_800_000_000


@pytest.fixture(params=["memory", "redis"])
async def ledger(request: pytest.FixtureRequest, clock: ManualClock,
                 ) -> AsyncIterator[ReminderLedger]:
    made: ReminderLedger
    if request.param == "redis":
        made = RedisReminderLedger(request.getfixturevalue("clean_redis_url"), clock)
    else:
        made = MemoryReminderLedger(clock)
    yield made
    await made.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


async def test_due_sessions_are_those_starting_within_the_lead(ledger: ReminderLedger) -> None:
    await ledger.plan("b", NOW + 900)
    await ledger.plan("a", NOW + 600)
    await ledger.plan("c", NOW + 3600)
    assert await ledger.due(NOW, 900) == [("a", NOW + 600), ("b", NOW + 900)]
    await ledger.plan("a", NOW + 7200)  # moved
    await ledger.unplan("b")
    await ledger.unplan("never-planned")
    assert await ledger.due(NOW, 900) == []
    # Started sessions are forgotten.
    assert await ledger.due(NOW + 3600, 3600) == [("a", NOW + 7200)]
    assert await ledger.due(NOW, 10**6) == [("a", NOW + 7200)]


async def test_a_claim_is_won_once(ledger: ReminderLedger, clock: ManualClock) -> None:
    results = await asyncio.gather(*(ledger.claim("event-1", 60) for _ in range(20)))
    assert sorted(results) == [False] * 19 + [True]
    assert await ledger.claim("event-2", 60) is True
    with pytest.raises(ValueError):
        await ledger.claim("event-3", 0)


async def test_memory_claims_expire_by_the_clock(clock: ManualClock) -> None:
    ledger = MemoryReminderLedger(clock)
    assert await ledger.claim("k", 60)
    clock.advance(59)
    assert not await ledger.claim("k", 60)
    clock.advance(1)
    assert await ledger.claim("k", 60)


async def test_redis_reminder_keys_have_ttls(clean_redis_url: str, clock: ManualClock) -> None:
    ledger = RedisReminderLedger(clean_redis_url, clock)
    client = aioredis.Redis.from_url(clean_redis_url, decode_responses=True)
    try:
        await ledger.plan("a", NOW + 600)
        await ledger.claim("event-1", 60)
        keys = [k async for k in client.scan_iter("*")]
        assert len(keys) == 2
        for key in keys:
            assert await client.ttl(key) > 0, key
    finally:
        await client.aclose()
        await ledger.close()


async def test_planning_forgets_started_sessions(ledger: ReminderLedger,
                                                 clock: ManualClock) -> None:
    await ledger.plan("a", NOW + 60)
    clock.advance(120)
    await ledger.plan("b", NOW + 600)
    assert await ledger.due(NOW - 10**6, 10**7) == [("b", NOW + 600)]


async def test_a_released_claim_can_be_claimed_again(ledger: ReminderLedger) -> None:
    assert await ledger.claim("event-1", 60, holder="a")
    await ledger.release("event-1", "b")  # not b's to release
    assert not await ledger.claim("event-1", 60, holder="b")
    await ledger.release("event-1", "a")
    assert await ledger.claim("event-1", 60, holder="b")


async def test_a_settled_claim_outlives_its_lease(clock: ManualClock) -> None:
    ledger = MemoryReminderLedger(clock)
    assert await ledger.claim("k", 60, holder="a")
    await ledger.settle("k", 3600)
    await ledger.release("k", "a")  # too late: it is done
    clock.advance(61)
    assert not await ledger.claim("k", 60)
    clock.advance(3600)
    assert await ledger.claim("k", 60)


async def test_redis_settled_claims_keep_their_long_ttl(clean_redis_url: str,
                                                        clock: ManualClock) -> None:
    ledger = RedisReminderLedger(clean_redis_url, clock)
    client = aioredis.Redis.from_url(clean_redis_url, decode_responses=True)
    try:
        assert await ledger.claim("k", 60, holder="a")
        await ledger.settle("k", 3600)
        await ledger.release("k", "a")
        assert await client.ttl(ledger.claim_key("k")) > 60
        assert not await ledger.claim("k", 60)
    finally:
        await ledger.close()
        await client.aclose()
