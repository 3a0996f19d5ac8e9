"""Raw datagrams at an SFU connection's ICE port, from a foreign socket or the peer's own.

For the media-port tests: a call through the Sfu with one video publisher and one
subscriber (real aiortc clients on 127.0.0.1), the server-side sockets of both legs,
and ways to send arbitrary bytes to them.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from typing import Any

from aiortc import RTCPeerConnection

from media import Sfu
from media.peer import ForwardingPeerConnection
from tests.media.peers import (
    LoopbackPeer,
    MovingVideoTrack,
    ReceivedMedia,
    publish_to,
    start_consuming,
    subscribe_from,
)


def ice_connection(pc: RTCPeerConnection) -> Any:
    """The aioice Connection of ``pc``'s (bundled) transport."""
    transceiver = pc.getTransceivers()[0]
    return transceiver.receiver.transport.transport.iceGatherer._connection


def selected_pair(pc: RTCPeerConnection) -> Any:
    pair = ice_connection(pc)._nominated.get(1)
    assert pair is not None, "ICE has not selected a pair"
    return pair


def local_addr(pc: RTCPeerConnection) -> tuple[str, int]:
    """The address ``pc``'s selected pair receives on."""
    sockname = selected_pair(pc).protocol.transport.get_extra_info("sockname")
    return (sockname[0], sockname[1])


def send_from_peer(pc: RTCPeerConnection, data: bytes) -> None:
    """Send ``data`` from ``pc``'s own ICE socket to its selected remote address."""
    pair = selected_pair(pc)
    pair.protocol.transport.sendto(data, pair.remote_addr)


class ForeignSender:
    """A UDP socket on 127.0.0.1 that is no ICE candidate of anybody."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))

    def send(self, data: bytes, addr: tuple[str, int]) -> None:
        self.sock.sendto(data, addr)

    def close(self) -> None:
        self.sock.close()


@dataclass
class Call:
    """One publisher ("pub") of video, one subscriber ("sub") decoding it."""

    sfu: Sfu
    publisher: LoopbackPeer
    subscriber: LoopbackPeer
    subscription_id: str
    video: ReceivedMedia
    consumer: asyncio.Task[None]

    @property
    def server_publisher_pc(self) -> ForwardingPeerConnection:
        return self.sfu._publications["pub"].pc

    @property
    def server_subscriber_pc(self) -> ForwardingPeerConnection:
        return self.sfu._subscriptions[self.subscription_id].pc

    async def frames_keep_arriving(self, count: int = 30, timeout: float = 15.0) -> None:
        """Wait until ``count`` more frames were decoded (fails after ``timeout``)."""
        target = len(self.video.times) + count
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while len(self.video.times) < target:
            assert loop.time() < deadline, (
                f"video stopped: {len(self.video.times)} of {target} frames "
                f"(server legs: {self.server_publisher_pc.connectionState}, "
                f"{self.server_subscriber_pc.connectionState})"
            )
            await asyncio.sleep(0.05)

    def assert_connected(self) -> None:
        for pc in (self.server_publisher_pc, self.server_subscriber_pc):
            assert pc.connectionState == "connected"
            for transceiver in pc.getTransceivers():
                assert transceiver.receiver.transport.state == "connected"

    async def close(self) -> None:
        self.consumer.cancel()
        await self.publisher.close()
        await self.subscriber.close()


async def start_call(sfu: Sfu, width: int = 320, height: int = 180) -> Call:
    """Publish small video as "pub", subscribe "sub" to it, wait for the first frame."""
    publisher, subscriber = LoopbackPeer(), LoopbackPeer()
    await publish_to(sfu, "pub", publisher, MovingVideoTrack(width, height))
    subscription_id = await subscribe_from(sfu, "sub", "pub", subscriber)
    video, consumer = start_consuming(subscriber.track("video"))
    call = Call(sfu, publisher, subscriber, subscription_id, video, consumer)
    try:
        await asyncio.wait_for(video.first.wait(), 15)
        await publisher.wait_connected()
        await subscriber.wait_connected()
    except BaseException:
        await call.close()
        raise
    return call


def client_srtp(pc: RTCPeerConnection) -> Any:
    """The SRTP session ``pc`` protects what it sends with (the server can unprotect it)."""
    return pc.getTransceivers()[0].sender.transport._tx_srtp


def authenticated_rtp(pc: RTCPeerConnection, ssrcs: range, payload_type: int) -> list[bytes]:
    """One SRTP packet per SSRC, protected with ``pc``'s keys (``pc`` keeps no state)."""
    session = client_srtp(pc)
    packets = []
    for index, ssrc in enumerate(ssrcs):
        header = bytes((0x80, payload_type)) + (index & 0xFFFF).to_bytes(2, "big")
        header += (index * 3000 & 0xFFFFFFFF).to_bytes(4, "big") + ssrc.to_bytes(4, "big")
        packets.append(session.protect(header + bytes(40)))
        session.remove_stream(ssrc)
    return packets


def authenticated_rtcp(pc: RTCPeerConnection, ssrcs: range) -> list[bytes]:
    """One SRTCP receiver report (no blocks) per sender SSRC, with ``pc``'s keys."""
    session = client_srtp(pc)
    packets = []
    for ssrc in ssrcs:
        packets.append(session.protect_rtcp(bytes((0x80, 201, 0, 1)) + ssrc.to_bytes(4, "big")))
        session.remove_stream(ssrc)
    return packets


async def send_all(pc: RTCPeerConnection, packets: list[bytes], batch: int = 200) -> None:
    """Send ``packets`` from ``pc``'s own ICE socket, letting the event loop read between
    batches (so the receive buffer does not overflow)."""
    for start in range(0, len(packets), batch):
        for data in packets[start : start + batch]:
            send_from_peer(pc, data)
        await asyncio.sleep(0.002)


def srtp_state_for(session: Any, ssrcs: Any) -> int:
    """How many of ``ssrcs`` libsrtp holds per-SSRC state for in ``session`` (a probe
    that frees what it finds: remove_stream succeeds only for an existing stream)."""
    found = 0
    for ssrc in ssrcs:
        try:
            session.remove_stream(ssrc)
        except Exception:
            continue
        found += 1
    return found
