"""Deleting a recording with several nodes, each its own recordings folder (review 4,
finding 3): through a node that does not hold its files, DELETE, a link and retention
refuse (409 `recording_elsewhere`, naming the node) instead of dropping the metadata
and leaving the media on the other node's disk; through its node it is deleted."""

from __future__ import annotations

import time
from contextlib import AsyncExitStack

import aiohttp

from rooms.clock import ManualClock
from rooms.models import TrackKind
from rooms.recordings.model import FileKind, Recording, RecordingFile
from rooms.recordings.retention import DAY_S, Retention
from tests.live_server import ADMIN_KEY, LiveServer, live_server
from tests.rooms.recordings.builders import recording
from tests.web.test_nodes_three import NODE_SETTINGS
from web.recordings.setup import RECORDINGS, Recordings

DATA = b"\x1a\x45\xdf\xa3" + bytes(5000)
NAME = "mentor-1.video.001.webm"


def recordings_of(server: LiveServer) -> Recordings:
    return server.app[RECORDINGS]


async def recorded_on(node: LiveServer, rid: str, at: float) -> Recording:
    """A finished recording written by ``node``: its track file in that node's folder."""
    here = recordings_of(node)
    made = recording(rid, f"room-{rid}", at, active=False).model_copy(update={
        "node_id": here.service.node_id,
        "files": [RecordingFile(name=NAME, kind=FileKind.TRACK, size=len(DATA),
                                peer="mentor-1", track_kind=TrackKind.VIDEO)]})
    await here.local.put_bytes(rid, NAME, DATA)
    return await here.store.create(made)


async def test_a_recording_is_deleted_only_through_the_node_holding_its_files(
        clean_redis_url: str) -> None:
    auth = {"Authorization": f"Bearer {ADMIN_KEY}"}
    async with AsyncExitStack() as stack:
        node0, node1 = [await stack.enter_async_context(live_server(
            redis_url=clean_redis_url, node_id=f"node{i}", **NODE_SETTINGS))
            for i in range(2)]
        http = await stack.enter_async_context(aiohttp.ClientSession())
        now = time.time()
        await recorded_on(node0, "rec-a", now - 60)

        response = await http.delete(f"{node1.base_url}/api/recordings/rec-a", headers=auth)
        body = await response.json()
        assert response.status == 409, body
        assert body["error"]["code"] == "recording_elsewhere"
        assert "node0" in body["error"]["message"]
        assert await recordings_of(node1).store.get("rec-a") is not None  # metadata kept
        assert [f.name for f in await recordings_of(node0).local.files("rec-a")] == [NAME]

        response = await http.post(f"{node1.base_url}/api/recordings/rec-a/files/{NAME}/link",
                                   headers=auth)
        assert response.status == 409
        assert (await response.json())["error"]["code"] == "recording_elsewhere"

        response = await http.delete(f"{node0.base_url}/api/recordings/rec-a", headers=auth)
        assert response.status == 200
        assert await response.json() == {"recording_id": "rec-a", "files_deleted": 1}
        assert await recordings_of(node1).store.get("rec-a") is None
        assert await recordings_of(node0).local.files("rec-a") == []

        # retention: the due recording is left to its own node's run
        await recorded_on(node0, "rec-b", now - 3 * DAY_S)
        later = ManualClock(now)
        retained = []
        for node in (node1, node0):
            here = recordings_of(node)
            retained.append(await Retention(here.store, here.storage, 1, later,
                                            here.api.whereabouts).run_once())
        assert retained == [[], ["rec-b"]]
        assert await recordings_of(node0).local.files("rec-b") == []
