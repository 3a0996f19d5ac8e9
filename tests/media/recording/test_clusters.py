"""Matroska clusters built in Python: sizes, cluster spans, and what a demuxer reads back."""

from __future__ import annotations

import io

import av

from media.recording.clusters import CLUSTER_MS, ClusterBuilder, unsigned, vint_size
from media.recording.depacketizer import Frame
from media.recording.writer import WebmTrackWriter
from tests.media.recording.rtp_streams import vp8_frames


def test_vint_sizes_take_the_shortest_form_and_avoid_the_reserved_all_ones() -> None:
    assert vint_size(0) == b"\x80"
    assert vint_size(126) == b"\xfe"
    assert vint_size(127) == b"\x40\x7f"  # 0xff would mean "unknown size"
    assert vint_size(0x3FFE) == b"\x7f\xfe"
    assert vint_size(0x3FFF) == b"\x20\x3f\xff"
    assert vint_size(1 << 30) == b"\x08\x40\x00\x00\x00"
    assert unsigned(0) == b"\x00" and unsigned(300) == b"\x01\x2c"


def test_a_cluster_is_handed_over_whole_once_the_next_frame_falls_beyond_its_span() -> None:
    out: list[bytes] = []
    clusters = ClusterBuilder(1000, out.append)  # pts in milliseconds
    clusters.add(0, b"a", True)
    clusters.add(CLUSTER_MS - 1, b"b", False)
    assert out == []  # still open: a crash loses it, nothing half-written
    clusters.add(CLUSTER_MS, b"c", False)
    assert len(out) == 1
    clusters.add(40_000, b"d", True)  # after a 40 s pause: a cluster of its own
    clusters.flush()
    clusters.flush()  # nothing open: nothing more
    assert len(out) == 3
    first = out[0]
    assert first.startswith(b"\x1f\x43\xb6\x75") and first.endswith(b"b")
    assert b"\xe7\x81\x00" in first  # timecode 0
    assert b"\xe7\x82\x9c\x40" in out[2]  # timecode 40000


def demux(data: bytes) -> list[tuple[int, bytes, bool]]:
    """(pts in ms, data, key) of every packet PyAV reads back."""
    with av.open(io.BytesIO(data), "r", format="webm") as container:
        return [
            (int(p.pts), bytes(p), p.is_keyframe)
            for p in container.demux()
            if p.pts is not None and p.size
        ]


def test_frames_come_back_byte_for_byte_with_their_times_and_key_flags() -> None:
    encoded = vp8_frames(30, gop=10)
    big = encoded[0] + bytes(20_000)  # a keyframe whose block needs a three-byte size
    frames = [
        Frame(i * 3000, big if i == 0 else data, i % 10 == 0, 0.0, 320, 180)
        for i, data in enumerate(encoded)
    ]
    frames.append(Frame(29 * 3000 + 9_000_000, encoded[0], True, 0.0, 320, 180))  # +100 s
    out: list[bytes] = []
    writer = WebmTrackWriter("video", out.append)
    for frame in frames:
        assert writer.write(frame)
    writer.close()
    back = demux(b"".join(out))
    assert [data for _, data, _ in back] == [f.data for f in frames]
    assert [key for _, _, key in back] == [f.keyframe for f in frames]
    assert [pts for pts, _, _ in back] == [round(f.timestamp / 90) for f in frames]
