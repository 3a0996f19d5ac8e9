"""A breakout with rooms placed on nodes: the pair room is placed like any room (on the
least loaded node, here not the roundtable's), the pair follows `moved` there from its
roundtable's node and back when the breakout ends (two real nodes, one redis-server)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AsyncExitStack, ExitStack
from typing import Any

import pytest

from tests.server_process import ServerProcess
from tests.signaling.client import SignalClient
from tests.signaling.roundtable import create_roundtable
from tests.web.test_nodes_three import NODE_SETTINGS


@pytest.fixture
def two_nodes(redis_url: str) -> Iterator[list[ServerProcess]]:
    with ExitStack() as stack:
        yield [stack.enter_context(ServerProcess(redis_url=redis_url, node_id=f"node{i}",
                                                 **NODE_SETTINGS)) for i in range(2)]


class Person:
    """A connection that follows `moved` (a fresh connection to the URL given)."""

    def __init__(self, stack: AsyncExitStack) -> None:
        self.stack = stack
        self.signal: SignalClient | None = None
        self.url = ""
        self.moves = 0

    async def join(self, url: str, token: str) -> dict[str, Any]:
        """``join`` with ``token`` on this connection (a new one to ``url`` if there is
        none), following `moved`."""
        for _ in range(3):
            if self.signal is None:
                self.signal = await SignalClient().connect(url)
                self.stack.push_async_callback(self.signal.close)
                self.url = url
            ack: dict[str, Any] = await self.signal.call("join", {"token": token})
            if ack["ok"]:
                return ack
            assert ack["error"]["code"] == "moved", ack
            await self.signal.close()
            self.signal, url = None, ack["error"]["url"]
            self.moves += 1
        raise AssertionError("moved too often")

    async def next_event(self, name: str) -> Any:
        assert self.signal is not None
        return await self.signal.next_event(name)

    async def call(self, event: str, data: Any = None) -> Any:
        assert self.signal is not None
        return await self.signal.call(event, data or {})


async def test_a_pair_room_on_another_node_is_reached_by_moved_and_left_by_moved(
        two_nodes: list[ServerProcess]) -> None:
    one, two = two_nodes
    room = await create_roundtable(one.base_url, [("Ann", "participant"),
                                                  ("Bob", "participant")])
    tokens = room["tokens"]
    async with AsyncExitStack() as stack:
        host, ann, bob = Person(stack), Person(stack), Person(stack)
        await host.join(one.base_url, tokens["host"])
        table = host.url
        ids = {}
        for person, name in ((ann, "Ann"), (bob, "Bob")):
            ids[name] = (await person.join(two.base_url, tokens[name]))["you"]["identity"]
            assert person.url == table  # met on the roundtable's node
        started = await host.call("start_breakout", {
            "minutes": 10, "pairs": [[ids["Ann"], ids["Bob"]]]})
        assert started["ok"], started

        for person in (ann, bob):
            told = await person.next_event("breakout_started")
            ack = await person.join(person.url, told["token"])
            assert ack["room"]["room"]["room_id"] == told["room_id"] != room["room_id"]
            assert person.url != table  # the pair room is on the other node
        assert bob.url == ann.url
        assert {p["identity"] for p in ack["room"]["participants"]} == set(ids.values())

        assert (await host.call("end_breakout"))["ok"]
        for person in (ann, bob):  # told on the pair's node, back to the roundtable's
            told = await person.next_event("breakout_ended")
            ack = await person.join(person.url, told["token"])
            assert ack["room"]["room"]["room_id"] == room["room_id"]
            assert person.url == table
        assert len(ack["room"]["participants"]) == 3
