"""A server configured with Redis keeps room state there and emits through it."""

from __future__ import annotations

import redis.asyncio as redis

from tests.live_server import live_server, token_of
from tests.signaling.client import SignalClient


async def test_server_on_redis_keeps_rooms_in_redis(redis_url: str) -> None:
    async with live_server(redis_url=redis_url) as server:
        room = await server.create_room("Ada", "Grace")
        mentor = await SignalClient().connect(server.base_url)
        mentee = await SignalClient().connect(server.base_url)
        try:
            assert (await mentor.call("join", {"token": token_of(room["links"]["mentor"])}))["ok"]
            assert (await mentee.call("join", {"token": token_of(room["links"]["mentee"])}))["ok"]
            joined = await mentor.next_event("participant_joined")
            assert joined["participant"]["display_name"] == "Grace"
            client = redis.from_url(redis_url)
            try:
                keys = [k.decode() async for k in client.scan_iter(f"*{room['room_id']}*")]
                assert keys, "no room keys in Redis"
                for key in keys:
                    assert await client.ttl(key) > 0, key
            finally:
                await client.aclose()
            ack = await mentee.call("leave", {})
            assert ack == {"ok": True}
            left = await mentor.next_event("participant_left")
            assert left["reason"] == "left"
        finally:
            await mentor.close()
            await mentee.close()
