"""ForwardingSender: one subscriber's copy of one published track, without an encoder."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from aioice.ice import StunProtocol
from aiortc import RTCRtpSender
from aiortc.codecs import is_rtx
from aiortc.rtcdtlstransport import RTCDtlsTransport, State
from aiortc.rtcrtpparameters import RTCRtpCodecParameters, RTCRtpSendParameters
from aiortc.rtcrtpsender import random_sequence_number
from aiortc.rtp import (
    RTCP_RTPFB_NACK,
    AnyRtcpPacket,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    RtcpSrPacket,
    RtpPacket,
)
from aiortc.utils import random32

from media import guards
from media.ice_carrier import carrier_of
from media.rewrite import StreamRewriter
from media.rtpheader import RtpHeaderWriter
from media.srtp import FastSrtp

VIDEO_CACHE_SIZE = 512  # ~4 s of 1 Mbit/s video: answers NACKs for several RTTs
AUDIO_CACHE_SIZE = 128
CLOCK_RATES = {"audio": 48000, "video": 90000}  # Opus and VP8 RTP clocks
# NACK answers: a packet is resent at most once per RESEND_INTERVAL_S (about one RTT),
# and each subscriber gets at most RETRANSMIT_RATE resent packets per second on average
# (bursts up to RETRANSMIT_BURST), however many sequence numbers its NACKs list.
RESEND_INTERVAL_S = 0.1
RETRANSMIT_RATE = 250.0
RETRANSMIT_BURST = 250.0


@dataclass
class ForwardingCounters:
    """Counters shared by every forwarding object of one SFU (read by ``Sfu.stats``)."""

    packets_received: int = 0
    packets_forwarded: int = 0
    keyframe_requests_sent: int = 0
    nacks_answered: int = 0
    bytes_forwarded: int = 0
    nacks_sent: int = 0  # to publishers (ForwardingReceiver)
    nacks_received: int = 0  # from subscribers
    plis_received: int = 0  # PLI/FIR from subscribers


class SenderSource(Protocol):
    """What a sender is fed by (a track's fan-out): it attaches the sender on ``add``."""

    def add(self, sender: ForwardingSender) -> None: ...


class ForwardingSender(RTCRtpSender):
    """Sends one published track to one subscriber: no track, no encoder.

    Each forwarded packet is rewritten for this subscriber (SSRC, payload type,
    extension ids, sequence number and timestamp by a constant offset), kept in a packet
    cache that answers the subscriber's NACKs (RTX-wrapped when negotiated), protected
    and sent straight to the ICE socket. The subscriber's PLI/FIR is passed upstream
    through ``request_keyframe``. aiortc's RTCP loop keeps sending sender reports from
    the true counters (the name-mangled SR counters are properties over ours).
    """

    def __init__(self, kind: str, transport: RTCDtlsTransport) -> None:
        self.sr_packet_count = 0
        self.sr_octet_count = 0
        self.sr_ntp_timestamp = 0
        self.sr_rtp_timestamp = 0
        super().__init__(kind, transport)
        cache_size = VIDEO_CACHE_SIZE if kind == "video" else AUDIO_CACHE_SIZE
        self._cache: list[bytes | None] = [None] * cache_size
        self._cache_mask = cache_size - 1
        self._resent_at: list[float] = [0.0] * cache_size  # per cache slot, monotonic
        self._retransmit_tokens = RETRANSMIT_BURST
        self._retransmit_refill = 0.0
        self._rewriter = StreamRewriter(
            CLOCK_RATES.get(kind, 90000),
            gate_on_keyframe=kind == "video",
            first_seq=random_sequence_number(),
            first_ts=random32(),
        )
        self._counters = ForwardingCounters()
        self._request_keyframe: Callable[[], None] | None = None
        self._on_stop: Callable[[ForwardingSender], None] | None = None
        self._writer = RtpHeaderWriter(0, self._ssrc, None, {})  # replaced in send()
        self._configured = False
        self._rtx_payload_type: int | None = None
        self._rtx_seq = random_sequence_number()
        self._ready = False
        self._stopped = False
        self._dtls: Any = None
        self._carrier: Any = None
        self._pair: Any = None
        self._addr: tuple[str, int] | None = None
        self._socket: Any = None
        self._srtp: FastSrtp | None = None
        self._relay_sends: set[asyncio.Future[None]] = set()
        # the subscriber's latest RTCP report on this track: packets lost so far
        self.downstream_lost = 0
        # called (then cleared) at the next packet forwarded: join-to-first-frame
        self.on_first_packet: Callable[[], None] | None = None

    # -- wiring ---------------------------------------------------------------------------

    def attach(
        self,
        counters: ForwardingCounters,
        request_keyframe: Callable[[], None],
        on_stop: Callable[[ForwardingSender], None],
    ) -> None:
        """Connect this sender to the fan-out of the track it carries."""
        self._counters = counters
        self._request_keyframe = request_keyframe
        self._on_stop = on_stop

    def switch_source(self, source: SenderSource) -> None:
        """Carry another published track from now on, on this same subscriber track.

        No renegotiation: the sender leaves its current fan-out and joins ``source``;
        the subscriber's SSRC, payload type and extension ids stay, and its sequence
        numbers and timestamps continue where the old source's ended (a new constant
        offset, see :class:`~media.rewrite.StreamRewriter`). Video then waits for the new
        source's next keyframe, requested at once; until it arrives the subscriber keeps
        the old source's last frame.
        """
        self.leave_source()
        source.add(self)  # attach(): the new fan-out's keyframe requests and removal
        if self._ready and self.kind == "video" and self._request_keyframe is not None:
            self._request_keyframe()

    def resync(self) -> None:
        """The path from the publisher or to the subscriber was cut (an ICE restart
        brought it back): what was lost then is gone for good. The subscriber's stream
        continues without the gap, video from the next keyframe, requested at once."""
        self._rewriter.end_source()
        if self._ready and self.kind == "video" and self._request_keyframe is not None:
            self._request_keyframe()

    def leave_source(self) -> None:
        """Stop forwarding anything on this track (a last-N slot nobody fills); a later
        :meth:`switch_source` continues the subscriber's stream."""
        if self._on_stop is not None:
            self._on_stop(self)
            self._on_stop = None
        self._request_keyframe = None  # the subscriber's PLIs have no publisher to go to
        self._rewriter.end_source()

    @property
    def ready(self) -> bool:
        """True once negotiated and connected: packets are being forwarded."""
        return self._ready

    @property
    def waiting_for_keyframe(self) -> bool:
        """True while this (video) subscriber has not yet received a keyframe."""
        return self._rewriter.waiting_for_keyframe

    async def send(self, parameters: RTCRtpSendParameters) -> None:
        """Learn the subscriber's payload types, SSRCs and extension ids, then start."""
        if not self._configured:
            self._configured = True
            payload_type = parameters.codecs[0].payloadType
            if payload_type is None:
                raise ValueError("the negotiated codec has no payload type")
            ids = {ext.uri: ext.id for ext in parameters.headerExtensions if ext.id is not None}
            self._writer = RtpHeaderWriter(payload_type, self._ssrc, parameters.muxId, ids)
            self._rtx_payload_type = _rtx_payload_type(parameters.codecs, payload_type)
        await super().send(parameters)
        self._dtls = self.transport
        self._carrier = carrier_of(self.transport.transport)  # follows ICE restarts
        self._ready = not self._stopped
        if self._ready and self._request_keyframe is not None and self.kind == "video":
            self._request_keyframe()

    async def stop(self) -> None:
        """Stop sending and leave the fan-out."""
        self._ready = False
        self._stopped = True
        if self._on_stop is not None:
            self._on_stop(self)
            self._on_stop = None
        await super().stop()

    # -- the hot path -------------------------------------------------------------------

    def forward(
        self, packet: RtpPacket, keyframe_start: bool, now: float, ntp: int, abs_send_time: int
    ) -> None:
        """Rewrite one upstream packet for this subscriber and send it."""
        if not self._ready:
            return
        out = self._rewriter.rewrite(
            packet.ssrc, packet.sequence_number, packet.timestamp, keyframe_start, now
        )
        if out is None:
            if self._rewriter.waiting_for_keyframe and self._request_keyframe is not None:
                self._request_keyframe()
            return
        seq, ts = out
        payload = packet.payload
        padding = packet.padding_size
        header = self._writer.header(
            packet.marker, seq, ts, padding > 0, abs_send_time, packet.extensions.audio_level
        )
        if padding:
            data = header + payload + bytes(padding - 1) + bytes((padding,))
        else:
            data = header + payload
        slot = seq & self._cache_mask
        self._cache[slot] = data
        self._resent_at[slot] = 0.0
        self.sr_packet_count += 1
        self.sr_octet_count += len(payload)
        self.sr_ntp_timestamp = ntp
        self.sr_rtp_timestamp = ts
        counters = self._counters
        counters.packets_forwarded += 1
        counters.bytes_forwarded += len(data)
        if self.on_first_packet is not None:
            first, self.on_first_packet = self.on_first_packet, None
            first()
        self._transmit(data)

    def _transmit(self, data: bytes) -> None:
        """SRTP-protect and send on the nominated ICE pair, skipping aiortc's coroutines."""
        dtls = self._dtls
        if dtls._state is not State.CONNECTED:
            return
        pair = self._carrier.connection._nominated.get(1)
        if pair is not self._pair:
            self._route(pair)
        srtp = self._srtp
        if srtp is None or srtp.session is not dtls._tx_srtp:
            srtp = self._srtp = FastSrtp(dtls._tx_srtp)
        protected = srtp.protect(data)
        sock = self._socket
        if sock is not None:
            try:
                sock.sendto(protected, self._addr)
            except OSError:
                pass  # UDP: a full send buffer or an ICMP error loses this packet
        elif pair is not None:
            # a relayed (TURN) pair wraps data itself: let aioice send it
            task = asyncio.ensure_future(pair.protocol.send_data(protected, pair.remote_addr))
            self._relay_sends.add(task)
            task.add_done_callback(self._relay_sends.discard)

    def _route(self, pair: Any) -> None:
        self._pair = pair
        if pair is not None and type(pair.protocol) is StunProtocol:
            # the host socket itself when asyncio's transport has one (no wrapper call)
            transport = pair.protocol.transport
            sock = getattr(transport, guards.ASYNCIO_TRANSPORT_SOCKET, None)
            self._socket = sock if isinstance(sock, socket.socket) else transport
            self._addr = pair.remote_addr
        else:
            self._socket = None
            self._addr = None

    # -- aiortc hooks -------------------------------------------------------------------

    async def _run_rtp(self, codec: RTCRtpCodecParameters) -> None:
        """No track and no encoder: packets arrive through :meth:`forward`. Wait to stop."""
        getattr(self, guards.SENDER_RTP_STARTED).set()
        try:
            await asyncio.get_running_loop().create_future()
        except asyncio.CancelledError:
            pass
        getattr(self, guards.SENDER_RTP_EXITED).set()

    async def _handle_rtcp_packet(self, packet: AnyRtcpPacket) -> None:
        """aiortc's RTCP handling, except NACKs: answered here, bounded (see
        :meth:`answer_nack`) instead of one resend per listed sequence number."""
        if isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
            self._counters.nacks_received += 1
            self.answer_nack(packet.lost, time.monotonic())
        else:
            if isinstance(packet, RtcpRrPacket | RtcpSrPacket):
                for report in packet.reports:  # the subscriber's view of what we sent
                    if report.ssrc == self._ssrc:
                        self.downstream_lost = max(0, report.packets_lost)
            await super()._handle_rtcp_packet(packet)

    def answer_nack(self, lost: list[int], now: float) -> None:
        """Resend the cached packets ``lost`` lists (``now``: ``time.monotonic()``).

        Each sequence number counts once per NACK (at most a cache's worth), a packet
        resent less than RESEND_INTERVAL_S ago is not resent again, and a token bucket
        caps this subscriber's resends (RETRANSMIT_RATE per second, RETRANSMIT_BURST at once).
        """
        tokens = min(
            RETRANSMIT_BURST,
            self._retransmit_tokens + (now - self._retransmit_refill) * RETRANSMIT_RATE,
        )
        self._retransmit_refill = now
        cache, resent_at, mask = self._cache, self._resent_at, self._cache_mask
        # in NACK order, each once; only the cache's worth can be answered anyway
        for seq in list(dict.fromkeys(lost))[: len(cache)]:
            if tokens < 1.0:
                break
            slot = seq & mask
            data = cache[slot]
            if data is None or (data[2] << 8 | data[3]) != seq:
                continue
            if now - resent_at[slot] < RESEND_INTERVAL_S:
                continue
            resent_at[slot] = now
            tokens -= 1.0
            self._resend(data)
        self._retransmit_tokens = tokens

    async def _retransmit(self, sequence_number: int) -> None:
        """One NACKed sequence number (aiortc's hook; NACKs go through answer_nack)."""
        self.answer_nack([sequence_number], time.monotonic())

    def _resend(self, data: bytes) -> None:
        """Resend one cached packet (RTX-wrapped if negotiated)."""
        if self._rtx_payload_type is not None:
            data = _wrap_rtx(data, self._rtx_payload_type, self._rtx_seq, self._rtx_ssrc)
            self._rtx_seq = (self._rtx_seq + 1) & 0xFFFF
        self._counters.nacks_answered += 1
        self._transmit(data)

    def _send_keyframe(self) -> None:
        """The subscriber sent PLI/FIR: ask the publisher (rate-limited upstream)."""
        self._counters.plis_received += 1
        if self._request_keyframe is not None:
            self._request_keyframe()


def _rtx_payload_type(codecs: list[RTCRtpCodecParameters], payload_type: int) -> int | None:
    for codec in codecs:
        if is_rtx(codec) and codec.parameters.get("apt") == payload_type:
            return codec.payloadType
    return None


def _wrap_rtx(data: bytes, payload_type: int, seq: int, ssrc: int) -> bytes:
    """RFC 4588 retransmission packet: same timestamp and extensions, OSN before payload."""
    header_length = 12 + 4 * (data[0] & 0x0F)
    if data[0] & 0x10:
        header_length += 4 + 4 * (data[header_length + 2] << 8 | data[header_length + 3])
    return b"".join(
        (
            data[0:1],
            bytes(((data[1] & 0x80) | payload_type, seq >> 8, seq & 0xFF)),
            data[4:8],
            ssrc.to_bytes(4, "big"),
            data[12:header_length],
            data[2:4],
            data[header_length:],
        )
    )


def _counter_property(field: str) -> property:
    def get(self: ForwardingSender) -> int:
        return int(getattr(self, field))

    def set_(self: ForwardingSender, value: int) -> None:
        setattr(self, field, value)

    return property(get, set_)


def _route_sender_report_counters() -> None:
    """aiortc's RTCP loop reads (and its __init__ writes) name-mangled SR counters: make
    them properties over the plain attributes the hot path updates, so SRs stay true."""
    fields = ("sr_packet_count", "sr_octet_count", "sr_ntp_timestamp", "sr_rtp_timestamp")
    for mangled, field in zip(guards.SENDER_SR_COUNTERS, fields, strict=True):
        setattr(ForwardingSender, mangled, _counter_property(field))


_route_sender_report_counters()
