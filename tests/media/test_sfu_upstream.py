"""The publisher's leg through the synchronous receive path: loss, NACK, RTX, RTCP, REMB.

Packets are lost between the publisher and the SFU's receiver; the SFU must NACK them
upstream, unwrap the publisher's RTX retransmissions and forward the recovered packets,
send receiver reports that count the loss, and send REMB - all from
``ForwardingReceiver.handle_rtp``, which media/ingress.py calls without coroutines.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import pytest
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_RTPFB_NACK,
    RtcpPsfbPacket,
    RtcpRtpfbPacket,
    RtpPacket,
    unpack_remb_fci,
)

from media import Sfu
from media.ingress import RtpIngress
from tests.media.peers import (
    LoopbackPeer,
    MovingVideoTrack,
    TappedPacket,
    negotiated_payload_types,
    publish_to,
    start_consuming,
    subscribe_from,
    tap_incoming_rtp,
    tap_outgoing_rtp,
)


async def test_upstream_loss_is_nacked_recovered_and_reported(sfu: Sfu) -> None:
    publisher, subscriber = LoopbackPeer(), LoopbackPeer()
    rtcp: list[Any] = []
    received: list[list[TappedPacket]] = []
    try:
        offer = await publisher.offer_to_publish(MovingVideoTrack())
        sender = publisher.pc.getSenders()[0]
        handle_rtcp = sender._handle_rtcp_packet

        async def tapped_rtcp(packet: Any) -> None:
            rtcp.append(packet)
            await handle_rtcp(packet)

        sender._handle_rtcp_packet = tapped_rtcp  # type: ignore[method-assign]
        sent = tap_outgoing_rtp(publisher.pc)
        await publisher.accept_answer(await sfu.publish("a", offer))

        # lose 5 % of the publisher's video before the server's receiver sees it
        (receiver,) = sfu._publications["a"].pc.forwarding_receivers()
        video_types = negotiated_payload_types(publisher.pc, "video")
        rng = random.Random(11)
        dropped: list[int] = []
        losing = True
        handle_rtp = receiver.handle_rtp

        def lossy(packet: RtpPacket, now: float) -> None:
            if losing and packet.payload_type in video_types and rng.random() < 0.05:
                dropped.append(packet.sequence_number)
                return
            handle_rtp(packet, now)

        receiver.handle_rtp = lossy  # type: ignore[method-assign]

        await subscribe_from(
            sfu, "b", "a", subscriber, lambda c: received.append(tap_incoming_rtp(c.pc))
        )
        seen, _ = start_consuming(subscriber.track("video"))
        await asyncio.wait_for(seen.first.wait(), 15)
        start = time.monotonic()
        await asyncio.sleep(3.0)
        losing = False
        await asyncio.sleep(1.5)  # the last retransmissions, and a receiver report
        end = time.monotonic()

        # the ingress took the packets (no coroutine per packet), in bursts
        ingress = RtpIngress.installed(receiver.transport)
        assert ingress is not None and ingress.packets > 100
        assert len(dropped) >= 5, "the test dropped too few packets to mean anything"

        # NACKed upstream...
        nacked = {
            seq
            for p in rtcp
            if isinstance(p, RtcpRtpfbPacket) and p.fmt == RTCP_RTPFB_NACK
            for seq in p.lost
        }
        assert set(dropped) <= nacked, sorted(set(dropped) - nacked)
        # ... retransmitted as RTX, unwrapped and forwarded: the subscriber got the payloads
        by_seq = {p.sequence_number: p.payload for p in sent if p.payload_type in video_types}
        forwarded = {
            p.payload
            for p in received[0]
            if p.payload_type in negotiated_payload_types(subscriber.pc, "video")
        }
        recovered = [seq for seq in dropped if by_seq.get(seq) in forwarded]
        assert len(recovered) >= len(dropped) - 2, (len(recovered), len(dropped))
        frames = seen.frames_between(start, end)
        fps = (len(frames) - 1) / (frames[-1] - frames[0])
        assert fps >= 25, f"{fps:.1f} fps under 5 % upstream loss"

        # REMB for the publisher's stream
        rembs = [
            unpack_remb_fci(p.fci)
            for p in rtcp
            if isinstance(p, RtcpPsfbPacket) and p.fmt == RTCP_PSFB_APP
        ]
        assert rembs and all(sender._ssrc in ssrcs for _, ssrcs in rembs)
        assert all(bitrate > 0 for bitrate, _ in rembs)

        # receiver reports that count the upstream loss (RTX arrives on its own SSRC)
        reports = [r for r in (await sender.getStats()).values() if r.type == "remote-inbound-rtp"]
        assert reports and 1 <= reports[0].packetsLost <= len(dropped)

        # the server's own statistics stay true
        stats = await receiver.getStats()
        # (aiortc reports each SSRC under one id: the last written, often the RTX one)
        assert [r for r in stats.values() if r.type == "inbound-rtp"]
        assert receiver._streams[sender._ssrc].packets_received > 100
        transport = [r for r in stats.values() if r.type == "transport"]
        assert transport[0].packetsReceived >= ingress.packets
        assert sender._ssrc in {s.source for s in receiver.getSynchronizationSources()}
    finally:
        await publisher.close()
        await subscriber.close()


async def test_without_the_ingress_aiortcs_coroutine_path_forwards(
    sfu: Sfu, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the ingress is not installed, aiortc's own path (the DTLS transport's task
    calling ``_handle_rtp_packet``) delivers the packets and forwarding still works."""

    class NoIngress:
        def configure(self, parameters: Any) -> None:
            pass

    monkeypatch.setattr(
        RtpIngress,
        "for_transport",
        classmethod(lambda cls, dtls, admission=None, stun_from=None: NoIngress()),
    )
    publisher, subscriber = LoopbackPeer(), LoopbackPeer()
    try:
        await publish_to(sfu, "a", publisher, MovingVideoTrack())
        (receiver,) = sfu._publications["a"].pc.forwarding_receivers()
        assert RtpIngress.installed(receiver.transport) is None
        await subscribe_from(sfu, "b", "a", subscriber)
        seen, _ = start_consuming(subscriber.track("video"))
        await asyncio.wait_for(seen.first.wait(), 15)
        await asyncio.sleep(1.0)
        assert len(seen.times) >= 20
        assert sfu.stats().packets_forwarded > 50
    finally:
        await publisher.close()
        await subscriber.close()
