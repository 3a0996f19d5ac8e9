"""A Redis restart without persistence under two server processes: each writes back the
seats it holds, so the room comes back whole, and events cross processes again once
their Socket.IO listeners have subscribed again."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import redis.asyncio as aioredis

from tests.redis_server import RedisServer
from tests.server_process import ServerProcess
from tests.signaling.roundtable import Member, create_roundtable

CHANNEL = "socketio"  # the Socket.IO Redis manager's channel


async def test_both_processes_write_back_their_seats_and_events_cross_again(
        own_redis: RedisServer) -> None:
    settings: dict[str, Any] = {"redis_url": own_redis.url, "disconnect_grace_s": 5.0,
                                "presence_interval_s": 0.3, "redis_timeout_s": 0.5,
                                "room_placement": False}  # one room on both processes
    with ServerProcess(**settings) as one, ServerProcess(**settings) as two:
        raw = aioredis.Redis.from_url(own_redis.url, decode_responses=True)
        room = await create_roundtable(one.base_url, [("Pat", "participant"),
                                                      ("Ann", "participant")])
        participants_key = f"mentorcall:room:{{{room['room_id']}}}:participants"
        host = await Member.connect(one.base_url)
        pat = await Member.connect(two.base_url)
        ann = await Member.connect(one.base_url)
        try:
            await host.join(room["tokens"]["host"])
            await pat.join(room["tokens"]["Pat"])
            await host.event_where("participant_joined", lambda e: True)

            own_redis.restart()

            async def ready() -> bool:
                seats = await raw.hgetall(participants_key)
                listeners = dict(await raw.pubsub_numsub(CHANNEL)).get(CHANNEL, 0)
                return len(seats) == 2 and listeners == 2

            async with asyncio.timeout(15):
                while not await ready():  # noqa: ASYNC110 (Redis sets no event)
                    await asyncio.sleep(0.05)
            ack = await ann.join(room["tokens"]["Ann"])
            assert {p["display_name"] for p in ack["room"]["participants"]} == {
                "Host", "Pat", "Ann"}
            # through the Socket.IO Redis manager, from process one to process two
            joined = await pat.event_where(
                "participant_joined", lambda e: e["participant"]["display_name"] == "Ann",
                timeout=15)
            assert joined["participant"]["role"] == "participant"
        finally:
            for member in (host, pat, ann):
                await member.close()
            await raw.aclose()


async def health_status(base_url: str) -> int:
    async with aiohttp.ClientSession() as http, \
            http.get(f"{base_url}/api/health") as response:
        return response.status


async def until_status(status: int, *servers: ServerProcess) -> None:
    async with asyncio.timeout(20):
        while any([await health_status(s.base_url) != status for s in servers]):  # noqa: ASYNC110
            await asyncio.sleep(0.1)


async def test_after_a_long_outage_events_cross_processes_once_health_is_ok(
        own_redis: RedisServer) -> None:
    # Redis away for 8 s: python-socketio's listener waited 1, 2, 4 then 8 s between
    # tries, so for seconds after Redis was back (and /api/health said ok) the other
    # processes' events were lost. Now it tries every 2 s at most, and health stays
    # degraded until it listens again.
    settings: dict[str, Any] = {"redis_url": own_redis.url, "disconnect_grace_s": 30.0,
                                "presence_interval_s": 0.3, "redis_timeout_s": 0.5,
                                "room_placement": False}  # one room on both processes
    with ServerProcess(**settings) as one, ServerProcess(**settings) as two:
        await until_status(200, one, two)
        room = await create_roundtable(one.base_url, [("Pat", "participant"),
                                                      ("Ann", "participant")])
        host = await Member.connect(one.base_url)
        pat = await Member.connect(two.base_url)
        ann = await Member.connect(one.base_url)
        try:
            await host.join(room["tokens"]["host"])
            await pat.join(room["tokens"]["Pat"])
            own_redis.kill()
            await until_status(503, one, two)
            await asyncio.sleep(8.0)  # a long outage (not a measurement)
            own_redis.restart()
            await until_status(200, one, two)
            await ann.join(room["tokens"]["Ann"])
            joined = await pat.event_where(
                "participant_joined", lambda e: e["participant"]["display_name"] == "Ann",
                timeout=15)
            assert joined["participant"]["role"] == "participant"
        finally:
            for member in (host, pat, ann):
                await member.close()
