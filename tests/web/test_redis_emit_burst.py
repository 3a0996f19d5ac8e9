"""A burst of emits for the other server processes, on the Redis manager.

python-socketio published through a client of its own on redis-py's default pool,
which raises "Too many connections" once 100 publishes are in flight: during a burst
of joins (each emits to its room and sends process notices) it logged "Cannot publish
to redis... retrying", rebuilt its client, and "giving up" lost messages. The server
now publishes through the process's own Redis client (its blocking, sized pool).
"""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
import redis.asyncio as aioredis

from tests.live_server import live_server
from web.app import SERVICES

BURST = 300  # emits in flight at once: three times redis-py's default pool


async def test_a_burst_of_emits_reaches_the_channel_without_errors(
        redis_url: str, caplog: pytest.LogCaptureFixture) -> None:
    listener = aioredis.Redis.from_url(redis_url)
    pubsub = listener.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe("socketio")
    try:
        async with live_server(redis_url=redis_url) as server:
            namespace = server.app[SERVICES].namespace
            caplog.set_level(logging.WARNING)
            await asyncio.gather(*(namespace.emit("burst", {"n": n}, room="nobody-here")
                                   for n in range(BURST)))
            seen: set[int] = set()
            async with asyncio.timeout(20):
                while len(seen) < BURST:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    data = json.loads(message["data"])
                    if data.get("event") == "burst":
                        seen.add(data["data"][0]["n"])
            errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
            assert not errors, errors[:3]
    finally:
        await pubsub.aclose()
        await listener.aclose()
