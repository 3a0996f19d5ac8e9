"""aiortc clients for subscribe connections: one per participant, answering the server.

A :class:`SubscriberClient` answers every offer the SFU makes for its participant: the
first from ``open_subscriber`` and later ones from ``set_sources`` or the SFU's
``on_renegotiate`` hook, which :func:`route_renegotiations` routes to the client (it
answers at once, or queues the offer while ``auto_answer`` is off). Every m-line's
remote track is decoded, and what arrives is recorded per ``mid`` (a recycled m-line
keeps its track, so its record spans every publisher it carried). The client routes
every SSRC of an offer to its m-line before answering (see :func:`claim_ssrcs`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiortc import RTCPeerConnection, sdp

from media import Sfu, SubscriberOffer
from media.ice_restart import begin_restart, finish_restart, is_restart_offer
from tests.media.peers import LoopbackPeer, ReceivedMedia, start_consuming


class SubscriberClient:
    """The client side of one participant's subscribe connection."""

    def __init__(self, sfu: Sfu, peer_id: str) -> None:
        self.sfu = sfu
        self.peer_id = peer_id
        self.peer = LoopbackPeer()
        self.auto_answer = True
        self.offers: list[SubscriberOffer] = []  # every offer received, in order
        self.answered: list[int] = []  # versions answered (and accepted)
        self.pending: asyncio.Queue[SubscriberOffer] = asyncio.Queue()
        self.received: dict[str, ReceivedMedia] = {}  # by mid
        self._tasks: list[asyncio.Task[None]] = []
        self._answering = asyncio.Lock()

    async def open(self, sources: Sequence[str]) -> None:
        """Open the subscribe connection and answer its first offer."""
        offer = await self.sfu.open_subscriber(self.peer_id, sources)
        self.offers.append(offer)
        await self.answer(offer)

    async def set_sources(self, sources: Sequence[str]) -> SubscriberOffer | None:
        """Change the sources; answer the offer if one is made now (and auto_answer)."""
        offer = await self.sfu.set_sources(self.peer_id, sources)
        if offer is not None:
            await self.offered(offer)
        return offer

    async def offered(self, offer: SubscriberOffer) -> None:
        """An offer arrived (from a call or the hook): answer it, or queue it."""
        self.offers.append(offer)
        if self.auto_answer:
            await self.answer(offer)
        else:
            self.pending.put_nowait(offer)

    async def answer(self, offer: SubscriberOffer) -> None:
        """Answer ``offer`` and hand the answer to the SFU."""
        async with self._answering:
            # a restart offer (new ICE credentials, same connection): restart ours too
            restart = is_restart_offer(self.peer.pc, offer.sdp)
            if restart:
                await begin_restart(self.peer.pc)
            answer = await self.peer.answer_offer(offer.sdp)
            if restart:
                finish_restart(self.peer.pc)
            claim_ssrcs(self.peer.pc, offer.sdp)
            self._consume_new_tracks()
            await self.sfu.accept_answer(offer.subscription_id, answer, offer.version)
            self.answered.append(offer.version)

    def latest(self) -> SubscriberOffer:
        return self.offers[-1]

    def mid_of(self, publisher_id: str, kind: str) -> str:
        """The m-line carrying ``publisher_id``'s ``kind`` track in the latest offer."""
        return next(
            t.mid for t in self.latest().tracks if t.publisher_id == publisher_id and t.kind == kind
        )

    def media(self, publisher_id: str, kind: str) -> ReceivedMedia:
        """What arrived on the m-line that carries ``publisher_id``'s ``kind`` now."""
        return self.received[self.mid_of(publisher_id, kind)]

    def publishers(self) -> set[str]:
        """The publishers the latest offer carries."""
        return {t.publisher_id for t in self.latest().tracks if t.publisher_id is not None}

    def settled(self, carries: set[str]) -> bool:
        """True once the latest offer carries exactly ``carries`` and was answered."""
        return (
            self.sfu.subscriber_offer(self.peer_id) is None
            and bool(self.answered)
            and self.answered[-1] == self.latest().version
            and self.publishers() == carries
        )

    async def wait_settled(self, carries: set[str], timeout: float = 15.0) -> None:
        """Until :meth:`settled` (the offers are answered automatically meanwhile)."""

        async def poll() -> None:
            while not self.settled(carries):  # noqa: ASYNC110 (state of SFU and client)
                await asyncio.sleep(0.02)

        await asyncio.wait_for(poll(), timeout)

    async def wait_frame(self, mid: str, size: tuple[int, int], timeout: float = 15.0) -> None:
        """Until a video frame of ``size`` arrives on ``mid`` (from now on)."""
        received = self.received[mid]
        seen = len(received.sizes)

        async def poll() -> None:
            while size not in received.sizes[seen:]:  # noqa: ASYNC110 (decoded frames)
                await asyncio.sleep(0.02)

        await asyncio.wait_for(poll(), timeout)

    def _consume_new_tracks(self) -> None:
        for transceiver in self.peer.pc.getTransceivers():
            track = transceiver.receiver.track
            mid = transceiver.mid
            if mid is not None and track is not None and mid not in self.received:
                received, task = start_consuming(track)
                self.received[mid] = received
                self._tasks.append(task)

    async def close(self) -> None:
        await self.peer.close()
        for task in self._tasks:
            task.cancel()


def claim_ssrcs(pc: RTCPeerConnection, offer_sdp: str) -> None:
    """Route every SSRC an offer lists (media and RTX) to its m-line's receiver, now.

    aiortc 1.16's client routes a packet by SSRC only for media SSRCs registered when
    its receiver starts (a task after the answer), never for RTX SSRCs; otherwise by
    payload type when one receiver has it, learning the SSRC for good. With several
    video m-lines on one connection that loses every retransmission (all video
    receivers share the RTX payload type), and a new m-line's first packets can be
    learnt by an older receiver. Browsers route by SSRC, RTX included, and by MID.
    """
    receivers = {t.mid: t.receiver for t in pc.getTransceivers()}
    for media in sdp.SessionDescription.parse(offer_sdp).media:
        receiver = receivers.get(media.rtp.muxId)
        if receiver is None or not media.ssrc:
            continue
        router = receiver.transport._rtp_router
        router.register_receiver(
            receiver,
            ssrcs=[ssrc.ssrc for ssrc in media.ssrc],
            payload_types=[c.payloadType for c in media.rtp.codecs if c.payloadType is not None],
            mid=media.rtp.muxId,
        )


async def drain(sfu: Sfu) -> None:
    """Until the SFU's background work (renegotiations and their hooks) is done."""
    while sfu._tasks:
        await asyncio.gather(*list(sfu._tasks), return_exceptions=True)


def route_renegotiations(sfu: Sfu, clients: dict[str, SubscriberClient]) -> None:
    """Deliver the SFU's ``on_renegotiate`` offers to the clients in ``clients``."""

    async def deliver(peer_id: str, offer: SubscriberOffer) -> None:
        client = clients.get(peer_id)
        if client is not None:
            await client.offered(offer)

    sfu.on_renegotiate = deliver
