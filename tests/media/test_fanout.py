"""TrackFanout without a network: stub senders and a stub source receiver."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from aiortc.rtp import RtpPacket

from media.fanout import TrackFanout
from media.keyframes import KeyframePolicy
from media.sender import ForwardingCounters

KEYFRAME = b"\x90\x80\x05\x10\x02\x00\x9d\x01\x2a"  # X, I (pic id 5); VP8 header P=0
DELTA = b"\x90\x80\x06\x31\x02\x00"  # VP8 header P=1: an interframe


class StubSender:
    def __init__(self) -> None:
        self.forwarded: list[tuple[int, bool]] = []
        self.request_keyframe: Callable[[], None] | None = None
        self.resyncs: list[int] = []  # the forwarded count at each resync

    def resync(self) -> None:
        self.resyncs.append(len(self.forwarded))

    def attach(self, counters: Any, request_keyframe: Callable[[], None], on_stop: Any) -> None:
        self.request_keyframe = request_keyframe

    def forward(self, packet: RtpPacket, keyframe: bool, now: float, ntp: int, ast: int) -> None:
        assert ast == (ntp >> 14) & 0xFFFFFF
        self.forwarded.append((packet.sequence_number, keyframe))


class StubReceiver:
    def __init__(self) -> None:
        self.plis: list[int] = []

    def attach(self, fanout: TrackFanout) -> None:
        pass

    async def send_pli(self, ssrc: int) -> None:
        self.plis.append(ssrc)


def packet(seq: int, payload: bytes = DELTA, ssrc: int = 1234) -> RtpPacket:
    return RtpPacket(payload_type=96, sequence_number=seq, timestamp=seq * 3000, ssrc=ssrc,
                     payload=payload)  # fmt: skip


def fanout_with(*senders: StubSender) -> tuple[TrackFanout, StubReceiver, ForwardingCounters]:
    counters = ForwardingCounters()
    fanout = TrackFanout("video", "video-0", counters, KeyframePolicy())
    source = StubReceiver()
    fanout.set_source(source)  # type: ignore[arg-type]
    for sender in senders:
        fanout.add(sender)  # type: ignore[arg-type]
    return fanout, source, counters


def test_every_subscriber_gets_every_packet_once() -> None:
    one, two = StubSender(), StubSender()
    fanout, _, counters = fanout_with(one, two)
    for seq in (10, 11, 11, 12, 10):  # RTX probes repeat delivered packets
        fanout.forward(packet(seq))
    assert one.forwarded == two.forwarded == [(10, False), (11, False), (12, False)]
    assert counters.packets_received == 5


def test_keyframe_starts_are_flagged() -> None:
    sender = StubSender()
    fanout, _, _ = fanout_with(sender)
    fanout.forward(packet(1, KEYFRAME))
    fanout.forward(packet(2, DELTA))
    assert sender.forwarded == [(1, True), (2, False)]


def test_a_new_source_resets_duplicate_suppression() -> None:
    sender = StubSender()
    fanout, _, _ = fanout_with(sender)
    fanout.forward(packet(5, ssrc=1))
    fanout.forward(packet(5, ssrc=2))
    assert sender.forwarded == [(5, False), (5, False)]


def test_removed_subscribers_get_nothing() -> None:
    one, two = StubSender(), StubSender()
    fanout, _, _ = fanout_with(one, two)
    fanout.remove(one)  # type: ignore[arg-type]
    fanout.forward(packet(1))
    assert one.forwarded == [] and two.forwarded == [(1, False)]


async def test_one_keyframe_request_serves_a_burst_and_is_repeated_if_unanswered() -> None:
    sender = StubSender()
    fanout, source, counters = fanout_with(sender)
    assert sender.request_keyframe is not None
    sender.request_keyframe()  # no packet yet: the SSRC is unknown, nothing to ask
    assert counters.keyframe_requests_sent == 0
    fanout.forward(packet(1, ssrc=777))
    for _ in range(10):  # a burst of PLIs from subscribers
        sender.request_keyframe()
    await asyncio.sleep(0)
    assert source.plis == [777]
    await asyncio.sleep(0.3)  # no keyframe came: asked again after retry_s (0.2 s)
    assert source.plis == [777, 777]
    assert counters.keyframe_requests_sent == 2
    fanout.close()


async def test_a_request_right_after_a_keyframe_is_sent_promptly() -> None:
    """The earlier policy held it for the rest of a 0.5 s interval."""
    sender = StubSender()
    fanout, source, _ = fanout_with(sender)
    assert sender.request_keyframe is not None
    fanout.forward(packet(1, ssrc=777))
    sender.request_keyframe()
    await asyncio.sleep(0)
    fanout.forward(packet(2, KEYFRAME, ssrc=777))  # the keyframe that PLI asked for
    sender.request_keyframe()  # a joiner just after it: due one min gap (0.1 s) later
    await asyncio.sleep(0.15)
    assert source.plis == [777, 777]
    fanout.forward(packet(3, KEYFRAME, ssrc=777))
    await asyncio.sleep(0.3)  # served: no retry
    assert source.plis == [777, 777]
    fanout.close()


async def test_no_repeats_once_the_waiting_subscribers_are_gone() -> None:
    sender = StubSender()
    fanout, source, _ = fanout_with(sender)
    assert sender.request_keyframe is not None
    fanout.forward(packet(1, ssrc=777))
    sender.request_keyframe()
    await asyncio.sleep(0)
    fanout.remove(sender)  # type: ignore[arg-type]  # left before the keyframe came
    await asyncio.sleep(0.5)  # a repeat would have gone at 0.2 s
    assert source.plis == [777]
    fanout.close()


async def test_a_keyframe_with_no_subscriber_still_counts() -> None:
    sender = StubSender()
    fanout, source, _ = fanout_with(sender)
    assert sender.request_keyframe is not None
    fanout.forward(packet(1, ssrc=777))
    sender.request_keyframe()
    await asyncio.sleep(0)
    fanout.remove(sender)  # type: ignore[arg-type]
    fanout.forward(packet(2, KEYFRAME, ssrc=777))  # the keyframe asked for, nobody left
    fanout.add(sender)  # type: ignore[arg-type]
    await asyncio.sleep(0.15)
    sender.request_keyframe()  # not covered by the answered request: sent
    await asyncio.sleep(0)
    assert source.plis == [777, 777]
    fanout.close()


def test_audio_never_asks_for_keyframes() -> None:
    counters = ForwardingCounters()
    fanout = TrackFanout("audio", "audio-0", counters, KeyframePolicy())
    fanout.request_keyframe()
    assert counters.keyframe_requests_sent == 0


def test_a_failing_subscriber_is_dropped_and_the_others_continue() -> None:
    class Broken(StubSender):
        def forward(
            self, packet: RtpPacket, keyframe: bool, now: float, ntp: int, ast: int
        ) -> None:
            raise OSError("socket gone")

    broken, healthy = Broken(), StubSender()
    fanout, _, _ = fanout_with(broken, healthy)
    fanout.forward(packet(1))
    fanout.forward(packet(2))
    assert healthy.forwarded == [(1, False), (2, False)]
    assert broken not in fanout.senders


async def test_a_disabled_track_reaches_no_subscriber_until_enabled() -> None:
    one, two = StubSender(), StubSender()
    fanout, source, _ = fanout_with(one, two)
    fanout.forward(packet(1, KEYFRAME))
    fanout.set_enabled(False)  # a host's hard mute
    for seq in (2, 3, 4):
        fanout.forward(packet(seq))
    assert one.forwarded == two.forwarded == [(1, True)]
    fanout.set_enabled(True)  # lifted: video resumes from a keyframe, asked for at once
    await asyncio.sleep(0)
    assert source.plis == [1234]
    fanout.forward(packet(5, KEYFRAME))
    assert one.forwarded == two.forwarded == [(1, True), (5, True)]
    fanout.close()


class StubSink:
    def __init__(self) -> None:
        self.packets: list[tuple[int, bool]] = []
        self.reports: list[tuple[int, int, int, float]] = []
        self.ended = False

    def packet(self, packet: RtpPacket, keyframe_start: bool, now: float) -> None:
        self.packets.append((packet.sequence_number, keyframe_start))

    def sender_report(self, ssrc: int, rtp_timestamp: int, ntp: int, now: float) -> None:
        self.reports.append((ssrc, rtp_timestamp, ntp, now))

    def source_ended(self) -> None:
        self.ended = True


async def test_a_sink_gets_packets_reports_and_the_end_without_any_subscriber() -> None:
    fanout, source, _ = fanout_with()
    fanout.sender_report(1234, 10, 20, 1.0)  # before the sink: handed over on adding
    sink = StubSink()
    fanout.add_sink(sink)
    fanout.forward(packet(1, KEYFRAME))
    fanout.forward(packet(1, KEYFRAME))  # a duplicate: suppressed
    fanout.forward(packet(2))
    fanout.sender_report(1234, 30, 40, 2.0)
    fanout.request_keyframe()
    await asyncio.sleep(0)
    assert sink.packets == [(1, True), (2, False)]
    assert sink.reports == [(1234, 10, 20, 1.0), (1234, 30, 40, 2.0)]
    assert source.plis == [1234]  # a sink's keyframe request goes upstream
    fanout.remove_sink(sink)
    fanout.forward(packet(3))
    assert len(sink.packets) == 2
    fanout.add_sink(sink)
    fanout.close()
    assert sink.ended


def test_packets_lost_across_a_silence_resync_the_subscribers() -> None:
    # a cut network path (then an ICE restart): packets 3-59 never arrive; a subscriber
    # waiting for them would stall, so every one continues without the gap
    one, two = StubSender(), StubSender()
    fanout, _, _ = fanout_with(one, two)
    fanout.forward(packet(1), now=100.0)
    fanout.forward(packet(2), now=100.03)
    fanout.forward(packet(60, KEYFRAME), now=105.0)
    fanout.forward(packet(61), now=105.03)
    assert one.resyncs == two.resyncs == [2]  # once, before the first packet after it
    assert one.forwarded == [(1, False), (2, False), (60, True), (61, False)]


def test_a_silence_without_loss_or_loss_without_silence_does_not_resync() -> None:
    sender = StubSender()
    fanout, _, _ = fanout_with(sender)
    fanout.forward(packet(1), now=100.0)
    fanout.forward(packet(2), now=103.0)  # a paused sender: nothing lost
    fanout.forward(packet(5), now=103.1)  # ordinary loss: NACKs recover it
    fanout.forward(packet(4), now=103.2)  # reordered
    fanout.forward(packet(6), now=103.3)
    assert sender.resyncs == []
