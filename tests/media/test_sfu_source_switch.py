"""A subscriber's one video track switches from publisher A to B without renegotiation.

The server moves the subscriber's sender from A's fan-out to B's
(``ForwardingSender.switch_source``): the subscriber keeps one video track and one
SSRC, its sequence numbers run on without a gap, its timestamps keep increasing, B is
asked for a keyframe, and the subscriber's decoder goes on from A's frames (320x180) to
B's (640x360).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable

from aiortc.rtp import RTCP_PSFB_PLI, AnyRtcpPacket, RtcpPsfbPacket

from media import Sfu
from media.sender import ForwardingSender
from tests.media.peers import (
    LoopbackPeer,
    MovingVideoTrack,
    TappedPacket,
    publish_to,
    start_consuming,
    subscribe_from,
    tap_incoming_rtp,
)


async def wait_until(predicate: Callable[[], object], what: str, timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, f"no {what} within {timeout} s"
        await asyncio.sleep(0.02)


def count_plis(peer: LoopbackPeer) -> list[int]:
    plis: list[int] = []
    sender = peer.pc.getSenders()[0]
    handle = sender._handle_rtcp_packet

    async def counting(packet: AnyRtcpPacket) -> None:
        if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_PLI:
            plis.append(packet.media_ssrc)
        await handle(packet)

    sender._handle_rtcp_packet = counting  # type: ignore[method-assign]
    return plis


async def test_a_video_track_switches_publisher_and_keeps_decoding(sfu: Sfu) -> None:
    a, b, viewer = LoopbackPeer(), LoopbackPeer(), LoopbackPeer()
    try:
        await publish_to(sfu, "a", a, MovingVideoTrack(320, 180, seed=1))
        await publish_to(sfu, "b", b, MovingVideoTrack(640, 360, seed=2))
        plis_at_b = count_plis(b)
        taps: list[list[TappedPacket]] = []
        subscription_id = await subscribe_from(
            sfu, "viewer", "a", viewer, lambda c: taps.append(tap_incoming_rtp(c.pc))
        )
        (tapped,) = taps
        await asyncio.wait_for(viewer.track_arrived.wait(), 15)
        received, _ = start_consuming(viewer.track("video"))
        await wait_until(lambda: len(received.sizes) >= 30, "frames from a")
        assert set(received.sizes) == {(320, 180)}

        (sender,) = sfu._subscriptions[subscription_id].senders
        assert isinstance(sender, ForwardingSender)
        before = len(tapped)
        plis_before = len(plis_at_b)
        sender.switch_source(sfu._fanouts["b"]["video-0"])
        await wait_until(lambda: received.sizes[-1] == (640, 360), "a frame from b")
        frames_from_b = len(received.sizes)
        await wait_until(lambda: len(received.sizes) >= frames_from_b + 30, "frames from b")

        # one track, never renegotiated; b was asked for a keyframe
        assert len(viewer.tracks) == 1
        assert viewer.pc.signalingState == "stable"
        assert len(plis_at_b) > plis_before
        # after the switch, only b's frames
        first_b = received.sizes.index((640, 360))
        assert set(received.sizes[first_b:]) == {(640, 360)}
        # the subscriber's stream is one stream: same SSRC, no gap, time moves forward
        packets = [p for p in tapped if p.payload_type == tapped[0].payload_type]
        assert len({p.ssrc for p in packets}) == 1
        around = packets[before - 5 :]
        for previous, packet in itertools.pairwise(around):
            assert (packet.sequence_number - previous.sequence_number) & 0xFFFF == 1
            assert (packet.timestamp - previous.timestamp) & 0xFFFFFFFF < 0x80000000
        # a stops being forwarded to the viewer: only b's fan-out has its sender
        assert sender not in sfu._fanouts["a"]["video-0"].senders
        assert sender in sfu._fanouts["b"]["video-0"].senders
    finally:
        for peer in (a, b, viewer):
            await peer.close()
