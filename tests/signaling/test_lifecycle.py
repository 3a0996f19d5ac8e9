"""Connection lifecycle under hostile or unlucky timing: nothing leaks, rooms end."""

from __future__ import annotations

import asyncio
import time

import aiohttp

from rooms.grants import JoinGrant
from rooms.models import Role, Room
from tests.live_server import LiveServer, live_server, token_of

from .client import SignalClient, send_raw_event


async def joined_pair(server: LiveServer, room: dict[str, object]) -> tuple[SignalClient, ...]:
    links = room["links"]
    assert isinstance(links, dict)
    clients = []
    for role in ("mentor", "mentee"):
        client = await SignalClient().connect(server.base_url)
        assert (await client.call("join", {"token": token_of(links[role])}))["ok"]
        clients.append(client)
    return tuple(clients)


async def test_client_sent_connect_and_disconnect_events_are_refused() -> None:
    async with live_server() as server:
        room = await server.create_room("Ada", "Grace")
        mentor, mentee = await joined_pair(server, room)
        try:
            await send_raw_event(mentee, "disconnect")
            await send_raw_event(mentee, "connect", {})
            await send_raw_event(mentee, "disconnect", "client namespace disconnect")
            await asyncio.sleep(1.5)  # longer than the 1 s grace period in tests
            snapshot = await server.services.service.snapshot(room["room_id"])
            assert len(snapshot.participants) == 2
            assert await mentee.call("mute", {"kind": "video", "muted": True}) == {"ok": True}
            event = await mentor.next_event("track_muted")
            assert event["muted"] is True
            assert mentor.events.empty(), "mentor saw an event it should not have"
        finally:
            await mentor.close()
            await mentee.close()


async def test_join_then_close_in_one_polling_request_leaves_no_ghost() -> None:
    async with live_server() as server:
        room = await server.create_room("Ada", "Grace")
        token = token_of(room["links"]["mentee"])
        url = f"{server.base_url}/socket.io/?EIO=4&transport=polling"
        async with aiohttp.ClientSession() as http:
            handshake = await (await http.get(url)).text()
            sid = handshake[handshake.index('"sid":"') + 7 :].split('"', 1)[0]
            await http.post(f"{url}&sid={sid}", data="40")
            await http.get(f"{url}&sid={sid}")
            body = '42["join",{"token":"' + token + '"}]\x1e1'
            await http.post(f"{url}&sid={sid}", data=body)
        namespace = server.services.namespace
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            snapshot = await server.services.service.snapshot(room["room_id"])
            if not snapshot.participants and not namespace.participants.sessions:
                break
            await asyncio.sleep(0.1)
        assert snapshot.participants == []
        assert namespace.participants.sessions == {} and namespace.participants.peer_sids == {}
        assert namespace.connection_count() == 0


async def test_room_ends_on_time_for_everyone() -> None:
    async with live_server() as server:
        services = server.services
        room = Room.coffee("short-room", duration_s=2, now=time.time())
        await services.store.create_room(room)
        clients = []
        for identity, role in (("ada", Role.MENTOR), ("grace", Role.MENTEE)):
            grant = JoinGrant(
                room_id=room.room_id,
                identity=identity,
                display_name=identity,
                role=role,
                publish=True,
                subscribe=True,
            )
            client = await SignalClient().connect(server.base_url)
            ack = await client.call("join", {"token": services.signer.issue(grant, ttl_s=60)})
            assert ack["ok"], ack
            clients.append(client)
        try:
            for client in clients:
                ended = await client.next_event("room_ended", timeout=10)
                assert "over" in ended["message"]
            await asyncio.sleep(0.3)
            assert all(not c.sio.connected for c in clients)
            assert services.namespace.participants.sessions == {}
            snapshot = await services.service.snapshot(room.room_id)
            assert snapshot.participants == []
        finally:
            for client in clients:
                await client.close()
