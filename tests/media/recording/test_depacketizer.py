"""The recorder's depacketiser: reordering, waiting for gaps, VP8 frames, loss handling."""

from __future__ import annotations

import random

from media.recording.depacketizer import (
    REORDER_WAIT_S,
    Depacketizer,
    ReorderBuffer,
    vp8_keyframe_size,
)
from tests.media.recording.rtp_streams import VIDEO_TICKS, opus_rtp, vp8_frames, vp8_rtp


def test_in_order_vp8_gives_every_frame_unchanged() -> None:
    frames = vp8_frames(45)
    out = Depacketizer("video")
    got = []
    for i, packet in enumerate(vp8_rtp(frames)):
        got += out.push(packet, i * 0.001)
    assert [f.data for f in got] == frames
    assert [f.timestamp for f in got] == [i * VIDEO_TICKS for i in range(45)]
    assert [f.keyframe for f in got] == [i % 15 == 0 for i in range(45)]
    assert (got[0].width, got[0].height) == (320, 180)
    assert not out.needs_keyframe


def test_reordered_packets_within_the_wait_are_put_back_in_order() -> None:
    frames = vp8_frames(30)
    packets = vp8_rtp(frames, first_seq=65500, first_ts=0xFFFFFFFF - 5 * VIDEO_TICKS)
    rng = random.Random(5)
    shuffled = packets[:1]  # the stream starts at its first packet, then arrives shuffled
    for start in range(1, len(packets), 6):  # within windows of 6 packets
        window = packets[start : start + 6]
        rng.shuffle(window)
        shuffled += window
    out = Depacketizer("video")
    got = []
    for i, packet in enumerate(shuffled):
        got += out.push(packet, i * 0.001)  # all arrive well within the wait
    assert [f.data for f in got] == frames
    # sequence numbers and timestamps wrapped: timestamps keep counting
    stamps = [f.timestamp for f in got]
    assert stamps == sorted(stamps) and stamps[-1] - stamps[0] == 29 * VIDEO_TICKS
    assert stamps[-1] > 0xFFFFFFFF


def test_a_packet_recovered_before_the_wait_ends_loses_nothing() -> None:
    frames = vp8_frames(10)
    packets = vp8_rtp(frames)
    late = packets.pop(4)
    out = Depacketizer("video")
    got = []
    for i, packet in enumerate(packets):
        got += out.push(packet, 0.01 * i)
    got += out.push(late, 0.01 * len(packets))  # a NACK brought it back, 100 ms on
    assert [f.data for f in got] == frames
    assert out.buffer.lost == 0


def test_a_lost_packet_drops_its_frame_and_every_frame_until_the_next_keyframe() -> None:
    frames = vp8_frames(45)  # keyframes at 0, 15, 30
    packets = vp8_rtp(frames)
    # lose the (last) packet of frame 5
    lost = max(i for i, p in enumerate(packets) if p.timestamp == 5 * VIDEO_TICKS)
    out = Depacketizer("video")
    got = []
    needed = []
    now = 0.0
    for i, packet in enumerate(packets):
        if i == lost:
            continue
        now = i * 0.033
        got += out.push(packet, now)
        got += out.release(now)
        needed.append(out.needs_keyframe)
    got += out.flush()
    kept = [f.timestamp // VIDEO_TICKS for f in got]
    assert kept == [*range(5), *range(15, 45)]
    assert any(needed), "the depacketiser never asked for a keyframe"
    assert not out.needs_keyframe
    assert out.buffer.lost == 1
    assert out.frames_dropped == 9  # 6..14 (frame 5 is one packet: lost whole)


def test_the_gap_is_given_up_after_the_wait_not_before() -> None:
    buffer = ReorderBuffer()
    packets = opus_rtp(4)
    assert [o.packet for o in buffer.push(packets[0], 0.0)] == [packets[0]]
    assert buffer.push(packets[2], 0.02) == []
    assert buffer.push(packets[3], 0.04) == []
    assert buffer.deadline == 0.02 + REORDER_WAIT_S
    assert buffer.release(0.02 + REORDER_WAIT_S / 2) == []
    released = buffer.release(0.02 + REORDER_WAIT_S)
    assert [(o.packet, o.gap) for o in released] == [(packets[2], True), (packets[3], False)]
    assert buffer.push(packets[1], 0.5) == []  # too late now
    assert (buffer.lost, buffer.late) == (1, 1)


def test_opus_loses_only_the_missing_packet() -> None:
    packets = opus_rtp(20)
    del packets[7]
    out = Depacketizer("audio")
    got = []
    for i, packet in enumerate(packets):
        got += out.push(packet, i * 0.02)
        got += out.release(i * 0.02)
    got += out.flush()
    assert [f.timestamp // 960 for f in got] == [i for i in range(20) if i != 7]


def test_a_stream_starting_mid_gop_waits_for_a_keyframe() -> None:
    frames = vp8_frames(20)
    out = Depacketizer("video")
    got = []
    for packet in vp8_rtp(frames)[vp8_start(frames, 3) :]:
        got += out.push(packet, 0.0)
    assert got and got[0].keyframe and got[0].timestamp == 15 * VIDEO_TICKS


def vp8_start(frames: list[bytes], index: int) -> int:
    """Index of the first packet of frame ``index``."""
    return next(i for i, p in enumerate(vp8_rtp(frames)) if p.timestamp == index * VIDEO_TICKS)


def test_keyframe_size_needs_the_start_code() -> None:
    keyframe = vp8_frames(1)[0]
    assert vp8_keyframe_size(keyframe) == (320, 180)
    assert vp8_keyframe_size(keyframe[:3] + b"\0\0\0" + keyframe[6:]) is None
    assert vp8_keyframe_size(keyframe[:9]) is None
