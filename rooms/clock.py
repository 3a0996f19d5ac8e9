"""Where "now" comes from, so that tests can pin it."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """A source of the current time as epoch seconds (UTC)."""

    def now(self) -> float:
        """Seconds since the Unix epoch."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that only moves when told to; for tests and simulations."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def set(self, now: float) -> None:
        """Jump to ``now``."""
        self._now = now

    def advance(self, seconds: float) -> float:
        """Move forward by ``seconds`` and return the new time."""
        self._now += seconds
        return self._now
