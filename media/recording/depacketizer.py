"""Frames from forwarded RTP without decoding: a reorder buffer, VP8 and Opus assembly.

:class:`Depacketizer` takes one track's RTP packets as the SFU forwards them (in arrival
order, possibly reordered, duplicated or with gaps) and returns complete encoded frames
in timestamp order:

* a :class:`ReorderBuffer` holds packets after a gap for up to ``wait_s`` (the NACK
  the SFU's receiver sent may bring the missing one back), then gives the gap up;
* VP8 frames (RFC 7741) are the payloads of the packets of one RTP timestamp, from the
  packet starting partition 0 (S=1, PID=0) to the one with the marker bit, with their
  payload descriptors removed. A frame missing a packet is dropped, and every frame
  after it until the next keyframe (they may reference the lost one):
  :attr:`Depacketizer.needs_keyframe` says when to ask the publisher for one. The stream
  starts at a keyframe, whose header gives the picture size;
* Opus: every packet is one frame; a lost packet is simply absent.

Malformed payloads never raise: they make their frame incomplete. I/O-free and
clock-free (arrival times are passed in), so tests feed it values.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from aiortc.rtp import RtpPacket

from media.vp8 import vp8_descriptor_size

REORDER_WAIT_S = 0.15  # how long a gap may be waited for (NACK round trips on a call)
MAX_HELD = 1024  # packets held behind a gap at most: beyond, the gap is given up at once
MAX_JUMP = 3000  # a sequence number further ahead than this restarts the stream
VP8_START_CODE = b"\x9d\x01\x2a"
# the tuples below are made per packet: tuple.__new__ skips a named tuple's Python-level
# __new__ (a third of the cost)
_new = tuple.__new__


class Frame(NamedTuple):
    """One encoded frame: ``timestamp`` is its RTP timestamp unwrapped (it keeps counting
    past 2**32), ``arrival`` the ``time.time()`` its first packet arrived; ``width`` and
    ``height`` are set for VP8 keyframes. (Tuples: one or two per packet are made.)"""

    timestamp: int
    data: bytes
    keyframe: bool
    arrival: float
    width: int = 0
    height: int = 0


class Ordered(NamedTuple):
    """A packet released in sequence order; ``gap`` when packets before it were lost."""

    packet: RtpPacket
    arrival: float
    gap: bool


class ReorderBuffer:
    """Puts one SSRC's packets back in sequence-number order, waiting briefly for gaps."""

    def __init__(self, wait_s: float = REORDER_WAIT_S) -> None:
        self._wait = wait_s
        self._next: int | None = None  # extended sequence number expected next
        self._highest = 0
        self._held: dict[int, tuple[RtpPacket, float]] = {}
        self._held_since = 0.0  # arrival of the oldest packet held behind the gap
        self._gap = False  # the next packet released follows lost ones
        self.lost = 0  # sequence numbers given up
        self.late = 0  # packets that came after their place was given up (or twice)

    @property
    def deadline(self) -> float | None:
        """When :meth:`release` gives the current gap up (None: nothing is held)."""
        return self._held_since + self._wait if self._held else None

    def push(self, packet: RtpPacket, now: float) -> list[Ordered]:
        """One packet arriving at ``now``: the packets this releases, in order."""
        seq = packet.sequence_number
        expected = self._next
        if expected is None:
            ext = self._next = self._highest = seq
        else:
            delta = (seq - self._highest) & 0xFFFF
            ext = self._highest + delta if delta < 0x8000 else self._highest + delta - 0x10000
            if ext == expected and not self._held:  # in order, nothing waiting: the usual case
                self._next = ext + 1
                self._highest = ext
                gap, self._gap = self._gap, False
                return [_new(Ordered, (packet, now, gap))]
            if ext < expected:
                self.late += 1
                return []
            if ext - expected > MAX_JUMP:  # the stream restarted: give everything up
                released = self.flush()
                self._next = self._highest = ext
                self._gap = True
                self._held[ext] = (packet, now)
                return released + self._drain()
        if ext in self._held:
            self.late += 1
            return []
        if not self._held:
            self._held_since = now
        self._held[ext] = (packet, now)
        if ext > self._highest:
            self._highest = ext
        released = self._drain()
        if len(self._held) > MAX_HELD or (self._held and now - self._held_since >= self._wait):
            released += self._skip_gap()
        return released

    def push_all(self, arrivals: Iterable[tuple[RtpPacket, float]]) -> list[Ordered]:
        """:meth:`push` of each ``(packet, arrival)`` in turn, the releases joined; a
        packet in order with nothing held (nearly all of them) takes a short path."""
        released: list[Ordered] = []
        for packet, now in arrivals:
            if not self._held and self._next is not None:
                ext = self._highest + 1
                if (packet.sequence_number - ext) & 0xFFFF == 0 and ext == self._next:
                    self._next = self._highest = ext
                    self._next += 1
                    released.append(_new(Ordered, (packet, now, self._gap)))
                    self._gap = False
                    continue
            released += self.push(packet, now)
        return released

    def release(self, now: float) -> list[Ordered]:
        """Give up a gap waited for long enough; the packets that releases."""
        released: list[Ordered] = []
        while self._held and now - self._held_since >= self._wait:
            released += self._skip_gap()
        return released

    def flush(self) -> list[Ordered]:
        """Everything held, in order, gaps given up (the stream ends)."""
        released: list[Ordered] = []
        while self._held:
            released += self._skip_gap()
        return released

    def _skip_gap(self) -> list[Ordered]:
        assert self._next is not None
        first = min(self._held)
        self.lost += first - self._next
        self._next = first
        self._gap = True
        released = self._drain()
        if self._held:
            self._held_since = min(arrival for _, arrival in self._held.values())
        return released

    def _drain(self) -> list[Ordered]:
        released: list[Ordered] = []
        held = self._held
        expected = self._next
        assert expected is not None
        while expected in held:
            packet, arrival = held.pop(expected)
            released.append(_new(Ordered, (packet, arrival, self._gap)))
            self._gap = False
            expected += 1
        self._next = expected
        return released


