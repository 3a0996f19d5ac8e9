"""Sequence/timestamp rewriting per subscriber, and duplicate suppression per stream.

Forwarding never renumbers: a subscriber's sequence number and timestamp are the
publisher's plus a constant offset chosen at the first forwarded packet, so upstream
gaps stay visible (and get NACKed). Offsets change only when the upstream source
changes (a new SSRC, e.g. after a re-publish); the stream then continues seamlessly.
"""

from __future__ import annotations

SEQ_MASK = 0xFFFF
TS_MASK = 0xFFFFFFFF
_HALF_SEQ = 0x8000
_YOUNG_SPAN = 0x4000  # packets after a rebase during which "older than the base" is tracked


class StreamRewriter:
    """Maps one upstream RTP stream onto one subscriber's sequence/timestamp space.

    ``first_seq``/``first_ts`` are the subscriber-side values of the first forwarded
    packet. With ``gate_on_keyframe`` (video) nothing is forwarded from a new source
    until a packet that starts a keyframe; audio starts at once. ``rewrite`` is called
    for every packet with the wall-clock ``now`` (seconds), used only to keep
    timestamps advancing across a source switch.
    """

    __slots__ = (
        "_base_in",
        "_clock_rate",
        "_gate",
        "_had_source",
        "_max_in",
        "_max_time",
        "_max_ts",
        "_next_seq",
        "_next_ts",
        "_seq_offset",
        "_source",
        "_ts_offset",
        "_young",
    )

    def __init__(
        self, clock_rate: int, gate_on_keyframe: bool, first_seq: int, first_ts: int
    ) -> None:
        self._clock_rate = clock_rate
        self._gate = gate_on_keyframe
        self._source: int | None = None
        self._had_source = False
        self._seq_offset = 0
        self._ts_offset = 0
        self._next_seq = first_seq & SEQ_MASK
        self._next_ts = first_ts & TS_MASK
        self._base_in = 0
        self._max_in = 0
        self._max_ts = 0
        self._max_time = 0.0
        self._young = False

    @property
    def waiting_for_keyframe(self) -> bool:
        """True while a gated (video) stream has not yet forwarded a keyframe."""
        return self._gate and self._source is None

    @property
    def source(self) -> int | None:
        """The upstream SSRC currently forwarded, if any."""
        return self._source

    def rewrite(
        self, ssrc: int, seq: int, ts: int, keyframe_start: bool, now: float
    ) -> tuple[int, int] | None:
        """The subscriber's (sequence number, timestamp) for a packet, or None to drop it."""
        if ssrc != self._source:
            if self._gate and not keyframe_start:
                if self._source is not None:
                    self._end_source()
                return None
            self._start_source(ssrc, seq, ts, now)
        elif (seq - self._max_in) & SEQ_MASK < _HALF_SEQ:
            # newest packet so far
            self._max_in = seq
            self._max_ts = ts
            self._max_time = now
            if self._young and (seq - self._base_in) & SEQ_MASK >= _YOUNG_SPAN:
                self._young = False
        elif self._young and (seq - self._base_in) & SEQ_MASK >= _HALF_SEQ:
            # older than the packet the subscriber started with: it cannot use it
            return None
        return (seq + self._seq_offset) & SEQ_MASK, (ts + self._ts_offset) & TS_MASK

    def end_source(self) -> None:
        """The upstream source is being replaced (a switch to another publisher): stop
        forwarding it now; the next source continues where it ended (video from its
        next keyframe), even if it happens to use the same SSRC."""
        if self._source is not None:
            self._end_source()

    def _end_source(self) -> None:
        """Stop forwarding the old source; the next one continues where it ended."""
        self._next_seq = (self._max_in + self._seq_offset + 1) & SEQ_MASK
        self._next_ts = (self._max_ts + self._ts_offset) & TS_MASK
        self._source = None

    def _start_source(self, ssrc: int, seq: int, ts: int, now: float) -> None:
        if self._source is not None:
            self._end_source()
        if self._had_source:
            # continue after the previous source: time has passed since its last packet
            self._next_ts = (self._next_ts + self._elapsed_ticks(now)) & TS_MASK
        self._had_source = True
        self._source = ssrc
        self._seq_offset = (self._next_seq - seq) & SEQ_MASK
        self._ts_offset = (self._next_ts - ts) & TS_MASK
        self._base_in = self._max_in = seq
        self._max_ts = ts
        self._max_time = now
        self._young = True

    def _elapsed_ticks(self, now: float) -> int:
        elapsed = min(max(now - self._max_time, 0.0), 60.0)
        return max(1, round(elapsed * self._clock_rate))


class DuplicateFilter:
    """Remembers the last ``size`` sequence numbers of one stream to drop repeats.

    Chrome's RTX probes repeat packets that already arrived; after RTX unwrap they are
    exact duplicates and must not be forwarded twice.
    """

    __slots__ = ("_mask", "_slots")

    def __init__(self, size: int = 1024) -> None:
        if size & (size - 1):
            raise ValueError("size must be a power of two")
        self._mask = size - 1
        self._slots = [-1] * size

    def is_duplicate(self, seq: int) -> bool:
        """True if ``seq`` was seen recently; otherwise remember it and return False."""
        index = seq & self._mask
        if self._slots[index] == seq:
            return True
        self._slots[index] = seq
        return False

    def reset(self) -> None:
        """Forget everything (the stream's source changed)."""
        self._slots = [-1] * (self._mask + 1)
