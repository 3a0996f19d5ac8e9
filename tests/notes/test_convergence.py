"""Convergence: 3 Python clients (pycrdt) and 1 JavaScript client (the real `yjs` and
`y-protocols` under Node) make interleaved random edits through a real server; one of
them goes offline, keeps editing and comes back. All end with identical text holding
every edit exactly once. Hypothesis chooses the edits, their order and who drops out."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.live_server import LiveServer, ThreadedServer
from tests.signaling.roundtable import create_roundtable

from .client import NotesClient, eventually
from .node_client import NodeClient

NODE = 3  # index of the Node client among the four
EDITS = st.lists(st.tuples(st.integers(0, 3), st.integers(0, 400)), min_size=4, max_size=40)


@pytest.fixture(scope="module")
def threaded() -> Iterator[LiveServer]:
    with ThreadedServer() as server:
        yield server


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=EDITS, dropout=st.integers(0, 3), away=st.tuples(st.integers(0, 40),
                                                              st.integers(0, 40)))
@example(edits=[(0, 0), (0, 0), (0, 1), (0, 0)], dropout=0, away=(0, 0))
def test_python_and_yjs_clients_converge(threaded: LiveServer, edits: list[tuple[int, int]],
                                         dropout: int, away: tuple[int, int]) -> None:
    leave_at, back_at = min(away), max(away)

    async def run() -> None:
        table = await create_roundtable(threaded.base_url, [(f"P{i}", "participant")
                                                            for i in range(1, 4)])
        tokens = [table["tokens"][name] for name in ("host", "P1", "P2", "P3")]
        python = [await NotesClient().connect(threaded.base_url, t) for t in tokens[:3]]
        for client in python:
            await client.sync()
        node = await NodeClient.start(threaded.base_url, tokens[NODE])
        clients: list[Any] = [*python, node]
        made: list[str] = []
        try:
            for step, (who, where) in enumerate(edits):
                if step == leave_at:
                    await clients[dropout].go_offline()
                if step == back_at and not clients[dropout].online:
                    await clients[dropout].come_back()
                # one ASCII character per edit: none lands inside another, and indices mean
                # the same to pycrdt (UTF-8 offsets) and yjs (UTF-16)
                mark = chr(0x21 + step)
                made.append(mark)
                ack = await clients[who].type_at(where, mark)
                assert ack is None or ack["ok"], (step, who, ack)
            if not clients[dropout].online:
                await clients[dropout].come_back()
            texts: list[str] = []

            async def settled() -> None:
                texts[:] = [*(c.text() for c in python), await node.read_text()]

            for _ in range(500):
                await settled()
                if len(set(texts)) == 1 and all(m in texts[0] for m in made):
                    break
                await asyncio.sleep(0.02)
            assert len(set(texts)) == 1, texts
            assert all(texts[0].count(mark) == 1 for mark in made), (made, texts[0])
            assert len(texts[0]) == len(made)
        finally:
            for client in python:
                await client.close()
            await node.close()

    asyncio.run(run())


async def test_eventually_can_fail() -> None:
    with pytest.raises(AssertionError):
        await eventually(lambda: False, timeout=0.05)
