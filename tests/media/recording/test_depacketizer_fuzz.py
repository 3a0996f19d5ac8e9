"""Fuzz of the depacketiser: malformed payloads and wild sequence numbers never raise."""

from __future__ import annotations

from typing import Any

from aiortc.rtp import RtpPacket
from hypothesis import given, settings
from hypothesis import strategies as st

from media.recording.depacketizer import Depacketizer
from tests.media.recording.rtp_streams import opus_rtp, vp8_frames, vp8_rtp


def _packets() -> Any:
    return st.lists(
        st.tuples(
            st.integers(0, 0xFFFF),
            st.integers(0, 0xFFFFFFFF),
            st.booleans(),
            st.one_of(
                st.binary(max_size=40),
                # descriptor-like starts: X/S/PID bits, extension bits, then anything
                st.tuples(st.integers(0, 255), st.integers(0, 255), st.binary(max_size=12)).map(
                    lambda t: bytes(t[:2]) + t[2]
                ),
            ),
            st.floats(0, 5, allow_nan=False),
        ),
        max_size=60,
    )


@settings(max_examples=400, deadline=None)
@given(kind=st.sampled_from(["video", "audio"]), packets=_packets())
def test_random_packets_never_raise(kind: str, packets: list[Any]) -> None:
    out = Depacketizer(kind)
    now = 0.0
    frames = []
    for seq, timestamp, marker, payload, step in packets:
        now += step
        packet = RtpPacket(
            sequence_number=seq, timestamp=timestamp, marker=int(marker), payload=payload
        )
        frames += out.push(packet, now)
        frames += out.release(now)
    frames += out.flush()
    stamps = [f.timestamp for f in frames]
    assert stamps == sorted(set(stamps))  # strictly increasing: each has a place in a file
    if kind == "video" and frames:
        assert frames[0].keyframe and frames[0].width and frames[0].height


@settings(max_examples=200, deadline=None)
@given(
    corrupt=st.lists(
        st.tuples(st.integers(0, 400), st.integers(0, 40), st.binary(max_size=8)), max_size=6
    ),
    drop=st.sets(st.integers(0, 400), max_size=5),
)
def test_a_real_stream_with_corrupted_and_lost_packets(
    corrupt: list[tuple[int, int, bytes]], drop: set[int]
) -> None:
    frames = vp8_frames(30)
    packets = vp8_rtp(frames)
    out = Depacketizer("video")
    got = []
    for i, packet in enumerate(packets):
        if i in drop:
            continue
        for index, offset, junk in corrupt:
            if index == i:
                payload = packet.payload
                packet.payload = payload[:offset] + junk + payload[offset + len(junk) :]
        got += out.push(packet, i * 0.01)
    got += out.flush()
    untouched = {i for i in range(len(packets)) if i not in drop} - {c[0] for c in corrupt}
    if len(untouched) == len(packets):
        assert [f.data for f in got] == frames
    for frame in got:  # whatever comes out is a frame of the stream or starts at a keyframe
        assert frame.timestamp % 3000 == 0


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(["video", "audio"]),
    first=st.sampled_from([0, 0xFFF0, 0x7FF8]),
    steps=st.lists(st.integers(-4, 6), max_size=80),
    cuts=st.sets(st.integers(0, 80)),
    lost=st.sets(st.integers(0, 400), max_size=4),
)
def test_push_all_gives_what_push_gives_packet_by_packet(
    kind: str, first: int, steps: list[int], cuts: set[int], lost: set[int]
) -> None:
    """Batches (the recorder's) take a short path for in-order packets: same frames,
    same counters as one packet at a time, through reordering, duplicates and wraps."""
    source = vp8_rtp(vp8_frames(40), first_seq=first) if kind == "video" else opus_rtp(
        400, first_seq=first
    )
    arrivals = []
    index = 0
    for i, step in enumerate(steps + [1] * 40):
        index = max(0, min(len(source) - 1, index + step))
        if index not in lost:
            arrivals.append((source[index], i * 0.01))
    one, many = Depacketizer(kind), Depacketizer(kind)
    expected = [f for packet, now in arrivals for f in one.push(packet, now)]
    got: list[Any] = []
    start = 0
    for cut in sorted(cuts | {len(arrivals)}):
        got += many.push_all(arrivals[start:cut])
        start = max(start, cut)
    assert got == expected
    assert (many.buffer.lost, many.buffer.late, many.frames_dropped) == (
        one.buffer.lost, one.buffer.late, one.frames_dropped,
    )
    assert many.flush() == one.flush()
