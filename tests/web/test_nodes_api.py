"""One node in process: `GET /api/nodes`, `moved` for rooms placed elsewhere (with
Redis), the deployment's node origins on the call page and at the Socket.IO door."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
import socketio

from rooms.clock import SystemClock
from rooms.nodes.model import Node
from rooms.nodes.redis_registry import RedisNodeRegistry
from tests.live_server import ADMIN_KEY, live_server, token_of
from tests.signaling.client import SignalClient, join_once

OTHER_URL = "http://127.0.0.1:9"  # another node's URL (nothing listens there)


async def get_nodes(base_url: str, key: str | None) -> tuple[int, dict[str, Any]]:
    headers = {} if key is None else {"Authorization": f"Bearer {key}"}
    async with aiohttp.ClientSession() as http, http.get(f"{base_url}/api/nodes",
                                                         headers=headers) as response:
        return response.status, await response.json()


async def test_the_nodes_api_lists_this_node_to_admins_only() -> None:
    async with live_server(node_id="solo", node_max_rooms=7) as server:
        assert (await get_nodes(server.base_url, None))[0] == 401
        assert (await get_nodes(server.base_url, "not-the-key"))[0] == 401
        status, body = await get_nodes(server.base_url, ADMIN_KEY)
        assert status == 200
        [node] = body["nodes"]
        assert node["node_id"] == "solo" and node["url"] == server.base_url
        assert node["max_rooms"] == 7 and node["draining"] is False
        assert set(node["load"]) == {"rooms", "participants", "published_streams",
                                     "forwarded_streams", "cpu"}


async def test_without_redis_every_room_is_served_here() -> None:
    async with live_server() as server:
        room = await server.create_room()
        assert (await join_once(server.base_url, token_of(room["links"]["mentor"])))["ok"]


async def another_node(redis_url: str, max_rooms: int = 100) -> RedisNodeRegistry:
    """A registry entry for a node that is not this process (its lease renewed here)."""
    registry = RedisNodeRegistry(redis_url, SystemClock())
    await registry.heartbeat(Node("elsewhere", OTHER_URL, max_rooms), 60)
    return registry


async def test_a_join_of_a_room_placed_on_another_node_is_answered_moved(
        redis_url: str, raw: aioredis.Redis) -> None:
    async with live_server(redis_url=redis_url, node_id="here") as server:
        registry = await another_node(redis_url)
        try:
            room = await server.create_room()
            placed = await registry.place(room["room_id"], 1800)
            assert placed is not None and placed.node_id == "elsewhere"
            ack = await join_once(server.base_url, token_of(room["links"]["mentor"]))
            assert ack == {"ok": False, "error": {
                "code": "moved", "url": OTHER_URL,
                "message": "This call is served by another server: reconnect there and "
                           "join again."}}
            # nothing was written for the joiner here
            assert await raw.hlen(f"mentorcall:room:{{{room['room_id']}}}:participants") == 0
        finally:
            await registry.close()


async def test_a_first_join_places_the_room_on_the_least_loaded_node(
        redis_url: str) -> None:
    async with live_server(redis_url=redis_url, node_id="here") as server:
        registry = await another_node(redis_url)
        try:
            rooms = [await server.create_room() for _ in range(2)]
            acks = [await join_once(server.base_url, token_of(room["links"]["mentor"]))
                    for room in rooms]
            # one room each: "elsewhere" sorts before "here" when both are empty
            assert acks[0]["error"]["code"] == "moved" and acks[1]["ok"], acks
            assert [await registry.placement(r["room_id"]) for r in rooms] == [
                "elsewhere", "here"]
        finally:
            await registry.close()


async def test_a_shareable_links_personal_token_goes_with_moved(redis_url: str) -> None:
    async with live_server(redis_url=redis_url, node_id="here") as server:
        registry = await another_node(redis_url)
        try:
            async with aiohttp.ClientSession() as http, http.post(
                    f"{server.base_url}/api/rooms",
                    json={"kind": "roundtable", "host_name": "Hal", "shareable": True},
                    headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as response:
                room = await response.json()
            await registry.place(room["room_id"], 1800)
            ack = await join_once(server.base_url, token_of(room["links"]["shareable"]),
                                  display_name="Kim")
            assert ack["error"]["code"] == "moved" and ack["error"]["url"] == OTHER_URL
            grant = server.services.service.verify(ack["error"]["token"], room["room_id"])
            assert (grant.display_name, grant.shareable) == ("Kim", False)
        finally:
            await registry.close()


async def test_pages_of_the_other_nodes_may_connect_here(redis_url: str) -> None:
    other_origin = "http://127.0.0.1:9"
    async with live_server(redis_url=redis_url, node_heartbeat_s=0.1,
                           node_lease_s=5) as server:
        registry = await another_node(redis_url)
        try:
            keeper = server.services.node.keeper  # type: ignore[union-attr]
            assert keeper is not None
            await keeper.beat()  # reads the live nodes now
            async with aiohttp.ClientSession() as http, http.get(
                    f"{server.base_url}/join") as response:
                csp = response.headers["Content-Security-Policy"]
            connect = next(d.split()[1:] for d in csp.split(";")
                           if d.split()[:1] == ["connect-src"])
            assert {other_origin, "ws://127.0.0.1:9", "'self'"} <= set(connect)
            ok = socketio.AsyncClient(reconnection=False)
            await ok.connect(server.base_url, transports=["websocket"],
                             headers={"Origin": other_origin}, wait_timeout=10)
            await ok.disconnect()
            stranger = socketio.AsyncClient(reconnection=False)
            with pytest.raises(socketio.exceptions.ConnectionError):
                await stranger.connect(server.base_url, transports=["websocket"],
                                       headers={"Origin": "http://127.0.0.1:10"},
                                       wait_timeout=10)
        finally:
            await registry.close()


async def test_a_room_ended_early_gives_its_placement_up(redis_url: str) -> None:
    async with live_server(redis_url=redis_url, node_id="here") as server:
        async with aiohttp.ClientSession() as http, http.post(
                f"{server.base_url}/api/rooms",
                json={"kind": "roundtable", "host_name": "Hal", "shareable": True},
                headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as response:
            room = await response.json()
        node = server.services.node
        assert node is not None and node.keeper is not None
        host = await SignalClient().connect(server.base_url)
        try:
            assert (await host.call("join", {"token": token_of(room["links"]["host"])}))["ok"]
            await node.keeper.beat()
            assert await node.registry.placement(room["room_id"]) == "here"
            assert (await host.call("end_room", {}))["ok"]
            await node.keeper.beat()
            assert await node.registry.placement(room["room_id"]) is None
            assert [n.placed for n in await node.registry.nodes()] == [0]
        finally:
            await host.close()


async def test_no_node_when_every_node_is_full(redis_url: str) -> None:
    async with live_server(redis_url=redis_url, node_id="here", node_max_rooms=1) as server:
        rooms = [await server.create_room() for _ in range(2)]
        acks = [await join_once(server.base_url, token_of(room["links"]["mentor"]))
                for room in rooms]
        assert acks[0]["ok"]
        assert acks[1]["error"]["code"] == "no_node", acks[1]
