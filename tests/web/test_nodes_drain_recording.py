"""Draining a node whose room is being recorded (review 4, finding 4): the recording
cannot follow the call to its new node, so it is stopped and filed on the draining node,
and the room is told why (`recording_error` `recording_node_drained`) before `moved`."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

from rooms.recordings.model import FileKind, Recording, RecordingState
from tests.live_server import LiveServer, live_server, token_of
from tests.web.test_nodes_breakout import Person
from tests.web.test_nodes_three import NODE_SETTINGS
from web.app import SERVICES
from web.recordings.setup import RECORDINGS

FILED_DEADLINE_S = 20.0  # a bound on the background filing


async def filed(server: LiveServer, recording_id: str) -> Recording:
    """The recording once its consent log is registered (filed in the background)."""
    store = server.app[RECORDINGS].store
    async with asyncio.timeout(FILED_DEADLINE_S):
        while True:
            found = await store.get(recording_id)
            if found is not None and any(f.kind is FileKind.CONSENT for f in found.files):
                return found
            await asyncio.sleep(0.1)


async def test_draining_stops_and_files_the_recording_and_tells_the_room(
        clean_redis_url: str) -> None:
    async with AsyncExitStack() as stack:
        nodes = [await stack.enter_async_context(live_server(
            redis_url=clean_redis_url, node_id=f"node{i}", **NODE_SETTINGS))
            for i in range(2)]
        room = await nodes[0].create_room("Ada", "Grace")
        mentor, mentee = Person(stack), Person(stack)
        await mentor.join(nodes[0].base_url, token_of(room["links"]["mentor"]))
        await mentee.join(mentor.url, token_of(room["links"]["mentee"]))
        started = await mentor.call("start_recording")
        assert started["ok"], started
        assert (await mentee.call("recording_consent", {"accepted": True}))["ok"]
        rid = started["recording"]["recording_id"]
        here = next(n for n in nodes if n.base_url == mentor.url)
        keeper = here.app[SERVICES].node.keeper  # type: ignore[union-attr]
        assert keeper is not None

        moved: list[dict[str, str]] = []
        for person in (mentor, mentee):
            assert person.signal is not None
            person.signal.sio.on("moved", moved.append)
        assert not await keeper.drain(0.5)  # (these clients do not follow `moved`)

        for person in (mentor, mentee):
            error = await person.next_event("recording_error")
            assert error["code"] == "recording_node_drained"
            assert "moved to another server" in error["message"]
            assert (await person.next_event("recording_state")) == {"recording": False}
        assert moved and {m["reason"] for m in moved} == {"draining"}
        recording = await filed(here, rid)
        assert recording.state is RecordingState.STOPPED
        assert recording.stopped_at is not None
        assert [e.decision.value for e in recording.consent] == ["accepted", "accepted"]
