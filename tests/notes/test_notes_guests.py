"""A shareable-link guest's private notes go with the room (review 2, finding 1): each
guest had a private document of up to the notes cap, kept in Redis for good, that
nobody can read after the session (a guest has no person token). Others' notes stay."""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from rooms.store import DEFAULT_GRACE_S
from tests.live_server import live_server
from tests.signaling.roundtable import create_roundtable

from .client import NotesClient


async def test_a_guests_private_notes_expire_with_the_room(redis_url: str) -> None:
    async with live_server(redis_url=redis_url, notes_compact_updates=3) as server:
        room = await create_roundtable(server.base_url, [], shareable=True, capacity=3)
        room_id = room["room_id"]
        shared = room["links"]["shareable"].split("#token=", 1)[1]
        host = await NotesClient().connect(server.base_url, room["tokens"]["host"])
        guest = await NotesClient().connect(server.base_url, shared)
        client = aioredis.from_url(redis_url)
        try:
            for person in (host, guest):
                await person.sync("private")
                for n in range(5):  # compacted on the way: the log is made again
                    assert (await person.type_at(0, f"note {n} ", "private"))["ok"]
            state = await server.services.service.roundtables.state(room_id)
            host_id = state.host
            assert host_id is not None
            stored = await server.services.service.room(room_id)
            assert stored is not None
            ends = stored.expires_at + DEFAULT_GRACE_S
            keys = [k.decode() if isinstance(k, bytes) else k
                    for k in await client.keys(f"*notes:{{{room_id}}}:*")]
            private = [k for k in keys if k.endswith((":meta", ":log"))
                       and f":{host_id}:" not in k and "-shared" not in k]
            assert private, keys
            for key in private:  # the guest's document
                ttl = await client.ttl(key)
                # EXPIREAT takes whole seconds (ceil) and TTL rounds: up to 1.5 s over
                assert 0 < ttl <= ends - time.time() + 2, (key, ttl)
            for key in keys:  # the host's and the shared one stay (read after the session)
                if f":{host_id}:" in key and key.endswith((":meta", ":log")):
                    assert await client.ttl(key) == -1, key
            assert "note 4" in guest.text("private")
        finally:
            await client.aclose()
            await host.close()
            await guest.close()
