"""A node that stalls past its lease (SIGSTOP: a long pause, an overloaded machine) while
its room is placed again elsewhere: once it runs again it tells its connections of that
room `moved`, so the call is not left split across two nodes with no media between them.
Two real nodes on one real redis-server; aiortc callers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
import redis.asyncio as aioredis

from tests.live_server import token_of
from tests.server_process import ServerProcess
from tests.signaling.moving import MovingCaller
from tests.web.test_nodes_three import (
    NODE_SETTINGS,
    callers,  # noqa: F401 (fixture)
    media_flows,
    placements,
)

STALL_S = 4.0  # past the 1.5 s lease of NODE_SETTINGS, bounded


@pytest.fixture
def nodes(redis_url: str) -> Iterator[list[ServerProcess]]:
    with ExitStack() as stack:
        yield [stack.enter_context(ServerProcess(redis_url=redis_url, node_id=f"node{i}",
                                                 **NODE_SETTINGS)) for i in range(2)]


async def test_a_node_back_from_a_stall_moves_its_connections_to_the_rooms_new_node(
        nodes: list[ServerProcess], callers: list[MovingCaller],  # noqa: F811
        raw: aioredis.Redis) -> None:
    entries = [n.base_url for n in nodes]
    room = await nodes[0].create_room()
    mentor, mentee = (MovingCaller(token_of(room["links"][who]), entries, k + 1, media=True)
                      for k, who in enumerate(("mentor", "mentee")))
    callers.extend((mentor, mentee))
    await mentor.enter(entries[0])
    stalled = next(n for n in nodes if n.base_url == mentor.url)
    other = next(n for n in nodes if n is not stalled)
    [first_node] = await placements(raw, [room])

    stalled.pause()
    try:
        await asyncio.sleep(STALL_S / 2)  # its lease lapses
        await mentee.enter(other.base_url)  # the room is placed again, on the other node
        assert mentee.url == other.base_url
        [placed] = await placements(raw, [room])
        assert placed is not None and placed != first_node
        await asyncio.sleep(STALL_S / 2)
    finally:
        stalled.resume()

    # Back: at its next heartbeat it tells the mentor `moved`; the call meets there.
    for _ in range(200):
        if len(mentor.visits) == 2:
            break
        await asyncio.sleep(0.05)
    await mentor.settled(20)
    assert mentor.told_to_move >= 1
    assert mentor.url == mentee.url == other.base_url
    await media_flows((mentor, mentee), 20)
    assert "is placed on node" in stalled.log()
