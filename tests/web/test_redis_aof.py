"""With Redis persistence (AOF, ``appendfsync always``), a Redis killed with SIGKILL and
started again keeps what the servers wrote: rooms with their seats, people and bookings,
notes, and the room's placement on its node. A new server process on it (nothing in
memory) finds them all."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
from pycrdt import Doc, Text

from rooms.clock import ManualClock
from rooms.notes.model import DocKey
from tests.live_server import live_server, token_of
from tests.redis_server import RedisServer
from tests.signaling.client import SignalClient
from tests.web.scheduling.client import ALL_WEEK, T0, Client, wire


def notes_update(text: str) -> bytes:
    """A client's notes edit: ``text`` typed into the shared document."""
    doc: Doc = Doc()
    doc.get("notes", type=Text).insert(0, text)
    return doc.get_update()


async def test_with_aof_rooms_bookings_and_notes_survive_a_killed_redis() -> None:
    clock = ManualClock(T0.timestamp())
    with RedisServer(appendonly=True) as redis:
        async with live_server(clock, redis_url=redis.url) as first, \
                aiohttp.ClientSession() as http:
            api = Client(first, http)
            mentor = await api.register("Ada", "mentor", "Europe/London", ALL_WEEK)
            mentee = await api.register("Kenji", "mentee", "Asia/Tokyo", ALL_WEEK)
            [booking] = await api.booked(mentee, {
                "with": mentor.identity, "start": wire(T0 + timedelta(days=1, hours=3))})
            room = await first.create_room("Ada", "Grace")
            client = await SignalClient().connect(first.base_url)
            ack = await client.call("join", {"token": token_of(room["links"]["mentor"])})
            assert ack["ok"], ack
            await first.services.notes.apply(DocKey(room["room_id"]),
                                             notes_update("Goals: ship the demo"))
            await client.close()
            assert first.services.node is not None
            first_node = first.services.node.node.node_id
            placed = await first.services.node.registry.placement(room["room_id"])
            assert placed == first_node

        redis.restart(hard=True)  # SIGKILL: only what the AOF has on disk comes back

        async with live_server(clock, redis_url=redis.url) as second, \
                aiohttp.ClientSession() as http:
            api = Client(second, http)
            stored = await second.services.store.get_room(room["room_id"])
            assert stored is not None and stored.expires_at == room["expires_at"]
            snapshot = await second.services.store.snapshot(room["room_id"])
            assert [p.identity for p in snapshot.participants] == [ack["you"]["identity"]]
            status, mine = await api.call("GET", "/api/me/bookings", mentee.token)
            assert status == 200, mine
            assert [b["booking_id"] for b in mine] == [booking["booking_id"]]
            status, me = await api.call("GET", "/api/me", mentor.token)
            assert status == 200 and me["identity"] == mentor.identity
            notes = second.services.notes
            assert second.services.node is not None
            assert await second.services.node.registry.placement(room["room_id"]) == first_node
            assert await notes.text(DocKey(room["room_id"])) == "Goals: ship the demo"
            # and it works on: the mentee joins the same room through the new server
            client = await SignalClient().connect(second.base_url)
            try:
                joined = await client.call("join", {"token": token_of(room["links"]["mentee"])})
                assert joined["ok"], joined
                assert len(joined["room"]["participants"]) == 2
            finally:
                await client.close()
