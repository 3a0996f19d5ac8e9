"""ForwardingReceiver: takes a publisher's RTP in, hands packets to the fan-out, never decodes."""

from __future__ import annotations

import asyncio
import datetime
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiortc import RTCRtpReceiver
from aiortc.codecs import is_rtx
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcrtpparameters import RTCRtpReceiveParameters
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_RTPFB_NACK,
    AnyRtcpPacket,
    RtcpPsfbPacket,
    RtcpRtpfbPacket,
    RtcpSrPacket,
    RtpPacket,
    pack_remb_fci,
    unwrap_rtx,
)

from media import guards
from media.fanout import NTP_UNIX_OFFSET
from media.ingress import RtpIngress
from media.remb import NackTracker, ReceiveStatistics, RembEstimator

if TYPE_CHECKING:
    from media.fanout import TrackFanout

ACTIVE_SSRC_INTERVAL_S = 0.5  # getSynchronizationSources() timestamps: refreshed this often
# The REMB estimator runs over the packets of the last 100 ms at once (~3 video frames):
# the same estimates as per packet, at a fraction of the CPU (its code stays in cache),
# sent up to this much later (aiortc sends one every 500 ms, sooner on overuse).
REMB_BATCH_S = 0.1
_UTC = datetime.UTC
# SSRCs one receiver keeps state for (statistics, active sources, routing): a track's
# media and RTX streams, with room for a restart. Packets of further SSRCs are dropped,
# so a publisher cannot grow these tables by inventing SSRCs.
MAX_SSRCS = 4


