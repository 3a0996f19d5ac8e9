"""Receive-side bookkeeping of a forwarded video stream, without aiortc's per-packet cost.

aiortc's ``RemoteBitrateEstimator`` (REMB), ``NackGenerator`` and ``StreamStatistics``
run for every packet the SFU receives. Their per-packet parts are reimplemented here
with the same results - checked against aiortc's own classes on random traces in
tests/media/test_remb.py - and far fewer Python calls and objects per packet:

* :class:`RembEstimator`: aiortc's estimator keeps the incoming bitrate in 1000
  one-millisecond bucket objects and walks them for every packet; here a queue of
  (ms, bytes) and two running totals, and the inter-arrival grouping inlined. The
  per-frame parts are aiortc's classes: the overuse detector and AIMD rate control as
  they are, the Kalman filter with the same arithmetic on locals (same floats).
* :class:`NackTracker`: aiortc's NACK generator, with the 16-bit comparisons inlined.
* :class:`ReceiveStatistics`: aiortc's ``StreamStatistics`` (its RTCP loop and getStats
  read these objects) with an ``add`` that takes the arrival time instead of reading
  the clock.
"""

from __future__ import annotations

import math
import time
from collections import deque

from aiortc.rate import (
    DELTA_COUNTER_MAX,
    INTER_ARRIVAL_SHIFT,
    MIN_FRAME_PERIOD_HISTORY_LENGTH,
    TIMESTAMP_GROUP_LENGTH_MS,
    TIMESTAMP_TO_MS,
    AimdRateControl,
    BandwidthUsage,
    OveruseDetector,
    OveruseEstimator,
)
from aiortc.rtcrtpreceiver import StreamStatistics
from aiortc.rtp import RtpPacket

RATE_WINDOW_MS = 1000  # aiortc's RateCounter(1000, 8000): bits/s over the last second
_GROUP_LENGTH = (TIMESTAMP_GROUP_LENGTH_MS << INTER_ARRIVAL_SHIFT) // 1000
_BURST_DELTA_THRESHOLD_MS = 5
_UINT32 = 0xFFFFFFFF
_HALF32 = 0x80000000
_OVERUSING = BandwidthUsage.OVERUSING
_UNDERUSING = BandwidthUsage.UNDERUSING
_NORMAL = BandwidthUsage.NORMAL

NACK_HISTORY = 128  # aiortc's RTP_HISTORY_SIZE: how far back missing packets are tracked


