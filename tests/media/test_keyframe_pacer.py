"""KeyframeRequestPacer with a manual clock: prompt for late joiners, bounded upstream."""

from __future__ import annotations

import itertools
import random

import pytest

from media.keyframes import (
    FixedIntervalPacer,
    KeyframePacer,
    KeyframePolicy,
    KeyframeRequestPacer,
)


def pacer(**overrides: float) -> KeyframeRequestPacer:
    made = KeyframePolicy(**overrides).pacer()
    assert isinstance(made, KeyframeRequestPacer)
    return made


def test_the_first_request_goes_out_at_once_and_arms_a_retry() -> None:
    assert pacer().want(10.0) == (True, 0.2)


def test_one_request_serves_every_joiner_waiting() -> None:
    p = pacer()
    assert p.want(10.0)[0]
    for i in range(1, 20):  # joiners arriving while the keyframe is on its way
        send, wake = p.want(10.0 + i * 0.005)
        assert not send
        assert wake == pytest.approx(0.2 - i * 0.005)
    p.keyframe(10.12)
    assert not p.waiting
    assert p.due(10.2) == (False, None)  # served: the armed retry sends nothing


def test_a_joiner_right_after_a_keyframe_gets_the_next_promptly() -> None:
    p = pacer()
    assert p.want(10.0)[0]
    p.keyframe(10.04)
    # the old policy would hold this one until 10.5
    send, wake = p.want(10.06)
    assert not send and wake == pytest.approx(0.04)  # one min gap after the last PLI
    assert p.due(10.1) == (True, 0.2)


def test_a_keyframe_that_does_not_come_is_asked_for_again_with_backoff() -> None:
    p = pacer()
    assert p.want(0.0) == (True, 0.2)
    assert p.due(0.2) == (True, 0.4)
    assert p.due(0.6) == (True, 0.8)
    assert p.due(1.4) == (True, 1.0)
    assert p.due(2.4) == (True, 1.0)  # capped at max_retry_s
    p.keyframe(2.5)
    assert p.want(3.0) == (True, 0.2)  # a keyframe resets the backoff


def test_a_timer_firing_a_hair_early_still_sends() -> None:
    p = pacer()
    p.want(0.0)
    assert p.due(0.2 - 1e-7)[0]


def test_a_stream_of_joiners_is_paced_by_the_token_bucket() -> None:
    p = pacer(max_per_s=5, burst=2)
    times = []
    now = 0.0
    for _ in range(200):  # keyframes arrive at once, joiners keep coming every 10 ms
        send, _ = p.want(now)
        if send:
            times.append(round(now, 6))
            p.keyframe(now + 0.001)
        now += 0.01
    # the burst one min gap apart, then one every 1 / max_per_s
    assert times == pytest.approx([0.0, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8])
    # idle: the bucket fills up to the burst again
    for now in (10.0, 10.1, 10.2):  # the refill since 10.0 pays for a third
        assert p.want(now)[0]
        p.keyframe(now + 0.001)
    send, wake = p.want(10.3)
    assert not send and wake == pytest.approx(0.1)


def test_a_storm_of_random_joiners_stays_bounded_and_everyone_is_served() -> None:
    """500 joiners at random over 20 s, keyframes 30 ms after each PLI: nobody waits
    long, and the publisher sees 5 per second on average, never more than 6 in one."""
    rng = random.Random(5)
    joins = sorted(rng.uniform(0, 20) for _ in range(500))
    p: KeyframePacer = pacer()
    sent: list[float] = []
    waits: list[float] = []
    waiting: list[float] = []
    timer: float | None = None
    keyframe_at: float | None = None
    events = [(t, "join") for t in joins]
    now = 0.0
    while events or timer is not None or keyframe_at is not None:
        candidates = [e[0] for e in events[:1]]
        candidates += [t for t in (timer, keyframe_at) if t is not None]
        now = min(candidates)
        if keyframe_at is not None and now == keyframe_at:
            keyframe_at = None
            p.keyframe(now)
            waits += [now - t for t in waiting]
            waiting.clear()
            continue
        if timer is not None and now == timer:
            timer = None
            send, wake = p.due(now)
        else:
            events.pop(0)
            waiting.append(now)
            send, wake = p.want(now)
        if send:
            sent.append(now)
            if keyframe_at is None:
                keyframe_at = now + 0.03
        if wake is not None and (timer is None or now + wake < timer):
            timer = now + wake
    assert len(waits) == 500
    assert max(waits) < 1.0
    for t in sent:  # max_per_s + burst - 1
        assert len([s for s in sent if t <= s < t + 1.0 - 1e-6]) <= 6
    assert len(sent) <= 5 * 21 + 2
    assert all(b - a >= 0.1 - 1e-9 for a, b in itertools.pairwise(sent))


def test_fixed_interval_pacer_keeps_the_old_policy() -> None:
    p = FixedIntervalPacer(0.5)
    assert p.want(10.0) == (True, None)
    p.keyframe(10.04)  # changes nothing
    send, wake = p.want(10.06)
    assert not send and wake == pytest.approx(0.44)
    assert p.want(10.1) == (False, None)  # covered by the deferred one
    assert p.due(10.5) == (True, None)


def test_fixed_interval_policy_selects_the_old_pacer() -> None:
    assert isinstance(KeyframePolicy(fixed_interval_s=0.5).pacer(), FixedIntervalPacer)


def test_invalid_policies_are_refused() -> None:
    with pytest.raises(ValueError):
        KeyframePolicy(max_per_s=0).pacer()
    with pytest.raises(ValueError):
        KeyframePolicy(burst=0.5).pacer()
    with pytest.raises(ValueError):
        KeyframePolicy(retry_s=0.5, max_retry_s=0.2).pacer()
