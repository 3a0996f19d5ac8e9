"""The webhook outbox, one contract for the in-memory and the Redis implementation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

from rooms.scheduling.outbox import MemoryWebhookOutbox, RedisWebhookOutbox, WebhookOutbox
from tests.redis_server import key_ttls

NOW = 1_800_000_000.0
LEASE_S = 60.0


@pytest.fixture(params=["memory", "redis"])
async def outbox(request: pytest.FixtureRequest) -> AsyncIterator[WebhookOutbox]:
    made: WebhookOutbox
    if request.param == "redis":
        made = RedisWebhookOutbox(request.getfixturevalue("clean_redis_url"))
    else:
        made = MemoryWebhookOutbox()
    yield made
    await made.close()


async def test_an_event_is_claimed_once_per_lease_and_finished_once(
        outbox: WebhookOutbox) -> None:
    await outbox.add("e1", '{"id": "e1"}', NOW)
    await outbox.add("e1", "again", NOW)  # the same id is queued once
    assert await outbox.claim(NOW - 1, LEASE_S, "a") == []  # not due yet
    [item] = await outbox.claim(NOW, LEASE_S, "a")
    assert (item.event_id, item.body, item.attempt) == ("e1", '{"id": "e1"}', 1)
    assert await outbox.claim(NOW + 1, LEASE_S, "b") == []  # leased to a
    assert not await outbox.finish("e1", "b")
    assert await outbox.finish("e1", "a")
    assert await outbox.pending() == 0
    assert await outbox.claim(NOW + 2 * LEASE_S, LEASE_S, "b") == []


async def test_a_retry_comes_due_later_and_counts_attempts(outbox: WebhookOutbox) -> None:
    await outbox.add("e1", "body", NOW)
    [first] = await outbox.claim(NOW, LEASE_S, "a")
    assert not await outbox.retry("e1", "b", NOW + 5)  # not b's to release
    assert first.attempt == 1 and await outbox.retry("e1", "a", NOW + 5)
    assert await outbox.claim(NOW + 4, LEASE_S, "a") == []
    [again] = await outbox.claim(NOW + 5, LEASE_S, "b")
    assert again.attempt == 2 and await outbox.pending() == 1


async def test_the_lease_of_a_dead_holder_runs_out(outbox: WebhookOutbox) -> None:
    await outbox.add("e1", "body", NOW)
    await outbox.claim(NOW, LEASE_S, "dead")
    [item] = await outbox.claim(NOW + LEASE_S, LEASE_S, "alive")
    assert item.attempt == 2
    assert not await outbox.finish("e1", "dead")
    assert await outbox.finish("e1", "alive")


async def test_concurrent_claimers_share_the_events_without_overlap(redis_url: str) -> None:
    outboxes = [RedisWebhookOutbox(redis_url) for _ in range(4)]
    try:
        for n in range(20):
            await outboxes[0].add(f"e{n}", "body", NOW)
        claims = await asyncio.gather(*(o.claim(NOW, LEASE_S, f"h{i}", limit=20)
                                        for i, o in enumerate(outboxes)))
        ids = [item.event_id for claim in claims for item in claim]
        assert sorted(ids) == sorted(f"e{n}" for n in range(20))
    finally:
        for o in outboxes:
            await o.close()


async def test_every_outbox_key_expires(redis_url: str, raw: aioredis.Redis) -> None:
    outbox = RedisWebhookOutbox(redis_url)
    try:
        await outbox.add("e1", "body", NOW)
        await outbox.claim(NOW, LEASE_S, "a")
        ttls = await key_ttls(raw)
        assert len(ttls) == 4 and all(t > 0 for t in ttls.values()), ttls
    finally:
        await outbox.close()
