"""One clock for every recorded track: RTP timestamps placed on the server's wall clock.

A publisher's RTCP sender reports pair an RTP timestamp of a track with the sender's
wall-clock (NTP) time; its audio and video share that clock, so their frames line up
through them (lip sync). Senders' clocks are not the server's: a :class:`PeerClock`,
shared by one publisher's tracks, estimates the sender's clock offset as the smallest
(arrival - NTP time) of its tracks' sender reports (the least-delayed report: the offset
plus the shortest one-way delay; frames are not used, as a sender's encoding and pacing
delay them by varying amounts), one value for all its tracks so their alignment stays
the sender's. A track's frame at RTP timestamp ``t`` is then at

    sender_time(t) + offset,   sender_time(t) = sr_ntp + (t - sr_rtp) / clock_rate

on the server's clock. Before the first sender report, the arrival time of the
segment's first frame stands in.
"""

from __future__ import annotations

from dataclasses import dataclass

NTP_UNIX_OFFSET = 2208988800  # seconds from 1900 (NTP epoch) to 1970 (Unix epoch)


def ntp_to_unix(ntp: int) -> float:
    """A 64-bit NTP timestamp as Unix seconds."""
    return (ntp >> 32) - NTP_UNIX_OFFSET + (ntp & 0xFFFFFFFF) / 4294967296.0


@dataclass(frozen=True)
class SenderReport:
    """One sender report's mapping, ``rtp_timestamp`` unwrapped onto the track's timeline."""

    rtp_timestamp: int
    sender_time: float  # Unix seconds on the sender's clock
    received_at: float  # Unix seconds on the server's clock


class PeerClock:
    """A publisher's clock offset (server time minus sender time), shared by its tracks."""

    def __init__(self) -> None:
        self.offset: float | None = None

    def observe(self, arrival: float, sender_time: float) -> None:
        candidate = arrival - sender_time
        if self.offset is None or candidate < self.offset:
            self.offset = candidate


class TrackClock:
    """Where one segment's frames are on the common clock (see the module docstring).

    ``origin`` is the unwrapped RTP timestamp of the segment's first frame (its pts 0).
    """

    def __init__(self, clock_rate: int, peer: PeerClock) -> None:
        self.clock_rate = clock_rate
        self.peer = peer
        self.origin: int | None = None
        self.first_arrival: float | None = None
        self.first_report: SenderReport | None = None
        self.report: SenderReport | None = None  # the latest
        self._last = 0  # unwrapped timestamp of the latest frame
        self._pending: tuple[int, int, float] | None = None  # a report before any frame

    def frame(self, timestamp: int, arrival: float) -> None:
        """A frame (unwrapped RTP ``timestamp``) whose first packet arrived at ``arrival``."""
        if self.origin is None:
            self.origin = timestamp
            self.first_arrival = arrival
            self._last = timestamp
            if self._pending is not None:
                self.sender_report(*self._pending)
                self._pending = None
        self._last = timestamp

    def sender_report(self, rtp_timestamp: int, ntp: int, received_at: float) -> None:
        """A sender report of this segment's SSRC (``rtp_timestamp`` as sent, 32 bits);
        one before the first frame is applied with it (it unwraps next to it)."""
        if self.origin is None:
            self._pending = (rtp_timestamp, ntp, received_at)
            return
        delta = (rtp_timestamp - self._last) & 0xFFFFFFFF
        unwrapped = self._last + delta if delta < 0x80000000 else self._last + delta - 0x100000000
        report = SenderReport(unwrapped, ntp_to_unix(ntp), received_at)
        if self.first_report is None:
            self.first_report = report
        self.report = report
        self.peer.observe(received_at, report.sender_time)

    def sender_time(self, timestamp: int) -> float:
        """The sender's wall-clock time of unwrapped RTP ``timestamp`` (needs a report)."""
        report = self.report
        assert report is not None
        return report.sender_time + (timestamp - report.rtp_timestamp) / self.clock_rate

    def start(self) -> tuple[float | None, str]:
        """``(time, source)``: the segment's pts 0 on the server's clock, from the sender
        reports ("sender_report") or, before the first, the first frame's arrival
        ("arrival"); ``(None, "none")`` before any frame."""
        if self.origin is None:
            return None, "none"
        offset = self.peer.offset
        sender_start = self.sender_start()
        if sender_start is None or offset is None:
            return self.first_arrival, "arrival"
        return sender_start + offset, "sender_report"

    def sender_start(self) -> float | None:
        """The segment's pts 0 on the sender's clock, by its first sender report."""
        report = self.first_report
        if report is None or self.origin is None:
            return None
        return report.sender_time + (self.origin - report.rtp_timestamp) / self.clock_rate
