"""A participant as the browser client is over one subscribe connection (aiortc).

It publishes pre-encoded audio and video (tests/media/encoded.py: cheap on CPU), and
answers every offer on its one subscribe connection: the first from the ``join`` ack,
later ones from ``subscriber_offer`` events, each answered with ``subscriber_answer``
and its version. What arrives is recorded per ``mid``; the latest offer says which
identity each mid carries (the mapping the browser client uses). SSRCs are claimed
before answering (tests/media/subscribers.py: stock aiortc drops RTX otherwise).
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

from aiortc.mediastreams import MediaStreamTrack

from media.ice_restart import begin_restart, finish_restart, is_restart_offer
from tests.media.encoded import encoded_tracks
from tests.media.peers import LOOPBACK, LoopbackPeer, ReceivedMedia, start_consuming
from tests.media.subscribers import claim_ssrcs

from .client import SignalClient

if TYPE_CHECKING:
    from tests.live_server import LiveServer


class SubscribingParticipant:
    """One signaling connection, one publish and one subscribe connection."""

    def __init__(self, signal: SignalClient, seed: int = 1,
                 addresses: tuple[str, ...] = LOOPBACK) -> None:
        self.signal = signal
        self.seed = seed
        self.identity = ""
        self.addresses = addresses  # where its peer connections gather host candidates
        self.publisher = LoopbackPeer(addresses)
        self.subscriber = LoopbackPeer(addresses)
        self.subscription_id = ""
        self.offers: list[dict[str, Any]] = []
        self.answered: list[int] = []
        self.answer_acks: list[dict[str, Any]] = []
        self.received: dict[str, ReceivedMedia] = {}  # by mid
        self.auto_answer = True
        self.video_fps = 30  # what it publishes (a room of many in one process: fewer)
        self.closed = False
        self._tasks: list[asyncio.Task[None]] = []
        self._answering = asyncio.Lock()
        signal.sio.on("subscriber_offer", self._offered)

    @property
    def size(self) -> tuple[int, int]:
        """The size of the video it publishes (tells publishers apart)."""
        return (128 + 32 * self.seed, 96)

    async def join(self, token: str) -> dict[str, Any]:
        ack = await self.signal.call("join", {"token": token})
        assert ack["ok"], ack
        self.identity = ack["you"]["identity"]
        if ack.get("subscriber_offer"):
            await self._offered(ack["subscriber_offer"])
        return dict(ack)

    async def publish(self, audio: MediaStreamTrack | None = None) -> None:
        """Publish pre-encoded video and audio (or ``audio``, e.g. a SwitchableTone:
        pre-encoded packets carry no RFC 6464 level, so only such audio can speak)."""
        width, height = self.size
        tracks: list[MediaStreamTrack] = [
            *encoded_tracks(width, height, self.seed, 300.0 + 50 * self.seed, self.video_fps)]
        if audio is not None:
            tracks[0] = audio
        offer = await self.publisher.offer_to_publish(*tracks)
        ack = await self.signal.call("publish", {"sdp": offer})
        assert ack["ok"], ack
        await self.publisher.accept_answer(ack["sdp"])

    async def restart_publish_ice(self) -> None:
        """Restart ICE on the publish connection (the browser's ``restartIce``): an offer
        with new credentials on the same connection, the server restarts its side."""
        await begin_restart(self.publisher.pc)
        offer = await self.publisher._apply_local(await self.publisher.pc.createOffer())
        ack = await self.signal.call("publish", {"sdp": offer})
        assert ack["ok"], ack
        await self.publisher.accept_answer(ack["sdp"])
        finish_restart(self.publisher.pc)

    def take_media_of(self, other: SubscribingParticipant) -> None:
        """Carry on with ``other``'s peer connections (a resume that restarts ICE)."""
        self.publisher, self.subscriber = other.publisher, other.subscriber
        self.subscription_id, self.answered = other.subscription_id, other.answered
        self.offers, self.received, self._tasks = other.offers, other.received, other._tasks

    async def offered(self, offer: dict[str, Any]) -> None:
        """Take an offer from outside the event handler (a `join` ack's)."""
        await self._offered(offer)

    async def _offered(self, offer: dict[str, Any]) -> None:
        if self.closed:
            return
        self._remember(offer)
        if self.auto_answer:
            await self.answer(offer)

    def _remember(self, offer: dict[str, Any]) -> None:
        """Keep ``offers`` in version order: the join ack's offer can be handled after a
        ``subscriber_offer`` event that followed it on the wire."""
        index = len(self.offers)
        while index > 0 and self.offers[index - 1]["subscription_id"] == offer[
                "subscription_id"] and self.offers[index - 1]["version"] > offer["version"]:
            index -= 1
        self.offers.insert(index, offer)

    async def answer(self, offer: dict[str, Any]) -> dict[str, Any]:
        async with self._answering:
            if (offer["subscription_id"] == self.subscription_id and self.answered
                    and offer["version"] <= self.answered[-1]):
                return {"ok": True, "stale": True}  # a newer offer was answered already
            if offer["subscription_id"] != self.subscription_id:  # a fresh connection
                if self.subscription_id:
                    await self.subscriber.close()
                    self.subscriber = LoopbackPeer(self.addresses)
                    self.received = {}
                self.subscription_id = offer["subscription_id"]
            # the server's ICE restart offer (new credentials, same connection): restart
            # ours too before applying it (media/ice_restart.py), as a browser does
            restart = is_restart_offer(self.subscriber.pc, offer["sdp"])
            if restart:
                await begin_restart(self.subscriber.pc)
            answer = await self.subscriber.answer_offer(offer["sdp"])
            if restart:
                finish_restart(self.subscriber.pc)
            claim_ssrcs(self.subscriber.pc, offer["sdp"])
            self._consume_new_tracks()
            ack = await self.signal.call("subscriber_answer", {
                "subscription_id": offer["subscription_id"],
                "version": offer["version"],
                "sdp": answer,
            })
            self.answer_acks.append(ack)
            if ack.get("ok"):
                self.answered.append(offer["version"])
            return dict(ack)

    def _consume_new_tracks(self) -> None:
        for transceiver in self.subscriber.pc.getTransceivers():
            track = transceiver.receiver.track
            mid = transceiver.mid
            if mid is not None and track is not None and mid not in self.received:
                received, task = start_consuming(track)
                self.received[mid] = received
                self._tasks.append(task)

    def carried(self) -> set[str]:
        """The identities the latest offer carries."""
        if not self.offers:
            return set()
        return {t["identity"] for t in self.offers[-1]["tracks"] if t["identity"]}

    def mid_of(self, identity: str, kind: str) -> str:
        return next(
            t["mid"] for t in self.offers[-1]["tracks"]
            if t["identity"] == identity and t["kind"] == kind
        )

    def media(self, identity: str, kind: str) -> ReceivedMedia:
        return self.received[self.mid_of(identity, kind)]

    async def wait_carrying(self, identities: set[str], timeout: float = 20.0) -> None:
        """Until the latest offer carries exactly ``identities`` and is answered."""

        async def poll() -> None:
            while not (  # noqa: ASYNC110 (offers arrive as events)
                self.carried() == identities
                and self.answered
                and self.answered[-1] == self.offers[-1]["version"]
            ):
                await asyncio.sleep(0.02)

        await asyncio.wait_for(poll(), timeout)

    async def wait_media_from(self, other: SubscribingParticipant, timeout: float = 20.0) -> None:
        """Until new video frames of ``other``'s size and audio with energy arrive on the
        mids that carry ``other`` now."""
        video = self.media(other.identity, "video")
        audio = self.media(other.identity, "audio")
        seen_video, seen_audio = len(video.sizes), len(audio.peaks)

        async def poll() -> None:
            while (  # noqa: ASYNC110 (decoded frames)
                video.sizes[seen_video:].count(other.size) < 5
                or max(audio.peaks[seen_audio:], default=0) < 1000
            ):
                await asyncio.sleep(0.05)

        await asyncio.wait_for(poll(), timeout)

    async def close(self) -> None:
        self.closed = True
        for task in self._tasks:
            task.cancel()
        await self.publisher.close()
        await self.subscriber.close()
        await self.signal.close()


async def connect(server: LiveServer, stack: AsyncExitStack,
                  seed: int) -> SubscribingParticipant:
    """A participant connected to ``server``, closed when ``stack`` unwinds."""
    who = SubscribingParticipant(await SignalClient().connect(server.base_url), seed)
    stack.push_async_callback(who.close)
    return who
