"""Recordings and several nodes: a node starting up leaves a recording another live node
is writing alone (its start-up recovery is for its own crashed recordings)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.live_server import token_of
from tests.server_process import ServerProcess
from tests.signaling.client import SignalClient
from tests.signaling.test_recording_crash import admin_get
from tests.web.test_nodes_three import NODE_SETTINGS


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
