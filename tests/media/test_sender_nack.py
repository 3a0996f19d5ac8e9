"""A subscriber's NACKs are answered from the cache, bounded however they are crafted."""

from __future__ import annotations

from aiortc import RTCCertificate, RTCDtlsTransport, RTCIceGatherer, RTCIceTransport
from aiortc.rtp import RTCP_RTPFB_NACK, RtcpPacket, RtcpRrPacket, RtcpRtpfbPacket

from media.sender import RETRANSMIT_BURST, RETRANSMIT_RATE, ForwardingSender


def video_sender() -> tuple[ForwardingSender, list[int]]:
    transport = RTCDtlsTransport(
        RTCIceTransport(RTCIceGatherer()), [RTCCertificate.generateCertificate()]
    )
    sender = ForwardingSender("video", transport)
    sent: list[int] = []
    sender._transmit = lambda data: sent.append(data[2] << 8 | data[3])  # type: ignore[method-assign]
    for seq in range(1000, 1400):  # cached packets 1000..1399
        data = bytes((0x80, 96)) + seq.to_bytes(2, "big") + bytes(8) + b"payload"
        sender._cache[seq & sender._cache_mask] = data
    return sender, sent


def crafted_nack(lost: list[int]) -> RtcpRtpfbPacket:
    """A generic NACK with one FCI entry (PID, BLP 0) per listed sequence number."""
    fci = b"".join(seq.to_bytes(2, "big") + bytes(2) for seq in lost)
    length = (8 + len(fci)) // 4
    data = bytes((0x80 | RTCP_RTPFB_NACK, 205)) + length.to_bytes(2, "big")
    data += (1).to_bytes(4, "big") + (2).to_bytes(4, "big") + fci
    (parsed,) = RtcpPacket.parse(data)  # as it arrives from the network
    assert isinstance(parsed, RtcpRtpfbPacket)
    return parsed


async def test_a_nack_listing_one_packet_thousands_of_times_resends_it_once() -> None:
    sender, sent = video_sender()
    await sender._handle_rtcp_packet(crafted_nack([1200] * 5000))
    assert sent == [1200]
    assert sender._counters.nacks_answered == 1


async def test_a_packet_is_not_resent_again_within_the_interval() -> None:
    sender, sent = video_sender()
    sender.answer_nack([1100, 1101], 10.0)
    sender.answer_nack([1100, 1101], 10.05)  # the subscriber's repeated NACK
    assert sent == [1100, 1101]
    sender.answer_nack([1100], 10.2)  # a real second loss, an RTT later
    assert sent == [1100, 1101, 1100]


async def test_resends_per_subscriber_are_rate_limited() -> None:
    sender, sent = video_sender()
    every = list(range(1000, 1400))
    sender.answer_nack(every, 10.0)
    assert len(sent) == RETRANSMIT_BURST
    sent.clear()
    sender.answer_nack(every, 10.25)  # 0.25 s later: only what the bucket refilled
    assert abs(len(sent) - 0.25 * RETRANSMIT_RATE) <= 1


async def test_packets_not_in_the_cache_are_not_resent() -> None:
    sender, sent = video_sender()
    sender.answer_nack([5, 999, 1400, 1399 + 512], 10.0)
    assert sent == []


def receiver_report(ssrc: int, lost: int) -> RtcpRrPacket:
    """A subscriber's receiver report with one report block, as it arrives."""
    block = ssrc.to_bytes(4, "big") + bytes((3,)) + lost.to_bytes(3, "big") + bytes(16)
    data = bytes((0x81, 201)) + (7).to_bytes(2, "big") + (9).to_bytes(4, "big") + block
    (parsed,) = RtcpPacket.parse(data)
    assert isinstance(parsed, RtcpRrPacket)
    return parsed


async def test_the_subscribers_receiver_reports_give_the_downstream_loss() -> None:
    sender, _ = video_sender()
    assert sender.downstream_lost == 0
    await sender._handle_rtcp_packet(receiver_report(sender._ssrc, 17))
    assert sender.downstream_lost == 17
    await sender._handle_rtcp_packet(receiver_report(sender._ssrc ^ 1, 500))  # not ours
    assert sender.downstream_lost == 17
    await sender._handle_rtcp_packet(receiver_report(sender._ssrc, 21))  # cumulative
    assert sender.downstream_lost == 21
