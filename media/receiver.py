"""ForwardingReceiver: takes a publisher's RTP in, hands packets to the fan-out, never decodes."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from aiortc import RTCRtpReceiver
from aiortc import clock as aiortc_clock
from aiortc.codecs import is_rtx
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcrtpparameters import RTCRtpReceiveParameters
from aiortc.rtcrtpreceiver import StreamStatistics
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, RtpPacket, pack_remb_fci, unwrap_rtx

from media import guards

if TYPE_CHECKING:
    from media.fanout import TrackFanout

_ACTIVE_SSRC_EVERY = 64  # refresh getSynchronizationSources() timestamps every N packets


class ForwardingReceiver(RTCRtpReceiver):
    """Receives one published track and forwards its RTP packets without decoding them.

    Keeps what aiortc's receiver does for the publisher's sake - per-SSRC statistics and
    receiver reports, RTX unwrap, NACK generation, REMB - but never depayloads into a
    jitter buffer and never starts a decoder thread: ``receive()`` is reimplemented
    without it, and each packet goes to the track's fan-out instead.
    """

    def __init__(self, kind: str, transport: RTCDtlsTransport) -> None:
        super().__init__(kind, transport)
        # aiortc's own (name-mangled) state, filled here so its RTCP loop and getStats()
        # keep working; held by reference so the per-packet path does no lookups.
        self._codecs: dict[int, Any] = getattr(self, guards.RECEIVER_CODECS)
        self._rtx_ssrc: dict[int, int] = getattr(self, guards.RECEIVER_RTX_SSRC)
        self._streams: dict[int, StreamStatistics] = getattr(self, guards.RECEIVER_REMOTE_STREAMS)
        self._active_ssrc: dict[int, Any] = getattr(self, guards.RECEIVER_ACTIVE_SSRC)
        self._nack_generator: Any = getattr(self, guards.RECEIVER_NACK_GENERATOR)
        self._estimator: Any = getattr(self, guards.RECEIVER_BITRATE_ESTIMATOR)
        self._rtx_apt: dict[int, int] = {}  # RTX payload type -> original payload type
        self._rtcp_ssrc_copy: int | None = None
        self._fanout: TrackFanout | None = None
        self._packets = 0

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

    def _set_rtcp_ssrc(self, ssrc: int) -> None:
        super()._set_rtcp_ssrc(ssrc)
        self._rtcp_ssrc_copy = ssrc

    async def receive(self, parameters: RTCRtpReceiveParameters) -> None:
        """aiortc's receive() minus the decoder thread: register, start RTCP."""
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
        setattr(self, guards.RECEIVER_RTCP_TASK, asyncio.ensure_future(self._run_rtcp()))
        setattr(self, guards.RECEIVER_STARTED, True)

    async def stop(self) -> None:
        """Stop receiving; the fan-out loses this source."""
        if self._fanout is not None:
            self._fanout.clear_source(self)
        await super().stop()

    async def send_pli(self, media_ssrc: int) -> None:
        """Ask the publisher for a keyframe of ``media_ssrc``."""
        await self._send_rtcp_pli(media_ssrc)

    async def _handle_rtp_packet(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        """Per-packet ingress: REMB, statistics, RTX unwrap, NACKs, then the fan-out."""
        if not self._enabled:
            return

        estimator = self._estimator
        if estimator is not None and packet.extensions.abs_send_time is not None:
            remb = estimator.add(
                abs_send_time=packet.extensions.abs_send_time,
                arrival_time_ms=arrival_time_ms,
                payload_size=len(packet.payload) + packet.padding_size,
                ssrc=packet.ssrc,
            )
            if remb is not None and self._rtcp_ssrc_copy is not None:
                await self._send_rtcp(
                    RtcpPsfbPacket(
                        fmt=RTCP_PSFB_APP,
                        ssrc=self._rtcp_ssrc_copy,
                        media_ssrc=0,
                        fci=pack_remb_fci(*remb),
                    )
                )

        codec = self._codecs.get(packet.payload_type)
        if codec is None:
            return

        ssrc = packet.ssrc
        stream = self._streams.get(ssrc)
        if stream is None:
            stream = self._streams[ssrc] = StreamStatistics(codec.clockRate)
            self._active_ssrc[ssrc] = aiortc_clock.current_datetime()
        stream.add(packet)
        self._packets += 1
        if not self._packets % _ACTIVE_SSRC_EVERY:
            self._active_ssrc[ssrc] = aiortc_clock.current_datetime()

        apt = self._rtx_apt.get(packet.payload_type)
        if apt is not None:
            original_ssrc = self._rtx_ssrc.get(ssrc)
            if original_ssrc is None or len(packet.payload) < 2 or apt not in self._codecs:
                return  # unknown RTX stream, or an RTX padding probe
            packet = unwrap_rtx(packet, payload_type=apt, ssrc=original_ssrc)

        nack_generator = self._nack_generator
        if nack_generator is not None and nack_generator.add(packet):
            await self._send_rtcp_nack(packet.ssrc, sorted(nack_generator.missing))

        fanout = self._fanout
        if fanout is not None and fanout.source is self:
            fanout.forward(packet)
