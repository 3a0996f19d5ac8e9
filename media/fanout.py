"""TrackFanout: one published track's packets, to every subscriber of it."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Protocol

from aiortc.rtp import RtpPacket

from media.keyframes import KeyframePolicy, is_keyframe_start
from media.rewrite import DuplicateFilter
from media.sender import ForwardingCounters

if TYPE_CHECKING:
    from media.receiver import ForwardingReceiver
    from media.sender import ForwardingSender

logger = logging.getLogger(__name__)

NTP_UNIX_OFFSET = 2208988800  # seconds from 1900 (NTP epoch) to 1970 (Unix epoch)


class PacketSink(Protocol):
    """A consumer of a published track's packets other than a subscriber (the recorder):
    no SRTP, no ICE, no rewriting - the packets as the publisher sent them."""

    def packet(self, packet: RtpPacket, keyframe_start: bool, now: float) -> None:
        """One packet after duplicate suppression (``now``: arrival, ``time.time()``)."""

    def sender_report(self, ssrc: int, rtp_timestamp: int, ntp: int, now: float) -> None:
        """An RTCP sender report of the publisher for ``ssrc`` (``ntp``: 64-bit NTP)."""

    def source_ended(self) -> None:
        """The track is no longer published: no more packets will come."""


# a silence this long with packets lost across it: subscribers resync (see forward)
RESYNC_SILENCE_S = 1.0


class TrackFanout:
    """Fans one published track out to its subscribers' ForwardingSenders.

    Lives as long as the publisher's peer id publishes the track, across re-publishes:
    the receiver feeding it (its *source*) may change, subscribers stay attached and
    continue seamlessly. Suppresses duplicate packets, detects VP8 keyframe starts once
    per packet for all subscribers, and sends keyframe requests upstream as ``keyframes``
    paces them (one request serves every subscriber waiting).
    """

    def __init__(
        self, kind: str, track_id: str, counters: ForwardingCounters, keyframes: KeyframePolicy
    ) -> None:
        self.kind = kind
        self.track_id = track_id
        self._video = kind == "video"
        self._counters = counters
        self._senders: tuple[ForwardingSender, ...] = ()
        self._sinks: tuple[PacketSink, ...] = ()
        # (ssrc, rtp timestamp, ntp, arrival) of the source's latest sender report
        self.last_sender_report: tuple[int, int, int, float] | None = None
        self._source: ForwardingReceiver | None = None
        self._ssrc: int | None = None
        self._duplicates = DuplicateFilter()
        self._pacer = keyframes.pacer()
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Future[None]] = set()
        self._enabled = True
        self._last_seq = 0  # newest sequence number from the source, and when a packet
        self._last_arrival = 0.0  # last arrived (time.time())

    @property
    def enabled(self) -> bool:
        """Whether packets are forwarded (False: a host hard-muted the track)."""
        return self._enabled

    def set_enabled(self, enabled: bool) -> None:
        """Stop (False) or resume forwarding to every subscriber; video resumes from a
        keyframe, requested at once."""
        if enabled == self._enabled:
            return
        self._enabled = enabled
        if enabled:
            self.request_keyframe()

    @property
    def counters(self) -> ForwardingCounters:
        """The SFU's counters this fan-out and its senders and source count into."""
        return self._counters

    @property
    def source(self) -> ForwardingReceiver | None:
        """The receiver whose packets are forwarded."""
        return self._source

    @property
    def senders(self) -> tuple[ForwardingSender, ...]:
        """Every subscriber's sender of this track."""
        return self._senders

    def set_source(self, receiver: ForwardingReceiver) -> None:
        """Forward ``receiver``'s packets from now on (a publish or re-publish)."""
        receiver.attach(self)
        self._source = receiver
        self._ssrc = None  # learnt from the new source's first packet

    def clear_source(self, receiver: ForwardingReceiver) -> None:
        """``receiver`` stopped; forget it if it is still the source."""
        if self._source is receiver:
            self._source = None

    def add(self, sender: ForwardingSender) -> None:
        """Start forwarding to ``sender`` (it starts sending once negotiated)."""
        sender.attach(self._counters, self.request_keyframe, self.remove)
        self._senders = (*self._senders, sender)

    def remove(self, sender: ForwardingSender) -> None:
        """Stop forwarding to ``sender``."""
        self._senders = tuple(s for s in self._senders if s is not sender)

    def add_sink(self, sink: PacketSink) -> None:
        """Hand ``sink`` every packet from now on (and the latest sender report at once)."""
        self._sinks = (*self._sinks, sink)
        report = self.last_sender_report
        if report is not None:
            sink.sender_report(*report)

    def remove_sink(self, sink: PacketSink) -> None:
        self._sinks = tuple(s for s in self._sinks if s is not sink)

    def sender_report(self, ssrc: int, rtp_timestamp: int, ntp: int, now: float) -> None:
        """The source's RTCP sender report: kept, and passed to every sink."""
        self.last_sender_report = (ssrc, rtp_timestamp, ntp, now)
        for sink in self._sinks:
            sink.sender_report(ssrc, rtp_timestamp, ntp, now)

    def forward(self, packet: RtpPacket, now: float | None = None) -> None:
        """One packet from the source, to every subscriber (``now``: its arrival time,
        ``time.time()``, read here when not given)."""
        self._counters.packets_received += 1
        ssrc = packet.ssrc
        if ssrc != self._ssrc:
            self._ssrc = ssrc
            self._duplicates.reset()
            self._last_arrival = 0.0  # a new source: its senders start it afresh anyway
        if self._duplicates.is_duplicate(packet.sequence_number):
            return
        if now is None:
            now = time.time()
        seq = packet.sequence_number
        last = self._last_arrival
        if last and now - last > RESYNC_SILENCE_S and (seq - self._last_seq) & 0xFFFF != 1:
            # packets were lost during a silence (a cut network path, back by an ICE
            # restart): too old for any NACK to recover, and a receiver that waits for
            # them stalls: every subscriber continues without the gap, video from a
            # keyframe (requested at once)
            for sender in self._senders:
                sender.resync()
        if (seq - self._last_seq) & 0xFFFF < 0x8000:
            self._last_seq = seq
        self._last_arrival = now
        if not self._enabled:
            return  # hard-muted: nothing reaches any subscriber
        keyframe = self._video and is_keyframe_start(packet.payload)
        if keyframe:
            self._pacer.keyframe(time.monotonic())  # serves every subscriber waiting
        senders = self._senders
        sinks = self._sinks
        if not senders and not sinks:
            return
        if senders:
            ntp = int((now + NTP_UNIX_OFFSET) * 4294967296.0)
            abs_send_time = (ntp >> 14) & 0xFFFFFF
            for sender in senders:
                try:
                    sender.forward(packet, keyframe, now, ntp, abs_send_time)
                except Exception:
                    # one subscriber's failure must not starve the others (or kill the
                    # publisher's receive loop): drop it from the fan-out
                    logger.exception("forwarding %s to a subscriber failed", self.track_id)
                    self.remove(sender)
        for sink in sinks:
            try:
                sink.packet(packet, keyframe, now)
            except Exception:
                logger.exception("a sink of %s failed", self.track_id)
                self.remove_sink(sink)

    def request_keyframe(self) -> None:
        """A subscriber needs a keyframe: send a PLI upstream when the pacer allows."""
        if not self._video or self._source is None or self._ssrc is None:
            # nothing to ask yet: a gated subscriber asks again when packets arrive
            return
        self._act(*self._pacer.want(time.monotonic()))

    def close(self) -> None:
        """Cancel pending keyframe requests; sinks are told the track ended."""
        sinks, self._sinks = self._sinks, ()
        for sink in sinks:
            try:
                sink.source_ended()
            except Exception:
                logger.exception("a sink of %s failed", self.track_id)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for task in self._tasks:
            task.cancel()

    def _due(self) -> None:
        self._timer = None
        # nobody left to serve: no repeats (a new request decides anew)
        if self._senders or self._sinks:
            self._act(*self._pacer.due(time.monotonic()))

    def _act(self, send: bool, wake_after: float | None) -> None:
        if send:
            self._send_pli()
        if wake_after is None:
            return
        loop = asyncio.get_running_loop()
        timer = self._timer
        if timer is not None:
            if timer.when() <= loop.time() + wake_after:
                return  # an earlier wake-up is set: the pacer is asked again then
            timer.cancel()
        self._timer = loop.call_later(wake_after, self._due)

    def _send_pli(self) -> None:
        source, ssrc = self._source, self._ssrc
        if source is None or ssrc is None:
            return
        self._counters.keyframe_requests_sent += 1
        task = asyncio.ensure_future(source.send_pli(ssrc))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
