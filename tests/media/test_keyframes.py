"""Keyframe detection on real VP8 payloads and descriptors; PliRateLimiter with a fake clock."""

from __future__ import annotations

import fractions

import av
import pytest
from aiortc.codecs.vpx import Vp8Encoder, VpxPayloadDescriptor

from media.keyframes import PliRateLimiter, is_keyframe_start


def encoded_frames(count: int) -> list[list[bytes]]:
    """Payloads of ``count`` frames from aiortc's VP8 encoder (first is a keyframe)."""
    encoder = Vp8Encoder()
    frames = []
    for i in range(count):
        frame = av.VideoFrame(320, 240, "yuv420p")
        for plane in frame.planes:
            plane.update(bytes([(i * 16 + 40) & 0xFF]) * plane.buffer_size)
        frame.pts = i * 3000
        frame.time_base = fractions.Fraction(1, 90000)
        payloads, _ = encoder.encode(frame, force_keyframe=(i == 3))
        frames.append(payloads)
    return frames


def test_real_vp8_payloads() -> None:
    frames = encoded_frames(5)
    assert is_keyframe_start(frames[0][0])
    assert not any(is_keyframe_start(p) for p in frames[0][1:])
    assert not is_keyframe_start(frames[1][0])  # delta frame
    assert not is_keyframe_start(frames[2][0])
    assert is_keyframe_start(frames[3][0])  # forced keyframe
    assert not is_keyframe_start(frames[4][0])


def test_descriptor_variants() -> None:
    keyframe_header = b"\x10\x02\x00\x9d\x01\x2a"  # P bit 0, then the keyframe start code
    delta_header = b"\x31\x02\x00"  # P bit 1
    for picture_id in (None, 5, 300):
        for tl0 in (None, 9):
            for tid, keyidx in ((None, None), ((1, 1), None), (None, 3), ((0, 0), 2)):
                descriptor = VpxPayloadDescriptor(
                    partition_start=1,
                    partition_id=0,
                    picture_id=picture_id,
                    tl0picidx=tl0,
                    tid=tid,
                    keyidx=keyidx,
                )
                assert is_keyframe_start(bytes(descriptor) + keyframe_header), descriptor
                assert not is_keyframe_start(bytes(descriptor) + delta_header), descriptor
                middle = VpxPayloadDescriptor(partition_start=0, partition_id=0)
                assert not is_keyframe_start(bytes(middle) + keyframe_header)


def test_other_partitions_and_truncated_payloads() -> None:
    other_partition = VpxPayloadDescriptor(partition_start=1, partition_id=1)
    assert not is_keyframe_start(bytes(other_partition) + b"\x10\x02\x00")
    assert not is_keyframe_start(b"")
    assert not is_keyframe_start(b"\x10")
    assert not is_keyframe_start(b"\x90\x80")  # extended, picture id byte missing
    assert not is_keyframe_start(b"\x90\x80\x85")  # long picture id, nothing after


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_first_request_goes_out_at_once() -> None:
    limiter = PliRateLimiter(0.5, clock=FakeClock())
    assert limiter.request() == 0.0
    assert not limiter.pending


def test_requests_inside_the_interval_are_deferred_not_lost() -> None:
    clock = FakeClock()
    limiter = PliRateLimiter(0.5, clock=clock)
    assert limiter.request() == 0.0
    clock.now += 0.1
    assert limiter.request() == pytest.approx(0.4)
    assert limiter.pending
    clock.now += 0.1
    assert limiter.request() is None  # already covered by the deferred one
    clock.now += 0.3
    assert limiter.flush()
    assert not limiter.pending
    # the flush counts as a send: the next request is again limited
    clock.now += 0.1
    assert limiter.request() == pytest.approx(0.4)


def test_after_the_interval_a_request_goes_out_again() -> None:
    clock = FakeClock()
    limiter = PliRateLimiter(0.5, clock=clock)
    limiter.request()
    clock.now += 0.5
    assert limiter.request() == 0.0


def test_flush_without_pending_request_sends_nothing() -> None:
    limiter = PliRateLimiter(0.5, clock=FakeClock())
    assert not limiter.flush()


def test_at_most_one_pli_per_interval_under_a_storm() -> None:
    clock = FakeClock()
    limiter = PliRateLimiter(0.5, clock=clock)
    sent = 0
    due: float | None = None
    for _ in range(1000):  # 10 s of requests every 10 ms
        clock.now += 0.01
        if due is not None and clock.now >= due:
            due = None
            sent += limiter.flush()
        delay = limiter.request()
        if delay == 0.0:
            sent += 1
        elif delay is not None:
            due = clock.now + delay
    assert 19 <= sent <= 21
