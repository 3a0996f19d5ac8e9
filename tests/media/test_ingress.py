"""The synchronous receive path: parsing, SRTP, routing, draining (media/ingress.py)."""

from __future__ import annotations

import asyncio
import gc
import logging
import random
import socket
import weakref
from dataclasses import dataclass, field
from typing import Any

import pylibsrtp
import pytest
from aioice import Candidate, stun
from aioice.ice import CandidatePair, StunProtocol
from aiortc import RTCCertificate
from aiortc.rtcdtlstransport import RTCDtlsTransport, State
from aiortc.rtcicetransport import RTCIceGatherer, RTCIceTransport
from aiortc.rtcrtpparameters import (
    RTCRtpCodecParameters,
    RTCRtpHeaderExtensionParameters,
    RTCRtpReceiveParameters,
)
from aiortc.rtp import HeaderExtensionsMap, RtpPacket
from pylibsrtp import Policy, Session

from media.admission import EXTRA_SSRCS
from media.ingress import RtpIngress
from media.receiver import MAX_SSRCS, ForwardingReceiver
from media.rtpheader import URI_ABS_SEND_TIME, URI_AUDIO_LEVEL, URI_MID, parse_rtp
from media.srtp import FastSrtp

KEY = bytes(range(30))  # AES128_CM_SHA1_80 key + salt


def extension_map(ids: dict[str, int]) -> HeaderExtensionsMap:
    extensions = HeaderExtensionsMap()
    extensions.configure(
        RTCRtpReceiveParameters(
            headerExtensions=[RTCRtpHeaderExtensionParameters(id=i, uri=u) for u, i in ids.items()]
        )
    )
    return extensions


def random_packet(rng: random.Random) -> tuple[RtpPacket, dict[str, int]]:
    # ids above 14 make aiortc write the two-byte header form
    ids = {URI_MID: rng.choice((1, 3)), URI_ABS_SEND_TIME: rng.choice((2, 15, 200))}
    ids[URI_AUDIO_LEVEL] = rng.choice((4, 9, 30))
    packet = RtpPacket(
        payload_type=rng.randrange(128),
        marker=rng.randrange(2),
        sequence_number=rng.randrange(1 << 16),
        timestamp=rng.randrange(1 << 32),
        ssrc=rng.randrange(1 << 32),
        payload=rng.randbytes(rng.randrange(0, 300)),
    )
    packet.csrc = [rng.randrange(1 << 32) for _ in range(rng.choice((0, 0, 1, 3)))]
    packet.padding_size = rng.choice((0, 0, 1, 7))
    if rng.random() < 0.8:
        packet.extensions.mid = rng.choice(("0", "1", "video-long-mid"))
    if rng.random() < 0.8:
        packet.extensions.abs_send_time = rng.randrange(1 << 24)
    if rng.random() < 0.5:
        packet.extensions.audio_level = (rng.random() < 0.5, rng.randrange(128))
    return packet, ids


def same_packet(ours: RtpPacket, theirs: RtpPacket) -> None:
    fields = ("version", "marker", "payload_type", "sequence_number", "timestamp", "ssrc")
    assert [getattr(ours, f) for f in fields] == [getattr(theirs, f) for f in fields]
    assert (ours.csrc, ours.payload, ours.padding_size) == (
        theirs.csrc,
        theirs.payload,
        theirs.padding_size,
    )
    assert ours.extensions.abs_send_time == theirs.extensions.abs_send_time
    assert ours.extensions.audio_level == theirs.extensions.audio_level


def test_parse_matches_aiortc() -> None:
    rng = random.Random(5)
    for _ in range(2000):
        packet, ids = random_packet(rng)
        data = packet.serialize(extension_map(ids))
        theirs = RtpPacket.parse(data, extension_map(ids))
        ours = parse_rtp(data, ids[URI_ABS_SEND_TIME], ids[URI_AUDIO_LEVEL])
        same_packet(ours, theirs)
        assert ours.extensions.mid is None  # never read: routing does not use it


