"""Loss on the server -> subscriber leg: the subscriber NACKs, the SFU answers from its cache."""

from __future__ import annotations

import asyncio
import time

from aiortc.rtp import RtpPacket

from media import Sfu
from tests.media.peers import (
    LoopbackPeer,
    MovingVideoTrack,
    TappedPacket,
    drop_incoming_rtp,
    negotiated_payload_types,
    publish_to,
    start_consuming,
    subscribe_from,
    tap_incoming_rtp,
)


async def test_subscriber_recovers_from_loss_through_nacks(sfu: Sfu) -> None:
    publisher, subscriber = LoopbackPeer(), LoopbackPeer()
    losses: list[list[RtpPacket]] = []
    taps: list[list[TappedPacket]] = []
    try:
        await publish_to(sfu, "a", publisher, MovingVideoTrack())

        def lossy(client: LoopbackPeer) -> None:
            video_types = negotiated_payload_types(client.pc, "video")
            taps.append(tap_incoming_rtp(client.pc))
            losses.append(drop_incoming_rtp(client.pc, 0.05, video_types, seed=3))

        await subscribe_from(sfu, "b", "a", subscriber, lossy)
        received, _ = start_consuming(subscriber.track("video"))
        await asyncio.wait_for(received.first.wait(), 15)

        start = time.monotonic()
        await asyncio.sleep(3.0)
        end = time.monotonic()

        frames = received.frames_between(start, end)
        assert len(losses[0]) >= 5, "the test dropped too few packets to mean anything"
        assert len(frames) >= 60, f"{len(frames)} frames decoded under 5 % loss"
        fps = (len(frames) - 1) / (frames[-1] - frames[0])
        assert fps >= 25, f"{fps:.1f} fps under 5 % loss"
        # each lost packet was NACKed and answered (the last few may still be pending)
        answered = sfu.stats().nacks_answered
        assert answered > 0
        assert answered >= len(losses[0]) // 2, (answered, len(losses[0]))

        # the answers are RFC 4588 retransmissions of exactly the lost packets
        video_types = negotiated_payload_types(subscriber.pc, "video")
        retransmitted = {
            (p.payload[0] << 8 | p.payload[1]): p.payload[2:]
            for p in taps[0]
            if p.payload_type not in video_types
        }
        recovered = [p for p in losses[0] if p.sequence_number in retransmitted]
        assert len(recovered) >= len(losses[0]) // 2
        assert all(retransmitted[p.sequence_number] == p.payload for p in recovered)
    finally:
        await publisher.close()
        await subscriber.close()
