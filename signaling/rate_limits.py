"""Token buckets, alone or one per key (a connection, a person, a pair of people).

In-process: each server process keeps its own buckets, so with N processes behind a
balancer a client that spreads its requests can get up to N times a limit (see
docs/operations.md). The REST layer uses :class:`RateLimiter`; a Socket.IO connection
its own buckets in :mod:`signaling.limits`.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass

from rooms.clock import Clock

logger = logging.getLogger(__name__)


@dataclass
class TokenBucket:
    """`rate` tokens per second, at most `burst` saved up."""

    rate: float
    burst: float
    tokens: float
    updated: float

    def _refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + max(0.0, now - self.updated) * self.rate)
        self.updated = now

    def take(self, now: float) -> bool:
        self._refill(now)
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    def wait_s(self, now: float) -> float:
        """Seconds until a token is there (0 if one is)."""
        self._refill(now)
        if self.tokens >= 1:
            return 0.0
        return (1 - self.tokens) / self.rate if self.rate > 0 else float("inf")


class RateLimiter:
    """One token bucket per key; the least recently used keys are forgotten beyond
    ``max_keys`` (a forgotten key starts again with a full bucket)."""

    def __init__(self, clock: Clock, rate_per_s: float, burst: int,
                 max_keys: int = 10_000) -> None:
        self._clock = clock
        self._rate = rate_per_s
        self._burst = burst
        self._max_keys = max_keys
        self._buckets: dict[str, TokenBucket] = {}

    def _bucket(self, key: str, now: float) -> TokenBucket:
        bucket = self._buckets.pop(key, None)
        if bucket is None:
            bucket = TokenBucket(self._rate, self._burst, self._burst, now)
            if len(self._buckets) >= self._max_keys:
                del self._buckets[next(iter(self._buckets))]
        self._buckets[key] = bucket  # most recently used last
        return bucket

    def wait_s(self, key: str) -> float:
        """Seconds ``key`` must wait for its next token (0: it may go now)."""
        return self._bucket(key, self._clock.now()).wait_s(self._clock.now())

    def give_back(self, key: str) -> None:
        """Return a token taken for work that did not happen after all."""
        bucket = self._bucket(key, self._clock.now())
        bucket.tokens = min(bucket.burst, bucket.tokens + 1)

    def take(self, key: str) -> float:
        """Take a token for ``key``: 0 if taken, else the seconds to wait for one."""
        now = self._clock.now()
        bucket = self._bucket(key, now)
        return 0.0 if bucket.take(now) else bucket.wait_s(now)


class RefusalLog:
    """Counts one client's refused events and logs them in aggregate: the first refusal
    at once, then at most one line per ``every_s`` (and one when :meth:`flush` is called
    at the end), so a flood cannot flood the log."""

    def __init__(self, clock: Clock, who: str, every_s: float = 10.0) -> None:
        self._clock = clock
        self._who = who
        self._every_s = every_s
        self._counts: Counter[str] = Counter()
        self._since: float | None = None
        self._logged_at = float("-inf")

    def note(self, reason: str) -> None:
        """One more refusal for ``reason`` (an error code)."""
        now = self._clock.now()
        if self._since is None:
            self._since = now
        self._counts[reason] += 1
        if now - self._logged_at >= self._every_s:
            self.flush()

    def flush(self) -> None:
        """Log the refusals counted since the last line, if any."""
        if not self._counts:
            return
        now = self._clock.now()
        counts = ", ".join(f"{reason} x{n}" for reason, n in sorted(self._counts.items()))
        since = now if self._since is None else self._since
        logger.info("refused events from %s in the last %.0f s: %s", self._who,
                    now - since, counts)
        self._counts.clear()
        self._since = None
        self._logged_at = now
