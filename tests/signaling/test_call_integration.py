"""Two aiortc clients in one coffee room over Socket.IO: each decodes the other."""

from __future__ import annotations

import asyncio
import time
from itertools import pairwise

from tests.live_server import live_server, token_of
from tests.media.peers import ReceivedMedia

from .client import SignalClient
from .participant import Participant


async def measure_video(received: ReceivedMedia, seconds: float = 3.0) -> tuple[int, float]:
    """Frames decoded over `seconds`, and the longest gap between two of them.

    The source sends 30 fps; the checks below ask for continuous video (a frame count
    and no freeze), not a frame rate measured to the decimal: rates belong in bench/,
    and a loaded machine decodes a little slower without anything being wrong.
    """
    start = time.monotonic()
    await asyncio.sleep(seconds)
    frames = received.frames_between(start, start + seconds)
    assert len(frames) >= 2, f"only {len(frames)} frames in {seconds} s"
    edges = [start, *frames, start + seconds]
    return len(frames), max(b - a for a, b in pairwise(edges))


async def test_two_aiortc_clients_see_and_hear_each_other() -> None:
    async with live_server() as server:
        room = await server.create_room("Ada", "Grace")
        mentor = Participant("Ada", await SignalClient().connect(server.base_url))
        mentee = Participant("Grace", await SignalClient().connect(server.base_url))
        try:
            await mentor.join(token_of(room["links"]["mentor"]))
            await mentor.publish()
            snapshot = await mentee.join(token_of(room["links"]["mentee"]))
            published = [p for p in snapshot["participants"] if p["tracks"]]
            assert [p["identity"] for p in published] == [mentor.identity]
            assert {t["kind"] for t in published[0]["tracks"]} == {"audio", "video"}
            await mentee.subscribe(mentor.identity)
            await mentee.publish()
            event = await mentor.signal.next_event("track_published")
            assert event["identity"] == mentee.identity
            await mentor.subscribe(mentee.identity)

            for who in (mentor, mentee):
                await asyncio.wait_for(who.received["video"].first.wait(), 15)
                await asyncio.wait_for(who.received["audio"].first.wait(), 15)
            results = await asyncio.gather(
                measure_video(mentor.received["video"]), measure_video(mentee.received["video"])
            )
            for frames, gap in results:
                assert frames >= 60 and gap < 0.5, (frames, gap)
            for who in (mentor, mentee):
                assert who.received["video"].sizes[-1] == (640, 360)
                assert max(who.received["audio"].peaks[-50:]) > 1000, "remote audio is silent"

            # A stranger's garbage and a third join do not disturb the call.
            stranger = await SignalClient().connect(server.base_url)
            start = time.monotonic()
            for payload in ({"token": "garbage"}, "x" * 1_000_000, {"token": 5}):
                ack = await stranger.call("join", payload)
                assert ack["ok"] is False
            third = server.services.signer.issue(
                server.services.signer.verify(token_of(room["links"]["mentee"])).model_copy(
                    update={"identity": "third"}
                ),
                ttl_s=60,
            )
            ack = await stranger.call("join", {"token": third})
            assert ack["error"]["code"] == "room_full"
            await stranger.close()
            await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - start)))
            for who in (mentor, mentee):
                frames, gap = await measure_video(who.received["video"], 2.0)
                assert frames >= 30 and gap < 0.5, (who.name, frames, gap)
        finally:
            await mentor.close()
            await mentee.close()
