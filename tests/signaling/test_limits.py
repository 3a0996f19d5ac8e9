"""Per-connection limits, fed values with a pinned clock."""

from __future__ import annotations

import pytest

from rooms.clock import ManualClock
from signaling.errors import SignalingError
from signaling.limits import ROUNDTABLE_RATE, ConnectionLimits
from tests.live_server import live_server


def test_media_events_are_rate_limited_after_a_burst() -> None:
    clock = ManualClock(1000.0)
    limits = ConnectionLimits(clock, media_rate_per_s=1.0, media_burst=3)
    for _ in range(3):
        limits.admit("subscribe")
        limits.done()
    with pytest.raises(SignalingError) as refused:
        limits.admit("publish")
    assert refused.value.code == "rate_limited"
    assert refused.value.retry_after_s == pytest.approx(1.0)  # a token a second
    clock.advance(0.25)
    with pytest.raises(SignalingError) as refused:
        limits.admit("publish")
    assert refused.value.retry_after_s == pytest.approx(0.75)
    limits.admit("mute")  # other events have buckets of their own
    limits.done()
    clock.advance(0.75)
    limits.admit("publish")
    limits.done()


def test_queued_events_are_bounded() -> None:
    limits = ConnectionLimits(ManualClock(), max_queued=2)
    limits.admit("mute")
    limits.admit("mute")
    with pytest.raises(SignalingError) as refused:
        limits.admit("mute")
    assert refused.value.code == "busy"
    limits.done()
    limits.admit("mute")


def test_default_limits_are_the_documented_ones() -> None:
    """docs/protocol.md: 16 events waiting; media events 30 in a burst, then 2 a second;
    mute 10 in a burst, then 4 a second; join and leave 10 in a burst, then one every 2 s."""
    clock = ManualClock(1000.0)
    limits = ConnectionLimits(clock)
    for _ in range(30):
        limits.admit("subscribe")
        limits.done()
    with pytest.raises(SignalingError) as refused:
        limits.admit("subscription_answer")
    assert refused.value.code == "rate_limited"
    clock.advance(0.5)  # one token at 2/s ...
    limits.admit("publish")
    limits.done()
    clock.advance(0.49)  # ... and not yet the next
    with pytest.raises(SignalingError):
        limits.admit("publish")
    clock.advance(3600)  # a long pause saves up the burst again, no more
    for _ in range(30):
        limits.admit("subscribe")
        limits.done()
    with pytest.raises(SignalingError):
        limits.admit("subscribe")

    for _ in range(10):
        limits.admit("mute")
        limits.done()
    with pytest.raises(SignalingError):
        limits.admit("mute")  # mute: a burst of 10 ...
    clock.advance(0.25)
    limits.admit("mute")  # ... then 4 a second
    limits.done()
    clock.advance(0.24)
    with pytest.raises(SignalingError):
        limits.admit("mute")

    for event in ["join", "leave"] * 5:
        limits.admit(event)
        limits.done()
    with pytest.raises(SignalingError) as refused:
        limits.admit("join")  # join and leave: a burst of 10 together ...
    assert refused.value.code == "rate_limited"
    assert refused.value.retry_after_s == pytest.approx(2.0)
    clock.advance(2.0)
    limits.admit("leave")  # ... then one every 2 s
    limits.done()
    clock.advance(1.99)
    with pytest.raises(SignalingError):
        limits.admit("join")

    for _ in range(16):
        limits.admit("lower_hand")  # no budget of its own: only the queue bound applies
    with pytest.raises(SignalingError) as refused:
        limits.admit("lower_hand")
    assert refused.value.code == "busy"


def test_roundtable_events_share_one_documented_budget() -> None:
    """docs/protocol.md: roundtable events 20 in a burst, then four a second, together."""
    clock = ManualClock(1000.0)
    limits = ConnectionLimits(clock)
    for event in ["raise_hand", "lower_hand"] * 10:
        limits.admit(event, ROUNDTABLE_RATE)
        limits.done()
    with pytest.raises(SignalingError) as refused:
        limits.admit("hard_mute", ROUNDTABLE_RATE)
    assert refused.value.code == "rate_limited"
    limits.admit("mute")  # the call's events keep their own buckets
    limits.done()
    clock.advance(0.25)
    limits.admit("promote", ROUNDTABLE_RATE)
    limits.done()


async def test_every_roundtable_event_carries_the_roundtable_rate_class() -> None:
    async with live_server() as server:
        table = server.services.namespace.events
        roundtable = {e for e, spec in table.items() if spec.rate_class == ROUNDTABLE_RATE}
        assert roundtable == {e for e, spec in table.items() if spec.handler.__module__ in (
            "signaling.roundtable_events", "signaling.floor_events", "signaling.breakout_events",
            "signaling.video_pins", "signaling.hard_mute_events",
            "signaling.recording_events")}
        assert {"raise_hand", "lower_hand", "hard_mute", "admit"} <= roundtable