class RembEstimator:
    """aiortc's ``RemoteBitrateEstimator.add`` with the same inputs and results.

    ``add`` returns ``(bitrate, ssrcs)`` when a REMB should be sent, else None. Arrival
    times must not go backwards (a backwards step counts as arriving at the latest
    time seen; aiortc's ring of buckets would misplace such a packet instead).
    """

    __slots__ = (
        "_count",
        "_cur_arrival",
        "_cur_first",
        "_cur_last",
        "_cur_size",
        "_detector",
        "_estimator",
        "_feedback_interval",
        "_has_current",
        "_has_previous",
        "_last_update_ms",
        "_origin_ms",
        "_prev_arrival",
        "_prev_last",
        "_prev_size",
        "_rate_control",
        "_rate_initialized",
        "_ssrcs",
        "_total",
        "_window",
    )

    def __init__(self) -> None:
        # incoming bitrate: the packets of the last RATE_WINDOW_MS, oldest first
        self._window: deque[tuple[int, int]] = deque()
        self._origin_ms: int | None = None
        self._count = 0
        self._total = 0
        self._rate_initialized = True
        # inter-arrival groups (aiortc's InterArrival/TimestampGroup, flattened)
        self._has_current = False
        self._cur_first = 0
        self._cur_last = 0
        self._cur_size = 0
        self._cur_arrival = 0
        self._has_previous = False
        self._prev_last = 0
        self._prev_size = 0
        self._prev_arrival = 0
        # per-frame stages: aiortc's own
        self._estimator = _OveruseEstimator()
        self._detector = OveruseDetector()
        self._rate_control = AimdRateControl()
        self._feedback_interval = self._rate_control.feedback_interval()
        self._last_update_ms: int | None = None
        self._ssrcs: dict[int, int] = {}

    def add(
        self, arrival_time_ms: int, abs_send_time: int, payload_size: int, ssrc: int
    ) -> tuple[int, list[int]] | None:
        """Account one packet; returns the REMB to send (bitrate, SSRCs), if one is due."""
        now = arrival_time_ms
        self._ssrcs[ssrc] = now

        # incoming bitrate: aiortc asks rate() first (erasing what left the window) and
        # resets the counter once when it is undefined, then adds the packet
        origin = self._origin_ms
        if origin is not None:
            new_origin = now - RATE_WINDOW_MS + 1
            if origin < new_origin:
                window = self._window
                while window and window[0][0] < new_origin:
                    self._total -= window.popleft()[1]
                    self._count -= 1
                self._origin_ms = origin = new_origin
            if self._count > 0 and now > origin:
                self._rate_initialized = True
            elif self._rate_initialized:
                self._window.clear()
                self._origin_ms = origin = None
                self._count = self._total = 0
                self._rate_initialized = False
        elif self._rate_initialized:
            self._rate_initialized = False  # aiortc resets an empty counter: a no-op
        if origin is None:
            self._origin_ms = origin = now
        # (a packet arriving before the window's origin counts at the origin)
        self._window.append((now if now >= origin else origin, payload_size))
        self._count += 1
        self._total += payload_size

        # inter-arrival deltas between groups of packets sent within 5 ms
        timestamp = abs_send_time << 8
        if not self._has_current:
            self._has_current = True
            self._cur_first = self._cur_last = timestamp
            self._cur_size = payload_size
            self._cur_arrival = now
        elif (timestamp - self._cur_first) & _UINT32 < _HALF32:  # else out of order: skip
            ts_delta_ms = round(TIMESTAMP_TO_MS * ((timestamp - self._cur_last) & _UINT32))
            arrival_delta = now - self._cur_arrival
            if (
                ts_delta_ms == 0
                or (arrival_delta < ts_delta_ms and arrival_delta <= _BURST_DELTA_THRESHOLD_MS)
                or (timestamp - self._cur_first) & _UINT32 <= _GROUP_LENGTH
            ):
                # the same group
                if 0 < (timestamp - self._cur_last) & _UINT32 < _HALF32:
                    self._cur_last = timestamp
                self._cur_size += payload_size
            else:
                if self._has_previous:
                    self._update_detector(
                        (self._cur_last - self._prev_last) & _UINT32,
                        self._cur_arrival - self._prev_arrival,
                        self._cur_size - self._prev_size,
                        now,
                    )
                self._has_previous = True
                self._prev_last = self._cur_last
                self._prev_size = self._cur_size
                self._prev_arrival = self._cur_arrival
                self._cur_first = self._cur_last = timestamp
                self._cur_size = payload_size
            self._cur_arrival = now

        last = self._last_update_ms
        if (
            last is None
            or now - last > self._feedback_interval
            or self._detector.hypothesis == _OVERUSING
        ):
            target = self._rate_control.update(self._detector.hypothesis, self._rate(now), now)
            if target is not None:
                self._last_update_ms = now
                return target, list(self._ssrcs)
        return None

    def _rate(self, now: int) -> int | None:
        """aiortc's RateCounter.rate(now), bits per second (called after ``add``)."""
        origin = self._origin_ms
        if origin is None or self._count <= 0 or now <= origin:
            return None
        return round(8000 * self._total / (now - origin + 1))

    def _update_detector(
        self, ts_delta: int, arrival_delta: int, size_delta: int, now: int
    ) -> None:
        ts_delta_ms = ts_delta * TIMESTAMP_TO_MS
        estimator = self._estimator
        estimator.update(arrival_delta, ts_delta_ms, size_delta, self._detector.state(), now)
        self._detector.detect(estimator.offset(), ts_delta_ms, estimator.num_of_deltas(), now)


