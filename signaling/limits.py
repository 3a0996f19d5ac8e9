"""Per-connection limits: a client cannot queue unbounded work or churn peer connections."""

from __future__ import annotations

from dataclasses import dataclass

from rooms.clock import Clock

from .errors import SignalingError

# Events that build or tear down peer connections (certificates, sockets, ICE).
MEDIA_EVENTS = frozenset({"publish", "subscribe", "subscription_answer"})


@dataclass
class TokenBucket:
    """`rate` tokens per second, at most `burst` saved up."""

    rate: float
    burst: float
    tokens: float
    updated: float

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class ConnectionLimits:
    """Bounds one connection's queued events and its rate of media events."""

    def __init__(
        self,
        clock: Clock,
        max_queued: int = 16,
        media_rate_per_s: float = 2.0,
        media_burst: int = 30,  # a roundtable of 12: 11 subscribes + 11 answers + publish
    ) -> None:
        self._clock = clock
        self._max_queued = max_queued
        self._queued = 0
        self._media = TokenBucket(media_rate_per_s, media_burst, media_burst, clock.now())

    def admit(self, event: str) -> None:
        """Count one more queued event, or refuse it with `busy` / `rate_limited`."""
        if self._queued >= self._max_queued:
            raise SignalingError("busy", "Too many requests are waiting; try again shortly.")
        if event in MEDIA_EVENTS and not self._media.take(self._clock.now()):
            raise SignalingError(
                "rate_limited", "Too many media requests; wait a few seconds and try again."
            )
        self._queued += 1

    def done(self) -> None:
        self._queued -= 1
