"""media/remb.py against aiortc's own REMB estimator, NACK generator and statistics.

The SFU replaced aiortc's per-packet receive bookkeeping with cheaper equivalents; these
tests feed both the same traces and require the same results at every packet.
"""

from __future__ import annotations

import random
from typing import Any

import aiortc.rtcrtpreceiver
import pytest
from aiortc import RTCCertificate
from aiortc.rate import RemoteBitrateEstimator
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcicetransport import RTCIceGatherer, RTCIceTransport
from aiortc.rtcrtpreceiver import NackGenerator, StreamStatistics
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RtcpPsfbPacket,
    RtpPacket,
    pack_remb_fci,
    unpack_remb_fci,
)

from media.fanout import NTP_UNIX_OFFSET
from media.receiver import REMB_BATCH_S, ForwardingReceiver
from media.remb import NackTracker, ReceiveStatistics, RembEstimator

Trace = list[tuple[int, int, int, int]]  # arrival ms, abs-send-time, size, ssrc


def random_trace(seed: int, count: int = 6000) -> Trace:
    """Bursts, pacing, reordered send times, equal arrival times, long gaps."""
    rng = random.Random(seed)
    arrival = rng.randrange(1 << 40)
    send = rng.randrange(1 << 24)
    trace = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.6:  # the rest of a burst
            send_ms, arrival_ms = 0, rng.choice((0, 0, 1))
        elif kind < 0.9:  # the next frame, with jitter
            send_ms, arrival_ms = rng.randrange(1, 40), rng.randrange(0, 60)
        elif kind < 0.97:
            send_ms, arrival_ms = rng.randrange(0, 5), rng.randrange(0, 5)
        elif kind < 0.99:  # reordered on the way
            send_ms, arrival_ms = -rng.randrange(1, 30), rng.randrange(0, 3)
        else:  # a pause, longer than the rate window
            send_ms, arrival_ms = rng.randrange(0, 3000), rng.randrange(0, 3000)
        send = (send + int(send_ms * (1 << 18) / 1000)) & 0xFFFFFF  # 6.18 fixed point
        arrival += arrival_ms
        trace.append((arrival, send, rng.randrange(0, 1300), rng.choice((1, 1, 1, 2))))
    return trace


def camera_trace(seconds: int = 60, seed: int = 1) -> Trace:
    """30 fps, four packets a frame, 0-2 ms of jitter: REMB about every 500 ms."""
    rng = random.Random(seed)
    trace, last = [], 0
    for index in range(seconds * 30 * 4):
        send_ms = index // 4 * 1000 / 30 + index % 4 * 0.2
        last = max(last, int(1_000_000 + send_ms + rng.choice((0, 0, 1, 2))))
        trace.append((last, int(send_ms * (1 << 18) / 1000) & 0xFFFFFF, 1100, 7))
    return trace


def assert_same_estimates(trace: Trace) -> int:
    theirs, ours = RemoteBitrateEstimator(), RembEstimator()
    sent = 0
    for index, (arrival, abs_send_time, size, ssrc) in enumerate(trace):
        expected = theirs.add(
            arrival_time_ms=arrival, abs_send_time=abs_send_time, payload_size=size, ssrc=ssrc
        )
        assert ours.add(arrival, abs_send_time, size, ssrc) == expected, index
        sent += expected is not None
    # the filter state is the same floats, not just the same decisions
    kalman, detector = ours._estimator, ours._detector
    assert kalman.E == theirs.estimator.E
    assert (kalman.slope, kalman._offset, kalman.var_noise, kalman.avg_noise) == (
        theirs.estimator.slope,
        theirs.estimator._offset,
        theirs.estimator.var_noise,
        theirs.estimator.avg_noise,
    )
    assert (detector.threshold, detector.hypothesis) == (
        theirs.detector.threshold,
        theirs.detector.hypothesis,
    )
    assert ours._rate_control.current_bitrate == theirs.rate_control.current_bitrate
    return sent


@pytest.mark.parametrize("seed", range(8))
def test_remb_matches_aiortc_on_random_traces(seed: int) -> None:
    assert assert_same_estimates(random_trace(seed)) > 0


def test_remb_matches_aiortc_for_a_camera() -> None:
    sent = assert_same_estimates(camera_trace(60))
    assert 100 <= sent <= 125  # every 500 ms once the estimate settled


