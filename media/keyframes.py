"""Keyframes without decoding: spotting VP8 keyframe starts, pacing keyframe requests.

A new video subscriber can only start at a keyframe, which the SFU recognises from the
VP8 payload descriptor and header bits (RFC 7741), and asks the publisher for with a
PLI - rate-limited, since every join and every subscriber's PLI would otherwise reach
the publisher.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def is_keyframe_start(payload: bytes) -> bool:
    """True when ``payload`` is the first packet of a VP8 keyframe.

    The payload descriptor must have S=1 and PID=0 (start of partition 0); the first
    byte of the VP8 payload header that follows has the inverse keyframe bit P, which
    is 0 for a keyframe.
    """
    size = len(payload)
    if size < 2:
        return False
    first = payload[0]
    if first & 0x1F != 0x10:  # S bit set, PID == 0 (the R bit is ignored)
        return False
    pos = 1
    if first & 0x80:  # X: extension control bits follow
        ext = payload[1]
        pos = 2
        if ext & 0x80:  # I: picture id, 7 or 15 bits
            if pos >= size:
                return False
            pos += 2 if payload[pos] & 0x80 else 1
        if ext & 0x40:  # L: TL0PICIDX
            pos += 1
        if ext & 0x30:  # T and/or K share one byte
            pos += 1
    if pos >= size:
        return False
    return payload[pos] & 0x01 == 0


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