def test_parse_refuses_what_aiortc_refuses() -> None:
    rng = random.Random(6)
    for _ in range(2000):
        packet, ids = random_packet(rng)
        data = packet.serialize(extension_map(ids))
        cut = data[: rng.randrange(len(data) + 1)]
        if rng.random() < 0.2:
            cut = bytes([rng.randrange(256)]) + cut[1:]
        try:
            theirs = RtpPacket.parse(cut, extension_map(ids))
        except ValueError:
            with pytest.raises(ValueError):
                parse_rtp(cut, ids[URI_ABS_SEND_TIME], ids[URI_AUDIO_LEVEL])
        else:
            same_packet(parse_rtp(cut, ids[URI_ABS_SEND_TIME], ids[URI_AUDIO_LEVEL]), theirs)


def test_fast_srtp_matches_pylibsrtp() -> None:
    reference = Session(Policy(key=KEY, ssrc_type=Policy.SSRC_ANY_OUTBOUND))
    sender = FastSrtp(Session(Policy(key=KEY, ssrc_type=Policy.SSRC_ANY_OUTBOUND)))
    receiver = FastSrtp(Session(Policy(key=KEY, ssrc_type=Policy.SSRC_ANY_INBOUND)))
    rng = random.Random(7)
    for seq in range(300):
        packet = RtpPacket(96, 0, seq, seq * 10, 1234, rng.randbytes(rng.randrange(1200)))
        plain = packet.serialize()
        protected = sender.protect(plain)
        assert protected == reference.protect(plain)
        assert receiver.unprotect(protected) == plain
    with pytest.raises(pylibsrtp.Error):
        receiver.unprotect(protected)  # a replay
    with pytest.raises(pylibsrtp.Error):
        receiver.unprotect(protected[:-1] + bytes([protected[-1] ^ 1]))  # tampered
    with pytest.raises(ValueError):
        sender.protect(bytes(1500))


# -- RtpIngress on a DTLS transport whose SRTP keys are set by hand ----------------------


