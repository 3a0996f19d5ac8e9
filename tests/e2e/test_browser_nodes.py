"""Two Chromium pages and two real nodes on one redis-server: the pages, opened from one
node, follow `moved` to the node serving their room (another origin: CSP and the
Socket.IO origin check let them), and when that node is killed both show the call again
through the node they came from, without a click."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
import redis.asyncio as aioredis

from tests.server_process import ServerProcess
from tests.web.test_nodes_three import NODE_SETTINGS, RESUME_DEADLINE_S, listed_nodes

from .browser import BrowserPage, chromium, open_page
from .test_browser_call import assert_media_flows, join


@pytest.fixture
def entry_and_node(redis_url: str) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    with ExitStack() as stack:
        entry, node = (stack.enter_context(ServerProcess(redis_url=redis_url, node_id=name,
                                                         **NODE_SETTINGS))
                       for name in ("entry", "serving"))
        yield entry, node


async def back_in_call(page: BrowserPage, node: str | None, timeout: float) -> None:
    """Until the page's connection goes to ``node`` (None: its own origin), it is in
    the call and remote video frames decode on its new subscribe connection."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await page.page.evaluate("() => window.mentorcall.node") == node \
                and await page.state() == "in_call" \
                and (await page.remote_stats())["framesDecoded"] > 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{page.name} not back in the call on {node}\n{page.log()}")


async def test_pages_follow_moved_to_the_rooms_node_and_come_back_when_it_is_killed(
        entry_and_node: tuple[ServerProcess, ServerProcess], raw: aioredis.Redis) -> None:
    entry, serving = entry_and_node
    room: dict[str, Any] = await entry.create_room()
    # The room lives on the other node (as if its first join had placed it there).
    await raw.set(f"mentorcall:node:{{nodes}}:room:{room['room_id']}", "serving", ex=3600)
    async with chromium() as browser:
        pages = [await open_page(browser, room["links"][who], who)
                 for who in ("mentor", "mentee")]
        for page in pages:
            await join(page)
        for page in pages:
            await back_in_call(page, serving.base_url, 30)
            await assert_media_flows(page)
        load = {n["node_id"]: n["load"]["participants"] for n in await listed_nodes(
            entry.base_url)}
        assert load.get("entry") == 0

        loop = asyncio.get_running_loop()
        killed_at = loop.time()
        serving.kill()
        await asyncio.gather(*(back_in_call(p, None, RESUME_DEADLINE_S) for p in pages))
        print(f"both pages in the call again {loop.time() - killed_at:.2f} s after the kill")
        for page in pages:
            await assert_media_flows(page)
        placed = await raw.get(f"mentorcall:node:{{nodes}}:room:{room['room_id']}")
        assert placed == "entry"
