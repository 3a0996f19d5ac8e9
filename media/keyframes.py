"""Keyframes without decoding: spotting VP8 keyframe starts, pacing keyframe requests.

A new video subscriber can only start at a keyframe, which the SFU recognises from the
VP8 payload descriptor and header bits (RFC 7741), and asks the publisher for with a
PLI - paced, since every join and every subscriber's PLI would otherwise reach the
publisher: one request serves every subscriber waiting (:class:`KeyframePolicy`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from media.vp8 import vp8_descriptor_size

_EARLY = 1e-6  # a timer may fire a hair early (clock resolution): that close is due


def is_keyframe_start(payload: bytes) -> bool:
    """True when ``payload`` is the first packet of a VP8 keyframe.

    The payload descriptor must have S=1 and PID=0 (start of partition 0); the first
    byte of the VP8 payload header that follows has the inverse keyframe bit P, which
    is 0 for a keyframe.
    """
    descriptor = vp8_descriptor_size(payload)
    if descriptor is None:
        return False
    starts_frame, pos = descriptor
    return starts_frame and payload[pos] & 0x01 == 0


class PliRateLimiter:
    """Lets at most one keyframe request through per ``interval_s``, never losing one.

    A request inside the interval is not dropped: it becomes *pending* and
    :meth:`request` tells the caller how long to wait before calling :meth:`flush`, so a
    subscriber that asked just after another still gets its keyframe (one PLI covers
    both). ``clock`` returns monotonic seconds; tests inject their own.
    """

    def __init__(self, interval_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = interval_s
        self._clock = clock
        self._last_sent: float | None = None
        self._pending = False

    @property
    def pending(self) -> bool:
        """True while a suppressed request waits for the interval to end."""
        return self._pending

    def request(self) -> float | None:
        """Ask for a keyframe.

        Returns 0.0 when a PLI should be sent now, the delay in seconds after which to
        call :meth:`flush` when the request was deferred, or None when an earlier
        deferred request already covers this one.
        """
        now = self._clock()
        if self._last_sent is None or now - self._last_sent >= self._interval:
            self._last_sent = now
            self._pending = False
            return 0.0
        if self._pending:
            return None
        self._pending = True
        return self._interval - (now - self._last_sent)

    def flush(self) -> bool:
        """Called when a deferred request is due: True when the PLI should be sent now."""
        if not self._pending:
            return False
        # The caller waited the delay :meth:`request` gave; timers may fire a hair early.
        self._pending = False
        self._last_sent = self._clock()
        return True


@dataclass(frozen=True)
class KeyframePolicy:
    """How often the SFU may ask one publisher's video track for a keyframe.

    A request goes upstream when a subscriber waits for a keyframe (a new subscriber,
    a source switch, or a subscriber's own PLI) and no request is outstanding, at least
    ``min_gap_s`` (about one round trip) after the previous one, and within a token
    bucket: ``max_per_s`` requests per second on average, ``burst`` at once (so never
    more than ``max_per_s + burst - 1`` in any second; under a stream of joiners one
    every ``1 / max_per_s`` seconds). One request serves every subscriber waiting: any
    keyframe start that arrives serves them all. When no keyframe follows within
    ``retry_s`` the request is repeated, each repeat waiting twice as long (up to
    ``max_retry_s``). ``fixed_interval_s`` selects the earlier policy instead (one
    request per interval, deferred requests sent when it ends): kept as the baseline
    ``bench/first_frame.py`` measures against.
    """

    min_gap_s: float = 0.1
    retry_s: float = 0.2
    max_retry_s: float = 1.0
    max_per_s: float = 5.0
    burst: float = 2.0
    fixed_interval_s: float | None = None

    def pacer(self) -> KeyframePacer:
        """A new pacer for one track, following this policy."""
        if self.fixed_interval_s is not None:
            return FixedIntervalPacer(self.fixed_interval_s)
        return KeyframeRequestPacer(
            self.min_gap_s, self.retry_s, self.max_retry_s, self.max_per_s, self.burst
        )


class KeyframePacer(Protocol):
    """Decides when to send a keyframe request (PLI) upstream for one track.

    Pure logic: the caller passes monotonic ``now`` seconds and keeps one timer. Each
    method returning a decision returns ``(send_now, wake_after)``: send one PLI now if
    ``send_now``; call :meth:`due` after ``wake_after`` seconds unless it is None.
    """

    def want(self, now: float) -> tuple[bool, float | None]:
        """A subscriber needs a keyframe."""

    def due(self, now: float) -> tuple[bool, float | None]:
        """The timer the last decision asked for fired."""

    def keyframe(self, now: float) -> None:
        """The start of a keyframe arrived from the publisher (it serves every waiter)."""


class KeyframeRequestPacer:
    """The :class:`KeyframePolicy` pacer: prompt for waiting subscribers, bounded upstream."""

    def __init__(
        self,
        min_gap_s: float,
        retry_s: float,
        max_retry_s: float,
        max_per_s: float,
        burst: float,
    ) -> None:
        if min_gap_s < 0 or retry_s <= 0 or max_retry_s < retry_s or max_per_s <= 0:
            raise ValueError("invalid keyframe request policy")
        if burst < 1:
            raise ValueError("invalid keyframe request policy")
        self._min_gap = min_gap_s
        self._retry = retry_s
        self._max_retry = max_retry_s
        self._rate = max_per_s
        self._burst = burst
        self._tokens = burst
        self._tokens_at: float | None = None  # when _tokens was last brought up to date
        self._last_sent: float | None = None
        self._waiting = False  # a request is unserved (no keyframe since it was made)
        self._outstanding_at: float | None = None  # last PLI, while no keyframe followed
        self._retry_wait = retry_s

    @property
    def waiting(self) -> bool:
        """True while some subscriber's request has not been served by a keyframe."""
        return self._waiting

    def want(self, now: float) -> tuple[bool, float | None]:
        self._waiting = True
        return self._decide(now)

    def due(self, now: float) -> tuple[bool, float | None]:
        return self._decide(now)

    def keyframe(self, now: float) -> None:
        self._waiting = False
        self._outstanding_at = None
        self._retry_wait = self._retry

    def _decide(self, now: float) -> tuple[bool, float | None]:
        if not self._waiting:
            return False, None
        outstanding = self._outstanding_at
        if outstanding is not None:
            retry_at = outstanding + self._retry_wait
            if now < retry_at - _EARLY:
                return False, retry_at - now  # the request in flight serves this one
        earliest = self._earliest(now)
        if now < earliest - _EARLY:
            return False, earliest - now
        if outstanding is not None:  # a repeat: the one before went unanswered
            self._retry_wait = min(self._retry_wait * 2, self._max_retry)
        self._outstanding_at = now
        self._last_sent = now
        self._tokens -= 1.0
        return True, self._retry_wait

    def _earliest(self, now: float) -> float:
        """When the next request may go: one min gap after the last, and a token."""
        if self._tokens_at is not None:
            self._tokens = min(self._burst, self._tokens + (now - self._tokens_at) * self._rate)
        self._tokens_at = now
        if self._last_sent is None:
            return now
        earliest = self._last_sent + self._min_gap
        if self._tokens < 1.0:
            earliest = max(earliest, now + (1.0 - self._tokens) / self._rate)
        return earliest


class FixedIntervalPacer:
    """The earlier policy, as a :class:`KeyframePacer`: one PLI per ``interval_s`` at most,
    a request inside the interval sent when it ends (arriving keyframes change nothing)."""

    def __init__(self, interval_s: float) -> None:
        self._limiter = PliRateLimiter(interval_s, clock=self._clock)
        self._now = 0.0

    def _clock(self) -> float:
        return self._now

    def want(self, now: float) -> tuple[bool, float | None]:
        self._now = now
        delay = self._limiter.request()
        return delay == 0.0, delay or None

    def due(self, now: float) -> tuple[bool, float | None]:
        self._now = now
        return self._limiter.flush(), None

    def keyframe(self, now: float) -> None:
        pass