class FakeReceiver:
    """What aiortc's router needs of a receiver."""

    def _handle_disconnect(self) -> None:
        pass

    async def _handle_rtcp_packet(self, packet: Any) -> None:
        pass

    async def _handle_rtp_packet(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        raise AssertionError("a receiver with handle_rtp gets packets through it")


@dataclass(eq=False)
class Recorder(FakeReceiver):
    """A receiver as the router sees one: records what the ingress hands it."""

    packets: list[tuple[int, int]] = field(default_factory=list)
    fail_on: int | None = None

    def handle_rtp(self, packet: RtpPacket, now: float) -> None:
        if packet.sequence_number == self.fail_on:
            raise RuntimeError("boom")
        self.packets.append((packet.sequence_number, packet.extensions.abs_send_time or 0))


@dataclass(eq=False)
class CoroutineReceiver(FakeReceiver):
    """A receiver with only aiortc's coroutine entry point."""

    seen: list[tuple[int, int]] = field(default_factory=list)

    async def _handle_rtp_packet(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        self.seen.append((packet.sequence_number, arrival_time_ms))


class Publisher:
    """Protects RTP like a remote peer would, for the transport's receive keys."""

    def __init__(self) -> None:
        self.srtp = Session(Policy(key=KEY, ssrc_type=Policy.SSRC_ANY_OUTBOUND))
        self.map = extension_map({URI_ABS_SEND_TIME: 2})

    def rtp(self, seq: int, ssrc: int = 1111, payload_type: int = 96) -> bytes:
        packet = RtpPacket(payload_type, 0, seq, seq * 3000, ssrc, b"payload")
        packet.extensions.abs_send_time = seq
        return bytes(self.srtp.protect(packet.serialize(self.map)))


def connected_transport() -> RTCDtlsTransport:
    dtls = RTCDtlsTransport(
        RTCIceTransport(RTCIceGatherer()), [RTCCertificate.generateCertificate()]
    )
    dtls._rx_srtp = Session(Policy(key=KEY, ssrc_type=Policy.SSRC_ANY_INBOUND))
    dtls._state = State.CONNECTED
    return dtls


def ingress_for(dtls: RTCDtlsTransport) -> RtpIngress:
    ingress = RtpIngress.for_transport(dtls)
    ingress.configure(
        RTCRtpReceiveParameters(
            headerExtensions=[RTCRtpHeaderExtensionParameters(id=2, uri=URI_ABS_SEND_TIME)]
        )
    )
    return ingress


def rx_counters(dtls: RTCDtlsTransport) -> tuple[int, int]:
    report = next(iter(dtls._get_stats().values()))
    return report.packetsReceived, report.bytesReceived


async def test_rtp_is_handled_at_once_and_everything_else_queued() -> None:
    dtls = connected_transport()
    video, audio = Recorder(), Recorder()
    router = dtls._rtp_router
    router.register_receiver(video, ssrcs=[1111], payload_types=[96, 97])
    router.register_receiver(audio, ssrcs=[2222], payload_types=[111])
    ingress = ingress_for(dtls)
    assert RtpIngress.for_transport(dtls) is ingress
    connection: Any = dtls.transport._connection
    queue = connection._queue
    publisher = Publisher()

    sent = [publisher.rtp(seq) for seq in range(10, 15)]
    for data in sent:
        connection.data_received(data, 1)
    assert video.packets == [(seq, seq) for seq in range(10, 15)]
    assert queue.qsize() == 0
    assert ingress.packets == 5
    assert rx_counters(dtls) == (5, sum(map(len, sent)))  # getStats() stays true

    connection.data_received(publisher.rtp(1, ssrc=2222, payload_type=111), 1)
    assert audio.packets == [(1, 1)]
    # aiortc's routing rules: an unknown SSRC goes by a payload type only one receiver has
    connection.data_received(publisher.rtp(2, ssrc=3333, payload_type=111), 1)
    assert audio.packets[-1] == (2, 2) and router.ssrc_table[3333] is audio
    connection.data_received(publisher.rtp(3, ssrc=4444, payload_type=5), 1)
    connection.data_received(publisher.rtp(4, ssrc=1111, payload_type=111), 1)
    assert len(video.packets) == 5 and len(audio.packets) == 2

    # DTLS takes aiortc's own path (the queue); nothing else does
    dtls_record = bytes([22, 254, 253]) + bytes(30)
    connection.data_received(dtls_record, 1)
    assert queue.qsize() == 1
    counters = ingress.counters
    # RTCP whose length field overruns it, an RTP header cut short, not RTP/RTCP/DTLS
    for data in (bytes([0x80, 200, 0, 30]) + bytes(30), b"\x90\x60", b"\x41" + bytes(30)):
        connection.data_received(data, 1)
    assert counters.malformed == 3
    connection.data_received(sent[0], 1)  # a replay
    connection.data_received(b"\x90" + bytes(40), 1)  # garbage that fails authentication
    assert counters.srtp_failed == 2
    connection.data_received(bytes([0x80, 0xC8]) + bytes(1598), 1)  # too long for SRTP
    assert counters.oversized == 1
    dtls._state = State.CLOSED
    connection.data_received(publisher.rtp(20), 1)
    assert counters.not_ready == 1
    assert queue.qsize() == 1
    assert len(video.packets) == 5
    assert counters.dropped == 7


async def test_a_failing_receiver_does_not_stop_the_path(caplog: pytest.LogCaptureFixture) -> None:
    dtls = connected_transport()
    receiver = Recorder(fail_on=11)
    dtls._rtp_router.register_receiver(receiver, ssrcs=[1111], payload_types=[96])
    ingress_for(dtls)
    connection: Any = dtls.transport._connection
    publisher = Publisher()
    with caplog.at_level(logging.ERROR, logger="media.ingress"):
        for seq in (10, 11, 12):
            connection.data_received(publisher.rtp(seq), 1)
    assert [seq for seq, _ in receiver.packets] == [10, 12]
    assert "handling an RTP packet failed" in caplog.text


async def test_a_receiver_without_the_fast_entry_gets_a_task() -> None:
    dtls = connected_transport()
    receiver = CoroutineReceiver()
    dtls._rtp_router.register_receiver(receiver, ssrcs=[1111], payload_types=[96])
    ingress_for(dtls)
    dtls.transport._connection.data_received(Publisher().rtp(10), 1)
    await asyncio.sleep(0)
    assert [seq for seq, _ in receiver.seen] == [10]
    assert receiver.seen[0][1] > 3_900_000_000_000  # ms since 1900, like aiortc's clock


async def test_a_burst_is_drained_in_one_wakeup() -> None:
    dtls = connected_transport()
    receiver = Recorder()
    dtls._rtp_router.register_receiver(receiver, ssrcs=[1111], payload_types=[96])
    connection: Any = dtls.transport._connection
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: StunProtocol(connection), local_addr=("127.0.0.1", 0)
    )
    try:
        protocol.local_candidate = Candidate("1", 1, "udp", 1, "127.0.0.1", 1, "host")
        connection._protocols.append(protocol)
        ingress = ingress_for(dtls)
        publisher = Publisher()
        client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        client.bind(("127.0.0.1", 0))
        host, port = client.getsockname()
        remote = Candidate("2", 1, "udp", 1, host, port, "host")
        connection._nominated[1] = CandidatePair(protocol, remote)  # ICE selected the client
        address = transport.get_extra_info("sockname")
        burst = [publisher.rtp(seq) for seq in range(100, 104)]
        burst.insert(2, bytes([22, 254, 253]) + bytes(30))  # a DTLS record in between
        burst.append(publisher.rtp(104))
        for data in burst:
            client.sendto(data, address)
        client.close()
        for _ in range(100):
            await asyncio.sleep(0.01)
            if len(receiver.packets) == 5:
                break
        assert [seq for seq, _ in receiver.packets] == list(range(100, 105))
        assert connection._queue.qsize() == 1  # the DTLS record took aioice's path
        assert ingress.drained >= 4  # asyncio read the first datagram, we the rest
    finally:
        transport.close()


async def test_an_ingress_goes_away_with_its_transport() -> None:
    dtls = connected_transport()
    ingress = ingress_for(dtls)
    assert RtpIngress.installed(dtls) is ingress
    gone = weakref.ref(ingress)
    del dtls, ingress
    gc.collect()
    assert gone() is None


async def test_without_a_plain_socket_there_is_no_draining() -> None:
    """Another event loop's transport (no asyncio socket): one datagram per callback."""
    dtls = connected_transport()
    receiver = Recorder()
    dtls._rtp_router.register_receiver(receiver, ssrcs=[1111], payload_types=[96])
    connection: Any = dtls.transport._connection
    protocol = StunProtocol(connection)

    class OtherTransport(asyncio.DatagramTransport):
        pass

    protocol.connection_made(OtherTransport())
    connection._protocols.append(protocol)
    remote = Candidate("2", 1, "udp", 1, "127.0.0.1", 9, "host")
    connection._check_list.append(CandidatePair(protocol, remote))  # not selected yet
    ingress = ingress_for(dtls)
    protocol.datagram_received(Publisher().rtp(7), ("127.0.0.1", 9))
    assert receiver.packets == [(7, 7)]
    assert ingress.drained == 0


async def test_a_publisher_cannot_grow_per_ssrc_state() -> None:
    dtls = connected_transport()
    receiver = ForwardingReceiver("video", dtls)
    receiver._codecs[96] = RTCRtpCodecParameters(
        mimeType="video/VP8", clockRate=90000, payloadType=96
    )
    router = dtls._rtp_router
    router.register_receiver(receiver, ssrcs=[], payload_types=[96])
    ingress = ingress_for(dtls)
    connection: Any = dtls.transport._connection
    publisher = Publisher()
    for seq in range(1, 201):  # a new SSRC in every packet
        connection.data_received(publisher.rtp(seq, ssrc=10_000 + seq), 1)
    # libsrtp got (and made state for) EXTRA_SSRCS unsignalled SSRCs, no more
    assert ingress.admission.seen == {10_000 + seq for seq in range(1, EXTRA_SSRCS + 1)}
    assert ingress.counters.ssrc_refused == 200 - EXTRA_SSRCS
    assert len(router.ssrc_table) == MAX_SSRCS
    assert len(receiver._streams) == MAX_SSRCS
    assert len(receiver._active_ssrc) <= MAX_SSRCS
    # the SSRCs it took keep flowing
    first = receiver._streams[10_001]
    received = first.packets_received
    connection.data_received(publisher.rtp(300, ssrc=10_001), 1)
    assert first.packets_received == received + 1

    # aiortc's coroutine path (no ingress) is bounded by the receiver itself
    for seq in range(400, 450):
        receiver.handle_rtp(RtpPacket(96, 0, seq, seq, 50_000 + seq, b"x"), float(seq))
    assert len(receiver._streams) == MAX_SSRCS
    await receiver.stop()


async def test_only_the_selected_address_may_send_media_and_stun_comes_from_anywhere() -> None:
    dtls = connected_transport()
    receiver = Recorder()
    dtls._rtp_router.register_receiver(receiver, ssrcs=[1111], payload_types=[96])
    connection: Any = dtls.transport._connection
    protocol = StunProtocol(connection)

    class OtherTransport(asyncio.DatagramTransport):
        pass

    protocol.connection_made(OtherTransport())
    protocol.local_candidate = Candidate("1", 1, "udp", 1, "127.0.0.1", 1, "host")
    connection._protocols.append(protocol)
    signalled = Candidate("2", 1, "udp", 1, "127.0.0.1", 9, "host")
    connection._check_list.append(CandidatePair(protocol, signalled))
    stun_seen: list[tuple[Any, ...]] = []
    connection.request_received = lambda message, addr, protocol: stun_seen.append(addr)
    ingress = ingress_for(dtls)
    publisher = Publisher()
    dtls_record = bytes([22, 254, 253]) + bytes(30)

    # before ICE selects a pair: any candidate pair's remote address, nobody else
    protocol.datagram_received(publisher.rtp(1), ("127.0.0.1", 9))
    protocol.datagram_received(publisher.rtp(2), ("127.0.0.1", 10))
    protocol.datagram_received(dtls_record, ("127.0.0.2", 9))
    assert [seq for seq, _ in receiver.packets] == [1]
    assert ingress.counters.foreign == 2 and connection._queue.qsize() == 0

    # once selected: that pair's remote address only (another pair's is foreign now)
    other = Candidate("3", 1, "udp", 1, "127.0.0.1", 11, "host")
    connection._check_list.append(CandidatePair(protocol, other))
    connection._nominated[1] = CandidatePair(protocol, signalled)
    protocol.datagram_received(publisher.rtp(3), ("127.0.0.1", 11))
    protocol.datagram_received(publisher.rtp(4), ("127.0.0.1", 9))
    protocol.datagram_received(dtls_record, ("127.0.0.1", 9))
    assert [seq for seq, _ in receiver.packets] == [1, 4]
    assert ingress.counters.foreign == 3 and connection._queue.qsize() == 1

    # a pair whose connectivity check succeeded may send too: a browser that is the
    # controlled agent (the server offered) can send from another valid pair than the
    # one the server nominated
    valid = Candidate("4", 1, "udp", 1, "192.0.2.2", 12, "host")
    pair = CandidatePair(protocol, valid)
    pair.state = CandidatePair.State.SUCCEEDED
    connection._check_list.append(pair)
    protocol.datagram_received(publisher.rtp(5), ("192.0.2.2", 12))
    protocol.datagram_received(publisher.rtp(6), ("127.0.0.1", 11))  # still foreign
    assert [seq for seq, _ in receiver.packets] == [1, 4, 5]
    assert ingress.counters.foreign == 4

    # a STUN request goes to aioice from any address (it checks the credentials)
    request = stun.Message(stun.Method.BINDING, stun.Class.REQUEST)
    protocol.datagram_received(bytes(request), ("127.0.0.7", 4242))
    assert stun_seen == [("127.0.0.7", 4242)]


async def test_stun_from_outside_the_allowed_networks_is_dropped() -> None:
    """A check from an address the SFU may not use would make a peer-reflexive pair that
    DTLS never completes on (seen with Chromium's non-loopback interface in tests)."""
    dtls = connected_transport()
    connection: Any = dtls.transport._connection
    protocol = StunProtocol(connection)
    protocol.connection_made(asyncio.DatagramTransport())
    protocol.local_candidate = Candidate("1", 1, "udp", 1, "127.0.0.1", 1, "host")
    connection._protocols.append(protocol)
    stun_seen: list[tuple[Any, ...]] = []
    connection.request_received = lambda message, addr, protocol: stun_seen.append(addr)
    ingress = RtpIngress.for_transport(dtls, stun_from=lambda host: host.startswith("127."))
    request = bytes(stun.Message(stun.Method.BINDING, stun.Class.REQUEST))

    protocol.datagram_received(request, ("192.0.2.2", 4242))
    protocol.datagram_received(request, ("127.0.0.7", 4242))

    assert stun_seen == [("127.0.0.7", 4242)]
    assert ingress.counters.outside == 1
