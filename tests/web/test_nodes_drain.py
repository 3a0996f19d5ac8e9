"""Draining: SIGTERM to a real node with live calls moves them to the other nodes (the
clients follow the `moved` event and publish again there), and the node exits."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
import redis.asyncio as aioredis

from tests.live_server import token_of
from tests.server_process import ServerProcess
from tests.signaling.client import SignalClient
from tests.signaling.moving import MovingCaller
from tests.web.test_nodes_three import (
    NODE_SETTINGS,
    callers,  # noqa: F401 (fixture)
    listed_nodes,
    media_flows,
    placements,
    roster,
)

ROOMS = 4


@pytest.fixture
def nodes(redis_url: str) -> Iterator[list[ServerProcess]]:
    with ExitStack() as stack:
        yield [stack.enter_context(ServerProcess(redis_url=redis_url, node_id=f"node{i}",
                                                 drain_deadline_s=20, **NODE_SETTINGS))
               for i in range(3)]


async def test_sigterm_moves_a_nodes_calls_to_the_other_nodes_and_the_node_exits(
        nodes: list[ServerProcess], callers: list[MovingCaller],  # noqa: F811
        raw: aioredis.Redis) -> None:
    entries = [n.base_url for n in nodes]
    rooms = [await nodes[0].create_room() for _ in range(ROOMS)]
    pairs = []
    for i, room in enumerate(rooms):
        pair = tuple(MovingCaller(token_of(room["links"][who]), entries, 2 * i + k + 1,
                                  media=False) for k, who in enumerate(("mentor", "mentee")))
        callers.extend(pair)
        for caller in pair:
            await caller.enter(entries[i % 3])
        pairs.append(pair)
    placed = await placements(raw, rooms)
    draining = placed[0]
    victim = next(n for n in nodes if n.base_url == pairs[0][0].url)
    moving = [i for i, node_id in enumerate(placed) if node_id == draining]
    for i in moving:
        for caller in pairs[i]:
            await caller.start_media()
    await asyncio.gather(*(media_flows((pairs[i][0], pairs[i][1]), 20) for i in moving))

    victim.send_sigterm()
    code = await asyncio.to_thread(victim.wait_exit, 30)
    assert code == 0, victim.log()[-4000:]  # drained, then stopped

    for i in moving:  # each call continues on another node, on fresh media connections
        await asyncio.gather(*(c.settled(20) for c in pairs[i]))
        assert [len(c.visits) for c in pairs[i]] == [2, 2]
        assert [c.told_to_move for c in pairs[i]] == [1, 1]  # by the node, not by its loss
        assert pairs[i][0].url == pairs[i][1].url != victim.base_url
    await asyncio.gather(*(media_flows((pairs[i][0], pairs[i][1]), 20) for i in moving))
    survivor = nodes[1] if victim is nodes[0] else nodes[0]
    live = {n["node_id"]: n["url"] for n in await listed_nodes(survivor.base_url)}
    assert draining not in live and len(live) == 2  # it left the registry
    for i, (room, node_id) in enumerate(zip(rooms, await placements(raw, rooms), strict=True)):
        assert node_id in live
        if i not in moving:
            assert node_id == placed[i] and [len(c.visits) for c in pairs[i]] == [1, 1]
        assert await roster(raw, room) == {c.identity for c in pairs[i]}


async def test_a_node_that_cannot_move_its_calls_stops_at_the_drain_deadline(
        redis_url: str) -> None:
    """Nowhere to move (the only node): it keeps the call until the deadline, then
    closes the connection and exits (it waited about 10 s more for the open WebSocket
    before)."""
    with ServerProcess(redis_url=redis_url, drain_deadline_s=1, **NODE_SETTINGS) as node:
        room = await node.create_room()
        client = await SignalClient().connect(node.base_url)
        try:
            assert (await client.call("join", {"token": token_of(room["links"]["mentor"])}))["ok"]
            node.send_sigterm()
            code = await asyncio.to_thread(node.wait_exit, 1 + 7)  # 1 + 10 before
            assert code == 0, node.log()[-4000:]
            await asyncio.sleep(0.5)
            assert not client.sio.connected
        finally:
            await client.close()
