"""Token buckets per key and the aggregate refusal log, fed values with a pinned clock."""

from __future__ import annotations

import logging

import pytest

from rooms.clock import ManualClock
from signaling.limits import ConnectionLimits
from signaling.rate_limits import RateLimiter, RefusalLog, TokenBucket


def test_a_bucket_says_how_long_to_wait() -> None:
    bucket = TokenBucket(rate=0.5, burst=2, tokens=2, updated=0.0)
    assert bucket.take(0.0) and bucket.take(0.0) and not bucket.take(0.0)
    assert bucket.wait_s(0.0) == pytest.approx(2.0)
    assert bucket.wait_s(1.5) == pytest.approx(0.5)
    assert bucket.take(2.0)


def test_keys_have_their_own_buckets_and_old_keys_are_forgotten() -> None:
    clock = ManualClock(100.0)
    limiter = RateLimiter(clock, rate_per_s=1 / 60, burst=2, max_keys=2)
    assert limiter.take("ada") == 0 and limiter.take("ada") == 0
    assert limiter.take("ada") == pytest.approx(60.0)
    assert limiter.take("grace") == 0
    clock.advance(30)
    assert limiter.take("ada") == pytest.approx(30.0)
    limiter.take("kenji")  # a third key: "grace", the least recently used, is forgotten
    assert limiter.take("ada") > 0


def test_refusals_are_logged_once_per_interval(caplog: pytest.LogCaptureFixture) -> None:
    clock = ManualClock(0.0)
    log = RefusalLog(clock, "connection x", every_s=10.0)
    with caplog.at_level(logging.INFO, logger="signaling.rate_limits"):
        for _ in range(1000):
            log.note("unknown_event")
        clock.advance(10.0)
        log.note("rate_limited")
        log.flush()
        log.flush()
    assert [r.getMessage() for r in caplog.records] == [
        "refused events from connection x in the last 0 s: unknown_event x1",
        "refused events from connection x in the last 10 s: rate_limited x1, "
        "unknown_event x999",
    ]


def test_mute_toggles_are_rate_limited_per_connection() -> None:
    clock = ManualClock(0.0)
    limits = ConnectionLimits(clock, mute_rate_per_s=1.0, mute_burst=2)
    for _ in range(2):
        limits.admit("mute")
        limits.done()
    with pytest.raises(Exception, match="rate_limited"):
        limits.admit("mute")
    limits.admit("subscribe")  # the media bucket is another one
    limits.done()
    clock.advance(1.0)
    limits.admit("mute")
