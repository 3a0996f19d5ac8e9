"""Two aiortc clients in one coffee room over Socket.IO: each decodes the other."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from aiortc.mediastreams import MediaStreamTrack

from tests.live_server import live_server, token_of
from tests.media.peers import (
    LoopbackPeer,
    MovingVideoTrack,
    ReceivedMedia,
    ToneAudioTrack,
    start_consuming,
)

from .client import SignalClient


@dataclass
class Participant:
    """A client as the browser is: one signaling connection, a publish peer, subscriptions."""

    name: str
    signal: SignalClient
    publisher: LoopbackPeer = field(default_factory=LoopbackPeer)
    subscriber: LoopbackPeer = field(default_factory=LoopbackPeer)
    received: dict[str, ReceivedMedia] = field(default_factory=dict)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    identity: str = ""

    async def join(self, token: str) -> dict[str, Any]:
        ack = await self.signal.call("join", {"token": token})
        assert ack["ok"], ack
        self.identity = ack["you"]["identity"]
        return dict(ack["room"])

    async def publish(self) -> None:
        offer = await self.publisher.offer_to_publish(MovingVideoTrack(), ToneAudioTrack())
        ack = await self.signal.call("publish", {"sdp": offer})
        assert ack["ok"], ack
        await self.publisher.accept_answer(ack["sdp"])

    async def subscribe(self, publisher: str) -> None:
        ack = await self.signal.call("subscribe", {"publisher": publisher})
        assert ack["ok"], ack
        answer = await self.subscriber.answer_offer(ack["sdp"])
        done = await self.signal.call(
            "subscription_answer", {"subscription_id": ack["subscription_id"], "sdp": answer}
        )
        assert done == {"ok": True}
        await asyncio.wait_for(self._both_tracks(), 15)

    async def _both_tracks(self) -> None:
        while {t.kind for t in self.subscriber.tracks} != {"audio", "video"}:
            await self.subscriber.track_arrived.wait()
            self.subscriber.track_arrived.clear()
        for track in self.subscriber.tracks:
            self.consume(track)

    def consume(self, track: MediaStreamTrack) -> None:
        received, task = start_consuming(track)
        self.received[track.kind] = received
        self.tasks.append(task)

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await self.publisher.close()
        await self.subscriber.close()
        await self.signal.close()


async def measure_video(received: ReceivedMedia, seconds: float = 3.0) -> tuple[int, float]:
    """Frames decoded over `seconds`, and their rate from first to last arrival."""
    start = time.monotonic()
    await asyncio.sleep(seconds)
    frames = received.frames_between(start, start + seconds)
    assert len(frames) >= 2, f"only {len(frames)} frames in {seconds} s"
    return len(frames), (len(frames) - 1) / (frames[-1] - frames[0])


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
            for frames, fps in results:
                assert frames >= 60 and fps >= 25, (frames, fps)
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
                frames, fps = await measure_video(who.received["video"], 2.0)
                assert fps >= 25, (who.name, frames, fps)
        finally:
            await mentor.close()
            await mentee.close()