class _OveruseEstimator(OveruseEstimator):
    """aiortc's Kalman filter with its arithmetic unchanged (the same operations in the
    same order, so the same floats), on locals instead of nested lists and with the
    minimum frame period in one call instead of 60."""

    def update(
        self,
        time_delta_ms: int,
        timestamp_delta_ms: float,
        size_delta: int,
        current_hypothesis: BandwidthUsage,
        now_ms: int,
    ) -> None:
        min_frame_period = self.update_min_frame_period(timestamp_delta_ms)
        t_ts_delta = time_delta_ms - timestamp_delta_ms
        h0 = size_delta
        h1 = 1.0
        self._num_of_deltas = min(self._num_of_deltas + 1, DELTA_COUNTER_MAX)

        row0, row1 = self.E
        process_noise = self.process_noise
        row0[0] += process_noise[0]
        row1[1] += process_noise[1]
        offset = self._offset
        if (current_hypothesis == _OVERUSING and offset < self.previous_offset) or (
            current_hypothesis == _UNDERUSING and offset > self.previous_offset
        ):
            row1[1] += 10 * process_noise[1]
        e00, e01 = row0
        e10, e11 = row1
        eh0 = e00 * h0 + e01 * h1
        eh1 = e10 * h0 + e11 * h1

        residual = t_ts_delta - self.slope * h0 - offset
        if current_hypothesis == _NORMAL:
            max_residual = 3.0 * math.sqrt(self.var_noise)
            if abs(residual) < max_residual:
                self.update_noise_estimate(residual, min_frame_period)
            else:
                self.update_noise_estimate(
                    -max_residual if residual < 0 else max_residual, min_frame_period
                )

        denom = self.var_noise + h0 * eh0 + h1 * eh1
        k0 = eh0 / denom
        k1 = eh1 / denom
        ikh00 = 1.0 - k0 * h0
        ikh01 = -k0 * h1
        ikh10 = -k1 * h0
        ikh11 = 1.0 - k1 * h1
        row0[0] = e00 * ikh00 + e10 * ikh01
        row0[1] = e01 * ikh00 + e11 * ikh01
        row1[0] = e00 * ikh10 + e10 * ikh11
        row1[1] = e01 * ikh10 + e11 * ikh11

        self.previous_offset = offset
        self.slope += k0 * residual
        self._offset = offset + k1 * residual

    def update_min_frame_period(self, ts_delta: float) -> float:
        history: list[float] = self.ts_delta_hist
        if len(history) >= MIN_FRAME_PERIOD_HISTORY_LENGTH:
            del history[0]
        minimum = min(min(history), ts_delta) if history else ts_delta
        history.append(ts_delta)
        return minimum


class NackTracker:
    """aiortc's ``NackGenerator`` for one stream: which sequence numbers are missing.

    ``add(seq)`` returns True when the packet revealed a new gap (send a NACK for
    ``sorted(missing)`` then). Only the last NACK_HISTORY sequence numbers are tracked.
    """

    __slots__ = ("max_seq", "missing")

    def __init__(self) -> None:
        self.max_seq: int | None = None
        self.missing: set[int] = set()

    def add(self, seq: int) -> bool:
        """Mark ``seq`` received; True if packets before it are newly missing."""
        max_seq = self.max_seq
        if max_seq is None:
            self.max_seq = seq
            return False
        missed = False
        delta = (seq - max_seq) & 0xFFFF
        missing = self.missing
        if 0 < delta < 0x8000:  # newer than every packet so far
            if delta > 1:
                missed = True
                # older ones would be truncated right away
                for step in range(max(1, delta - NACK_HISTORY), delta):
                    missing.add((max_seq + step) & 0xFFFF)
            self.max_seq = max_seq = seq
        else:
            missing.discard(seq)
        if missing:
            # aiortc's truncate(): forget what is more than NACK_HISTORY behind
            min_seq = (max_seq - NACK_HISTORY) & 0xFFFF
            for old in [s for s in missing if _uint16_gt(min_seq, s)]:
                missing.discard(old)
        return missed


def _uint16_gt(a: int, b: int) -> bool:
    """aiortc.utils.uint16_gt: a > b in serial-number arithmetic (exactly its edge cases)."""
    return (a < b and b - a > 0x8000) or (a > b and a - b < 0x8000)


class ReceiveStatistics(StreamStatistics):
    """aiortc's per-SSRC receive statistics, fed with an arrival time (seconds).

    aiortc's RTCP loop (receiver reports) and ``getStats`` read these objects, so they
    keep StreamStatistics' attributes and meaning; ``arrive`` is its ``add`` without
    a clock read per packet.
    """

    def add(self, packet: RtpPacket) -> None:
        self.arrive(packet.sequence_number, packet.timestamp, time.time())

    def arrive(self, seq: int, timestamp: int, now: float) -> None:
        """One packet with sequence number ``seq`` and RTP ``timestamp`` arrived at ``now``."""
        max_seq = self.max_seq
        self.packets_received += 1
        if self.base_seq is None:
            self.base_seq = seq
        if max_seq is None or _uint16_gt(seq, max_seq):
            arrival = int(now * self._clockrate)
            if max_seq is not None and seq < max_seq:
                self.cycles += 1 << 16
            self.max_seq = seq
            last_timestamp = self._last_timestamp
            last_arrival = self._last_arrival
            if (
                timestamp != last_timestamp
                and self.packets_received > 1
                and last_timestamp is not None  # (always, after the first packet)
                and last_arrival is not None
            ):
                diff = abs((arrival - last_arrival) - (timestamp - last_timestamp))
                self._jitter_q4 += diff - ((self._jitter_q4 + 8) >> 4)
            self._last_arrival = arrival
            self._last_timestamp = timestamp
