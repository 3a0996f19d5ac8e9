"""Late joiners through the SFU: each gets its first video frame, and the publisher sees
few keyframe requests however many join (one request serves every joiner waiting)."""

from __future__ import annotations

import asyncio
import math
import time

from aiortc.rtp import RTCP_PSFB_PLI, AnyRtcpPacket, RtcpPsfbPacket

from media import Sfu
from tests.media.peers import (
    LoopbackPeer,
    MovingVideoTrack,
    ReceivedMedia,
    publish_to,
    start_consuming,
    subscribe_from,
)

AT_ONCE = 5  # joiners subscribing together
ONE_BY_ONE = 3  # then joiners one after another
MAX_PER_S = 5  # KeyframePolicy's defaults per publisher track: 5 a second on average,
BURST = 2  # 2 at once


async def join(sfu: Sfu, name: str, viewers: list[LoopbackPeer]) -> ReceivedMedia:
    viewer = LoopbackPeer()
    viewers.append(viewer)
    await subscribe_from(sfu, name, "a", viewer)
    await asyncio.wait_for(viewer.track_arrived.wait(), 15)
    received, _ = start_consuming(viewer.track("video"))
    await asyncio.wait_for(received.first.wait(), 15)
    return received


async def test_late_joiners_get_a_first_frame_with_bounded_requests_upstream(sfu: Sfu) -> None:
    publisher = LoopbackPeer()
    viewers: list[LoopbackPeer] = []
    plis: list[float] = []
    try:
        await publish_to(sfu, "a", publisher, MovingVideoTrack(320, 180))
        client_sender = publisher.pc.getSenders()[0]
        handle_rtcp = client_sender._handle_rtcp_packet

        async def count_plis(packet: AnyRtcpPacket) -> None:
            if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_PLI:
                plis.append(time.monotonic())
            await handle_rtcp(packet)  # and obey it

        client_sender._handle_rtcp_packet = count_plis  # type: ignore[method-assign]
        await publisher.wait_connected()
        await asyncio.sleep(1.0)  # the publisher's first keyframe is long gone
        started = time.monotonic()

        together = await asyncio.gather(*(join(sfu, f"v{i}", viewers) for i in range(AT_ONCE)))
        one_by_one = [await join(sfu, f"w{i}", viewers) for i in range(ONE_BY_ONE)]
        elapsed = time.monotonic() - started

        for received in [*together, *one_by_one]:
            assert received.sizes[0] == (320, 180)
        # each joiner needed a keyframe; the publisher was asked for few
        assert 1 <= len(plis) <= BURST + MAX_PER_S * math.ceil(elapsed)
        for t in plis:
            assert len([s for s in plis if t <= s < t + 0.95]) <= MAX_PER_S + BURST - 1
    finally:
        await publisher.close()
        for viewer in viewers:
            await viewer.close()