def vp8_keyframe_size(frame: bytes) -> tuple[int, int] | None:
    """``(width, height)`` from a VP8 keyframe's header (RFC 6386 9.1), None if it is not
    a well-formed keyframe start."""
    if len(frame) < 10 or frame[0] & 0x01 or frame[3:6] != VP8_START_CODE:
        return None
    width = (frame[6] | frame[7] << 8) & 0x3FFF
    height = (frame[8] | frame[9] << 8) & 0x3FFF
    if not width or not height:
        return None
    return width, height


class Vp8Assembler:
    """VP8 frames from in-order packets (see the module docstring)."""

    def __init__(self) -> None:
        self.waiting_keyframe = True
        self.dropped = 0  # frames dropped: incomplete, or not decodable without a lost one
        self._timestamp: int | None = None
        self._parts: list[bytes] = []
        self._broken = False
        self._arrival = 0.0

    def add(self, ordered: Ordered) -> Frame | None:
        packet = ordered.packet
        if ordered.gap:
            self._drop()
        timestamp = packet.timestamp
        if self._timestamp is not None and timestamp != self._timestamp:
            self._drop()  # the previous frame never saw its marker packet
        payload = packet.payload
        descriptor = vp8_descriptor_size(payload)
        if self._timestamp is None:
            self._timestamp = timestamp
            self._arrival = ordered.arrival
            self._broken = descriptor is None or not descriptor[0]
        elif descriptor is None or descriptor[0]:
            self._broken = True  # cut short, or a second start within one frame
        if not self._broken and descriptor is not None:
            self._parts.append(payload[descriptor[1] :])
        if not packet.marker:
            return None
        frame = self._complete()
        self._reset()
        return frame

    def _complete(self) -> Frame | None:
        if self._broken or not self._parts or self._timestamp is None:
            self._drop()
            return None
        data = b"".join(self._parts)
        if data[0] & 0x01 == 0:  # P bit clear: a keyframe
            size = vp8_keyframe_size(data)
            if size is None:
                self._drop()
                return None
            self.waiting_keyframe = False
            return Frame(self._timestamp, data, True, self._arrival, size[0], size[1])
        if self.waiting_keyframe:
            self.dropped += 1
            return None
        return _new(Frame, (self._timestamp, data, False, self._arrival, 0, 0))

    def _drop(self) -> None:
        """The frame being assembled is lost: wait for a keyframe."""
        if self._timestamp is not None or self._parts:
            self.dropped += 1
        self.waiting_keyframe = True
        self._reset()

    def _reset(self) -> None:
        self._timestamp = None
        self._parts = []
        self._broken = False


class OpusAssembler:
    """Opus: one packet, one frame; every frame stands alone."""

    waiting_keyframe = False
    dropped = 0

    def add(self, ordered: Ordered) -> Frame | None:
        packet = ordered.packet
        if not packet.payload:
            return None
        return _new(Frame, (packet.timestamp, packet.payload, True, ordered.arrival, 0, 0))


class Depacketizer:
    """One track's RTP packets in, complete frames out (timestamps unwrapped)."""

    def __init__(self, kind: str, wait_s: float = REORDER_WAIT_S) -> None:
        self.kind = kind
        self.buffer = ReorderBuffer(wait_s)
        self._assembler: Vp8Assembler | OpusAssembler = (
            Vp8Assembler() if kind == "video" else OpusAssembler()
        )
        self._last: int | None = None  # unwrapped timestamp of the last frame out

    @property
    def needs_keyframe(self) -> bool:
        """True while video frames are being dropped until a keyframe comes."""
        return self._assembler.waiting_keyframe

    @property
    def frames_dropped(self) -> int:
        return self._assembler.dropped

    def push(self, packet: RtpPacket, now: float) -> list[Frame]:
        """One packet arriving at ``now`` (``time.time()``): the frames it completes."""
        return self._assemble(self.buffer.push(packet, now))

    def push_all(self, arrivals: Iterable[tuple[RtpPacket, float]]) -> list[Frame]:
        """Several packets (in arrival order, with their arrival times) at once: the
        frames :meth:`push` of each would give, joined."""
        return self._assemble(self.buffer.push_all(arrivals))

    def release(self, now: float) -> list[Frame]:
        """Call at :attr:`ReorderBuffer.deadline`: gaps waited for long enough are given up."""
        return self._assemble(self.buffer.release(now))

    def flush(self) -> list[Frame]:
        """The stream ends: whatever can still be completed."""
        return self._assemble(self.buffer.flush())

    def _assemble(self, ordered: list[Ordered]) -> list[Frame]:
        frames: list[Frame] = []
        add = self._assembler.add
        for item in ordered:
            frame = add(item)
            if frame is None:
                continue
            last = self._last
            timestamp = frame.timestamp
            if last is not None:
                delta = (timestamp - last) & 0xFFFFFFFF
                timestamp = last + delta if delta < 0x80000000 else last + delta - 0x100000000
                if timestamp <= last:
                    continue  # not after the previous frame: no place in the file
                if timestamp != frame.timestamp:
                    frame = frame._replace(timestamp=timestamp)
            self._last = timestamp
            frames.append(frame)
        return frames
