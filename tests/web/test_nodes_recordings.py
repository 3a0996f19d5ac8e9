"""Recordings and several nodes: a node starting up leaves a recording another live node
is writing alone (its start-up recovery is for its own crashed recordings); a recording
of a killed node does not keep its room from recording on another node, and is
recovered when the killed node comes back; stopped through another node, it waits as
`interrupted` (not deletable) for that recovery."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from tests.live_server import ADMIN_KEY, token_of
from tests.server_process import ServerProcess
from tests.signaling.client import SignalClient
from tests.signaling.test_recording_crash import admin_get
from tests.web.test_nodes_api import get_nodes
from tests.web.test_nodes_breakout import Person
from tests.web.test_nodes_three import NODE_SETTINGS

LAPSE_DEADLINE_S = 15.0  # a bound on waiting for the killed node's lease to lapse


async def test_a_node_starting_leaves_a_live_nodes_recording_alone(
        redis_url: str, tmp_path: Path) -> None:
    # One machine's workers share the recordings folder (mentorcall serve --workers).
    settings: dict[str, Any] = {"redis_url": redis_url, **NODE_SETTINGS,
                                "recordings_dir": tmp_path / "recordings"}
    with ServerProcess(node_id="recording", **settings) as first:
        room = await first.create_room()
        mentor = await SignalClient().connect(first.base_url)
        try:
            assert (await mentor.call("join", {"token": token_of(room["links"]["mentor"])}))["ok"]
            started = await mentor.call("start_recording", {})
            assert started["ok"], started
            with ServerProcess(node_id="starting", **settings) as second:
                listed = await admin_get(second.base_url,
                                         f"/api/recordings?room_id={room['room_id']}")
                assert [r["state"] for r in listed] == ["recording"]
            assert (await mentor.call("stop_recording", {}))["ok"]  # not_recording before
            listed = await admin_get(first.base_url,
                                     f"/api/recordings?room_id={room['room_id']}")
            assert [r["state"] for r in listed] == ["stopped"]
        finally:
            await mentor.close()


async def node_ids(base_url: str) -> set[str]:
    """The live nodes a node lists (GET /api/nodes)."""
    return {node["node_id"] for node in (await get_nodes(base_url, ADMIN_KEY))[1]["nodes"]}


@dataclass
class LostRecording:
    """A recording started on the room's node, which was then killed (its lease lapsed)."""

    settings: dict[str, Any]  # every node's settings (a node brought back too)
    room: dict[str, Any]
    token: str  # the mentor's
    started: dict[str, Any]  # the start_recording ack
    lost_node: str
    kept: ServerProcess  # the live node


@asynccontextmanager
async def killed_while_recording(redis_url: str, tmp_path: Path) -> AsyncIterator[LostRecording]:
    """Two nodes; the mentor records on the room's node, which is then SIGKILLed."""
    settings: dict[str, Any] = {"redis_url": redis_url, **NODE_SETTINGS,
                                "recordings_dir": tmp_path / "recordings"}
    with ExitStack() as processes:
        nodes = {name: processes.enter_context(ServerProcess(node_id=name, **settings))
                 for name in ("node0", "node1")}
        room = await nodes["node0"].create_room()
        token = token_of(room["links"]["mentor"])
        async with AsyncExitStack() as stack:  # the room's node: wherever `moved` leads
            mentor = Person(stack)
            await mentor.join(nodes["node0"].base_url, token)
            started = await mentor.call("start_recording")
            assert started["ok"], started
            lost_node = next(n for n, p in nodes.items() if p.base_url == mentor.url)
        (kept_node,) = set(nodes) - {lost_node}
        nodes[lost_node].kill()
        kept = nodes[kept_node]
        async with asyncio.timeout(LAPSE_DEADLINE_S):  # the killed node's lease lapses
            while lost_node in await node_ids(kept.base_url):  # noqa: ASYNC110
                await asyncio.sleep(0.2)  # (another process's state: polled)
        yield LostRecording(settings, room, token, started, lost_node, kept)


async def test_a_killed_nodes_recording_leaves_the_room_free_and_is_recovered_on_restart(
        redis_url: str, tmp_path: Path) -> None:
    async with killed_while_recording(redis_url, tmp_path) as lost_one:
        kept, room = lost_one.kept, lost_one.room
        async with AsyncExitStack() as stack:
            mentor = Person(stack)
            await mentor.join(kept.base_url, lost_one.token)  # the room is placed there now
            assert mentor.url == kept.base_url
            again = await mentor.call("start_recording")
            assert again["ok"], again  # not already_recording
            path = f"/api/recordings?room_id={room['room_id']}"
            lost = lost_one.started["recording"]["recording_id"]
            new = again["recording"]["recording_id"]
            states = {r["recording_id"]: r["state"] for r in await admin_get(kept.base_url, path)}
            assert states == {lost: "interrupted", new: "recording"}
            # the killed node comes back: its start-up recovery finishes the old one
            with ServerProcess(node_id=lost_one.lost_node, **lost_one.settings) as back:
                states = {r["recording_id"]: r["state"]
                          for r in await admin_get(back.base_url, path)}
                assert states == {lost: "recovered", new: "recording"}
            assert (await mentor.call("stop_recording"))["ok"]


async def admin_delete(base_url: str, path: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.delete(
            f"{base_url}{path}", headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as response:
        return response.status, await response.json()


async def test_stopping_a_killed_nodes_recording_elsewhere_keeps_it_until_recovery(
        redis_url: str, tmp_path: Path) -> None:
    """Stopped on the room's new node, it was `stopped` with no files: the admin could
    delete it while its files stayed on the killed node's disk."""
    async with killed_while_recording(redis_url, tmp_path) as lost_one:
        kept = lost_one.kept
        lost = lost_one.started["recording"]["recording_id"]
        async with AsyncExitStack() as stack:
            mentor = Person(stack)
            await mentor.join(kept.base_url, lost_one.token)
            stopped = await mentor.call("stop_recording")
            assert not stopped["ok"] and stopped["error"]["code"] == "recording_interrupted"
            assert (await admin_get(kept.base_url, f"/api/recordings/{lost}"))["state"] \
                == "interrupted"
            status, body = await admin_delete(kept.base_url, f"/api/recordings/{lost}")
            assert status == 409, body
            with ServerProcess(node_id=lost_one.lost_node, **lost_one.settings) as back:
                recovered = await admin_get(back.base_url, f"/api/recordings/{lost}")
                assert recovered["state"] == "recovered"
                assert any(f["kind"] == "consent" for f in recovered["files"])
