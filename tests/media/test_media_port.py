"""What a datagram at a connection's ICE port can do to the call: nothing.

Issue 6 section 2: one 1,600-byte datagram starting 0x80 0xc8 (an RTCP sender report
header) sent to a publisher's or a subscriber's server port used to close the
transport (pylibsrtp refuses it with ValueError, which escaped aiortc's receive loop).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from media import Sfu
from media.admission import EXTRA_SSRCS
from tests.media.ports import (
    Call,
    ForeignSender,
    authenticated_rtcp,
    authenticated_rtp,
    local_addr,
    send_all,
    send_from_peer,
    srtp_state_for,
    start_call,
)

KILLER = bytes([0x80, 0xC8]) + bytes(1598)  # 1,600 bytes, RTCP sender report type


@pytest.fixture
async def call(sfu: Sfu) -> AsyncIterator[Call]:
    started = await start_call(sfu)
    yield started
    await started.close()


async def test_an_oversized_rtcp_datagram_from_anywhere_stops_nothing(call: Call) -> None:
    foreign = ForeignSender()
    try:
        for pc in (call.server_publisher_pc, call.server_subscriber_pc):
            foreign.send(KILLER, local_addr(pc))
        # and from the peers' own (ICE-selected) addresses
        send_from_peer(call.publisher.pc, KILLER)
        send_from_peer(call.subscriber.pc, KILLER)
        await call.frames_keep_arriving()
        call.assert_connected()
    finally:
        foreign.close()


FLOOD = 10_000


async def test_an_ssrc_flood_creates_no_srtp_state(call: Call) -> None:
    """Authenticated packets (the peer holds the keys) with a new SSRC each: libsrtp gets
    at most EXTRA_SSRCS of them; media keeps flowing; leaving frees the state."""
    publisher_pc, subscriber_pc = call.server_publisher_pc, call.server_subscriber_pc
    publisher_rx = publisher_pc.getTransceivers()[0].receiver.transport._rx_srtp
    subscriber_rx = subscriber_pc.getTransceivers()[0].receiver.transport._rx_srtp
    video_type = call.publisher.pc.getTransceivers()[0]._codecs[0].payloadType
    assert video_type is not None
    rtp_ssrcs = range(0x10000000, 0x10000000 + FLOOD)
    rtcp_ssrcs = range(0x20000000, 0x20000000 + FLOOD // 4)

    await send_all(call.publisher.pc, authenticated_rtp(call.publisher.pc, rtp_ssrcs, video_type))
    await send_all(call.subscriber.pc, authenticated_rtcp(call.subscriber.pc, rtcp_ssrcs))
    await call.frames_keep_arriving()
    call.assert_connected()

    assert srtp_state_for(publisher_rx, rtp_ssrcs) <= EXTRA_SSRCS
    assert srtp_state_for(subscriber_rx, rtcp_ssrcs) <= EXTRA_SSRCS
    refused = call.sfu.ingress_stats().ssrc_refused
    assert refused >= (FLOOD + FLOOD // 4) // 2  # (loopback may lose a few datagrams)

    # leaving frees what the connections had: the publisher's own stream included
    publisher_ssrc = call.publisher.pc.getSenders()[0]._ssrc
    await call.sfu.remove_peer("pub")
    assert srtp_state_for(publisher_rx, [publisher_ssrc]) == 0