class ForwardingReceiver(RTCRtpReceiver):
    """Receives one published track and forwards its RTP packets without decoding them.

    Keeps what aiortc's receiver does for the publisher's sake - per-SSRC statistics and
    receiver reports, RTX unwrap, NACK generation, REMB - but never depayloads into a
    jitter buffer and never starts a decoder thread: ``receive()`` is reimplemented
    without it, and each packet goes to the track's fan-out instead.

    Packets arrive through :meth:`handle_rtp`, called synchronously by the transport's
    :class:`~media.ingress.RtpIngress` (aiortc's coroutine path, ``_handle_rtp_packet``,
    still works and does the same). Statistics, NACK generation and the REMB estimate
    are media/remb.py's equivalents of aiortc's, so per packet there is no coroutine,
    no task and only one clock read; the REMB estimator runs every REMB_BATCH_S over
    the packets since, with their arrival times.
    """

    def __init__(self, kind: str, transport: RTCDtlsTransport) -> None:
        super().__init__(kind, transport)
        # aiortc's own (name-mangled) state, filled here so its RTCP loop and getStats()
        # keep working; held by reference so the per-packet path does no lookups.
        self._codecs: dict[int, Any] = getattr(self, guards.RECEIVER_CODECS)
        self._rtx_ssrc: dict[int, int] = getattr(self, guards.RECEIVER_RTX_SSRC)
        self._streams: dict[int, ReceiveStatistics] = getattr(self, guards.RECEIVER_REMOTE_STREAMS)
        self._active_ssrc: dict[int, datetime.datetime] = getattr(self, guards.RECEIVER_ACTIVE_SSRC)
        video = kind == "video"  # aiortc: NACKs and REMB for video only
        self._nacks = NackTracker() if video else None
        self._estimator = RembEstimator() if video else None
        self._remb_queue: list[tuple[float, int, int, int]] = []  # not yet estimated
        self._remb_due = 0.0
        self._rtx_apt: dict[int, int] = {}  # RTX payload type -> original payload type
        self._rtcp_ssrc_copy: int | None = None
        self._fanout: TrackFanout | None = None
        self._active_due = 0.0
        self._rtcp_tasks: set[asyncio.Future[None]] = set()
        # (level dBov, voice-activity flag, arrival time) of each audio packet carrying
        # the RFC 6464 extension, after it was forwarded: active-speaker detection
        self.on_audio_level: Callable[[float, bool, float], None] | None = None

    @property
    def fanout(self) -> TrackFanout | None:
        """The fan-out this receiver feeds, if any."""
        return self._fanout

    def attach(self, fanout: TrackFanout) -> None:
        """Feed ``fanout`` (which forwards only while this receiver is its source)."""
        self._fanout = fanout

    @property
    def decoder_running(self) -> bool:
        """True if aiortc's decoder thread exists for this receiver (it never should)."""
        return getattr(self, guards.RECEIVER_DECODER_THREAD) is not None

    def accepts_ssrc(self, ssrc: int) -> bool:
        """True if packets of ``ssrc`` are taken (known, or room for one more SSRC)."""
        return ssrc in self._streams or len(self._streams) < MAX_SSRCS

    def _set_rtcp_ssrc(self, ssrc: int) -> None:
        super()._set_rtcp_ssrc(ssrc)
        self._rtcp_ssrc_copy = ssrc

    async def receive(self, parameters: RTCRtpReceiveParameters) -> None:
        """aiortc's receive() minus the decoder thread: register, start RTCP, and take
        the transport's RTP over synchronously."""
        if getattr(self, guards.RECEIVER_STARTED):
            return
        for codec in parameters.codecs:
            if codec.payloadType is None:
                continue
            self._codecs[codec.payloadType] = codec
            apt = codec.parameters.get("apt")
            if is_rtx(codec) and isinstance(apt, int):
                self._rtx_apt[codec.payloadType] = apt
        for encoding in parameters.encodings:
            if encoding.rtx and encoding.ssrc is not None:
                self._rtx_ssrc[encoding.rtx.ssrc] = encoding.ssrc
        self.transport._register_rtp_receiver(self, parameters)
        RtpIngress.for_transport(self.transport).configure(parameters)
        setattr(self, guards.RECEIVER_RTCP_TASK, asyncio.ensure_future(self._run_rtcp()))
        setattr(self, guards.RECEIVER_STARTED, True)

    async def stop(self) -> None:
        """Stop receiving; the fan-out loses this source."""
        if self._fanout is not None:
            self._fanout.clear_source(self)
        for task in self._rtcp_tasks:
            task.cancel()
        await super().stop()

    async def send_pli(self, media_ssrc: int) -> None:
        """Ask the publisher for a keyframe of ``media_ssrc``."""
        await self._send_rtcp_pli(media_ssrc)

    async def _handle_rtcp_packet(self, packet: AnyRtcpPacket) -> None:
        """aiortc's RTCP handling; a sender report also goes to the fan-out (its sinks
        place the track on a common clock with it)."""
        await super()._handle_rtcp_packet(packet)
        if isinstance(packet, RtcpSrPacket):
            fanout = self._fanout
            if fanout is not None and fanout.source is self:
                info = packet.sender_info
                fanout.sender_report(
                    packet.ssrc, info.rtp_timestamp, info.ntp_timestamp, time.time()
                )

    async def _handle_rtp_packet(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        """aiortc's per-packet entry point (its coroutine path): same as handle_rtp."""
        self.handle_rtp(packet, time.time())

    def handle_rtp(self, packet: RtpPacket, now: float) -> None:
        """Per-packet ingress: REMB, statistics, RTX unwrap, NACKs, then the fan-out.

        ``now`` is the arrival time (``time.time()``). RTCP this triggers (REMB, NACK)
        is sent from a task.
        """
        if not self._enabled:
            return

        if self._estimator is not None:
            abs_send_time = packet.extensions.abs_send_time
            if abs_send_time is not None:
                self._remb_queue.append(
                    (now, abs_send_time, len(packet.payload) + packet.padding_size, packet.ssrc)
                )
                if now >= self._remb_due:
                    self._remb_due = now + REMB_BATCH_S
                    self._estimate()

        payload_type = packet.payload_type
        ssrc = packet.ssrc
        stream = self._streams.get(ssrc)
        if stream is None:
            codec = self._codecs.get(payload_type)
            if codec is None or len(self._streams) >= MAX_SSRCS:
                return
            stream = self._streams[ssrc] = ReceiveStatistics(codec.clockRate)
            self._active_due = 0.0  # a new source: listed at once
        elif payload_type not in self._codecs:
            return
        stream.arrive(packet.sequence_number, packet.timestamp, now)
        if now >= self._active_due:
            # getSynchronizationSources(): aiortc stamps every packet, a datetime each
            self._active_due = now + ACTIVE_SSRC_INTERVAL_S
            self._active_ssrc[ssrc] = datetime.datetime.fromtimestamp(now, _UTC)

        apt = self._rtx_apt.get(payload_type)
        if apt is not None:
            original_ssrc = self._rtx_ssrc.get(ssrc)
            if original_ssrc is None or len(packet.payload) < 2 or apt not in self._codecs:
                return  # unknown RTX stream, or an RTX padding probe
            packet = unwrap_rtx(packet, payload_type=apt, ssrc=original_ssrc)

        nacks = self._nacks
        if nacks is not None and nacks.add(packet.sequence_number):
            self._send_nack_soon(packet.ssrc, sorted(nacks.missing))

        fanout = self._fanout
        if fanout is not None and fanout.source is self:
            fanout.forward(packet, now)
        level = packet.extensions.audio_level
        if level is not None and self.on_audio_level is not None:
            self.on_audio_level(-level[1], level[0], now)

    def _estimate(self) -> None:
        """Feed the queued packets to the REMB estimator; send the latest REMB due."""
        estimator = self._estimator
        assert estimator is not None
        add = estimator.add
        remb = None
        for arrival, abs_send_time, size, ssrc in self._remb_queue:
            estimate = add(int((arrival + NTP_UNIX_OFFSET) * 1000), abs_send_time, size, ssrc)
            if estimate is not None:
                remb = estimate  # a later one supersedes it
        self._remb_queue.clear()
        if remb is not None and self._rtcp_ssrc_copy is not None:
            self._send_rtcp_soon(
                RtcpPsfbPacket(
                    fmt=RTCP_PSFB_APP,
                    ssrc=self._rtcp_ssrc_copy,
                    media_ssrc=0,
                    fci=pack_remb_fci(*remb),
                )
            )

    def loss(self) -> tuple[int, int]:
        """``(expected, lost)`` packets of the media streams received so far (RTX ones
        left out), as the RTCP receiver reports count them."""
        expected = lost = 0
        for ssrc, stream in self._streams.items():
            if ssrc in self._rtx_ssrc or stream.max_seq is None or stream.base_seq is None:
                continue
            expected += stream.packets_expected
            lost += max(0, stream.packets_lost)
        return expected, lost

    def _send_nack_soon(self, media_ssrc: int, lost: list[int]) -> None:
        if self._rtcp_ssrc_copy is not None:
            if self._fanout is not None:
                self._fanout.counters.nacks_sent += 1
            nack = RtcpRtpfbPacket(
                fmt=RTCP_RTPFB_NACK, ssrc=self._rtcp_ssrc_copy, media_ssrc=media_ssrc
            )
            nack.lost = lost
            self._send_rtcp_soon(nack)

    def _send_rtcp_soon(self, packet: AnyRtcpPacket) -> None:
        task = asyncio.ensure_future(self._send_rtcp(packet))
        self._rtcp_tasks.add(task)
        task.add_done_callback(self._rtcp_tasks.discard)