def random_sequence(seed: int, count: int = 5000) -> list[int]:
    """Loss, reordering, duplicates, long jumps and wrap-around of 16-bit numbers."""
    rng = random.Random(seed)
    seq = rng.randrange(0x10000)
    out = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.8:
            seq += 1
        elif kind < 0.9:
            seq += rng.randrange(2, 6)  # loss
        elif kind < 0.95:
            out.append((seq - rng.randrange(1, 40)) & 0xFFFF)  # late or a repeat
            continue
        elif kind < 0.995:
            out.append(seq & 0xFFFF)  # duplicate
            continue
        else:
            seq += rng.choice((200, 1000, 0x7000, 0x9000))  # a jump
        out.append(seq & 0xFFFF)
    return out


@pytest.mark.parametrize("seed", range(4))
def test_nacks_match_aiortc(seed: int) -> None:
    theirs, ours = NackGenerator(), NackTracker()
    for index, seq in enumerate(random_sequence(seed, 3000)):
        expected = theirs.add(RtpPacket(sequence_number=seq))
        assert ours.add(seq) == expected, index
        assert ours.missing == theirs.missing, index
        assert ours.max_seq == theirs.max_seq


@pytest.mark.parametrize("seed", range(4))
def test_receive_statistics_match_aiortc(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    clock = [1_700_000_000.0]
    monkeypatch.setattr(aiortc.rtcrtpreceiver.time, "time", lambda: clock[0])
    theirs, ours = StreamStatistics(90000), ReceiveStatistics(90000)
    timestamp = rng.randrange(1 << 32)
    for index, seq in enumerate(random_sequence(seed, 3000)):
        clock[0] += rng.choice((0.0, 0.0005, 0.01, 0.033))
        if rng.random() < 0.3:
            timestamp = (timestamp + 3000) & 0xFFFFFFFF
        theirs.add(RtpPacket(sequence_number=seq, timestamp=timestamp))
        ours.arrive(seq, timestamp, clock[0])
        state = ("packets_received", "max_seq", "cycles", "base_seq", "jitter", "packets_lost")
        assert [getattr(ours, name) for name in state] == [
            getattr(theirs, name) for name in state
        ], index
        if index % 500 == 0:
            assert ours.fraction_lost == theirs.fraction_lost


async def test_the_receiver_sends_the_estimates_batched() -> None:
    """ForwardingReceiver runs the estimator every REMB_BATCH_S over the packets since:
    each REMB it sends is the latest one aiortc's estimator produces by then."""
    dtls = RTCDtlsTransport(
        RTCIceTransport(RTCIceGatherer()), [RTCCertificate.generateCertificate()]
    )
    receiver = ForwardingReceiver("video", dtls)
    receiver._set_rtcp_ssrc(4321)
    sent: list[tuple[int, list[int]]] = []

    def record(packet: Any) -> None:
        assert isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP
        assert packet.ssrc == 4321
        sent.append(unpack_remb_fci(packet.fci))

    receiver._send_rtcp_soon = record  # type: ignore[method-assign]
    reference = RemoteBitrateEstimator()
    expected: list[tuple[int, list[int]]] = []
    latest = None
    due = 0.0
    epoch_ms = (1_800_000_000 + NTP_UNIX_OFFSET) * 1000 - 1_000_000  # a 2027 wall clock
    for arrival, abs_send_time, size, ssrc in camera_trace(20):
        arrival += epoch_ms
        now = (arrival + 0.5) / 1000 - NTP_UNIX_OFFSET  # so that it maps back to arrival
        estimate = reference.add(
            arrival_time_ms=arrival, abs_send_time=abs_send_time, payload_size=size, ssrc=ssrc
        )
        latest = estimate or latest
        if now >= due:  # the receiver's batch ends with this packet
            due = now + REMB_BATCH_S
            if latest is not None:
                expected.append(unpack_remb_fci(pack_remb_fci(*latest)))  # (as sent)
                latest = None
        packet = RtpPacket(payload_type=96, ssrc=ssrc, payload=bytes(size))
        packet.extensions.abs_send_time = abs_send_time
        receiver.handle_rtp(packet, now)
    assert len(expected) >= 30
    assert sent == expected
