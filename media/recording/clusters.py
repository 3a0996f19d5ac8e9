"""Matroska clusters of SimpleBlocks, built in Python: the live half of a track file.

The header of a track file (EBML header, Segment of unknown size, Info, Tracks with the
codec's parameters) is written by PyAV (media/recording/writer.py); what follows it
is a run of clusters, each a timecode and the frames as they are, one SimpleBlock each
(Matroska spec, RFC 9559 sections 5.1.3 and 10.2). Building these few bytes per frame
here costs about a microsecond, where a PyAV mux call costs several times more (a
packet object, its attributes, a rescale and a GIL release per frame): on the event
loop of a live call that difference is most of what recording costs.

Timecodes are milliseconds (the TimestampScale FFmpeg writes, 1,000,000 ns), rounded
to nearest like FFmpeg's rescale. A cluster spans less than CLUSTER_MS and is handed
over whole once the next frame falls beyond it (or at :meth:`ClusterBuilder.flush`):
a crash loses at most the open one.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

CLUSTER_MS = 200
TIMESTAMP_SCALE_NS = 1_000_000  # what the header says: timecodes in milliseconds
CLUSTER_ID = b"\x1f\x43\xb6\x75"
TIMECODE_ID = b"\xe7"
SIMPLE_BLOCK_ID = b"\xa3"
TRACK_ONE = 0x81  # the track number 1 as a one-byte vint (FFmpeg numbers from 1)
KEYFRAME_FLAG = 0x80
SHORT_BLOCK = 0x3FFE  # the largest block size a two-byte vint holds
# a SimpleBlock's head when its size fits two bytes: ID, size, track, timecode, flags
SHORT_HEAD = struct.Struct(">BHBhB")
BLOCK_TAIL = struct.Struct(">BhB")  # after a longer size: track, timecode, flags


def vint_size(size: int) -> bytes:
    """An EBML element data size: the shortest vint that holds ``size`` (all-ones
    values are reserved for "unknown", so a length's maximum is one less)."""
    for length in range(1, 9):
        if size < (1 << (7 * length)) - 1:
            return ((1 << (7 * length)) | size).to_bytes(length, "big")
    raise ValueError(f"size {size} too large for an EBML element")


def unsigned(value: int) -> bytes:
    """An EBML unsigned integer's data: big-endian, at least one byte."""
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


class ClusterBuilder:
    """One track's frames into clusters, each handed to ``put`` as one bytes object."""

    def __init__(self, clock_rate: int, put: Callable[[bytes], None]) -> None:
        self._clock_rate = clock_rate
        self._half = clock_rate // 2
        self._put = put
        self._start: int | None = None  # the open cluster's timecode (ms)
        self._parts: list[bytes] = []
        self._size = 0  # bytes in _parts

    def add(self, pts: int, data: bytes, keyframe: bool) -> None:
        """One frame at ``pts`` (clock-rate units, from the track's first frame;
        increasing)."""
        ms = (pts * 1000 + self._half) // self._clock_rate
        start = self._start
        if start is None or ms - start >= CLUSTER_MS:
            self.flush()
            self._start = start = ms
        relative = ms - start
        flags = KEYFRAME_FLAG if keyframe else 0
        size = len(data) + 4
        if size <= SHORT_BLOCK:  # most frames: one pack call
            head = SHORT_HEAD.pack(0xA3, 0x4000 | size, TRACK_ONE, relative, flags)
        else:
            head = SIMPLE_BLOCK_ID + vint_size(size) + BLOCK_TAIL.pack(TRACK_ONE, relative, flags)
        self._parts += (head, data)
        self._size += len(head) + len(data)

    def flush(self) -> None:
        """Hand the open cluster over (nothing if there is none)."""
        start, self._start = self._start, None
        if start is None:
            return
        parts, self._parts = self._parts, []
        timecode = unsigned(start)
        timecode = TIMECODE_ID + vint_size(len(timecode)) + timecode
        size = len(timecode) + self._size
        self._size = 0
        self._put(b"".join((CLUSTER_ID, vint_size(size), timecode, *parts)))

    def discard(self) -> None:
        """Drop the open cluster (writing failed: nothing more goes out)."""
        self._start = None
        self._parts = []
        self._size = 0
