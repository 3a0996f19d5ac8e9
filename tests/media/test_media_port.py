"""What a datagram at a connection's ICE port can do to the call: nothing.

Issue 6 section 2: one 1,600-byte datagram starting 0x80 0xc8 (an RTCP sender report
header) sent to a publisher's or a subscriber's server port used to close the
transport (pylibsrtp refuses it with ValueError, which escaped aiortc's receive loop).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from media import Sfu
from tests.media.ports import Call, ForeignSender, local_addr, send_from_peer, start_call

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
