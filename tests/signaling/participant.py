"""A call participant as the browser client is, driven over real Socket.IO and aiortc."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiortc.mediastreams import MediaStreamTrack

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
    video_size: tuple[int, int] = (640, 360)  # what it encodes and publishes

    async def join(self, token: str) -> dict[str, Any]:
        ack = await self.signal.call("join", {"token": token})
        assert ack["ok"], ack
        self.identity = ack["you"]["identity"]
        return dict(ack["room"])

    async def publish(self) -> None:
        video = MovingVideoTrack(*self.video_size)
        offer = await self.publisher.offer_to_publish(video, ToneAudioTrack())
        ack = await self.signal.call("publish", {"sdp": offer})
        assert ack["ok"], ack
        await self.publisher.accept_answer(ack["sdp"])

    async def subscribe(self, publisher: str) -> None:
        ack = await self.signal.call("subscribe", {"publisher": publisher})
        assert ack["ok"], ack
        await self.answer(ack["subscription_id"], ack["sdp"])

    async def answer(self, subscription_id: str, offer: str) -> None:
        """Answer the server's subscription offer and wait for its audio and video."""
        answer = await self.subscriber.answer_offer(offer)
        done = await self.signal.call(
            "subscription_answer", {"subscription_id": subscription_id, "sdp": answer}
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
