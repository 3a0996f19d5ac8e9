"""A new subscriber's video starts at a keyframe: nothing is forwarded to it before one.

Issue 6 section 6: switching the gate off where media/sender.py sets it up passed every
test. Here the publisher ignores keyframe requests (and bitrate changes, which make aiortc's
encoder start over with a keyframe) until the test forces a keyframe, so a
late subscriber sees a stream of delta frames first: with the gate, none of them is
forwarded (the server-side count stays 0 while the publisher's packets keep arriving),
and the first video packet the subscriber gets starts the keyframe it then decodes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiortc.rtp import RTCP_PSFB_PLI, AnyRtcpPacket, RtcpPsfbPacket

from media import Sfu
from media.keyframes import is_keyframe_start
from media.sender import ForwardingSender
from tests.media.peers import (
    LoopbackPeer,
    MovingVideoTrack,
    TappedPacket,
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


async def test_a_new_subscriber_gets_no_video_before_a_keyframe(sfu: Sfu) -> None:
    publisher, viewer = LoopbackPeer(), LoopbackPeer()
    requests: list[int] = []
    try:
        offer = await publisher.offer_to_publish(MovingVideoTrack(320, 180))
        client_sender = publisher.pc.getSenders()[0]
        force_keyframe = client_sender._send_keyframe
        handle_rtcp = client_sender._handle_rtcp_packet

        async def ignore_feedback(packet: AnyRtcpPacket) -> None:
            # PLIs are counted, not obeyed, and REMBs ignored (aiortc's VP8 encoder
            # restarts, with a keyframe, when its target bitrate moves by 10 %)
            if isinstance(packet, RtcpPsfbPacket):
                if packet.fmt == RTCP_PSFB_PLI:
                    requests.append(packet.media_ssrc)
                return
            await handle_rtcp(packet)

        client_sender._handle_rtcp_packet = ignore_feedback  # type: ignore[method-assign]
        await publisher.accept_answer(await sfu.publish("a", offer))
        # the publisher's first (and, for now, only) keyframe is long gone
        await wait_until(lambda: sfu.stats().packets_received > 200, "publisher media")

        taps: list[list[TappedPacket]] = []
        subscription_id = await subscribe_from(
            sfu, "b", "a", viewer, lambda c: taps.append(tap_incoming_rtp(c.pc))
        )
        (sender,) = sfu._subscriptions[subscription_id].senders
        assert isinstance(sender, ForwardingSender)
        await wait_until(lambda: sender.ready, "the subscriber's sender")
        received_then = sfu.stats().packets_received
        await wait_until(lambda: requests, "a keyframe request from the server")
        # delta frames keep arriving from the publisher; none goes to the new subscriber
        await wait_until(lambda: sfu.stats().packets_received > received_then + 60, "deltas")
        assert sender.sr_packet_count == 0
        assert sender.waiting_for_keyframe

        force_keyframe()
        video, _ = start_consuming(viewer.track("video"))
        await asyncio.wait_for(video.first.wait(), 15)
        (tapped,) = taps
        assert tapped, "the subscriber decoded a frame it never received"
        assert is_keyframe_start(tapped[0].payload), "the first packet forwarded is no keyframe"
        assert not sender.waiting_for_keyframe
    finally:
        await publisher.close()
        await viewer.close()
