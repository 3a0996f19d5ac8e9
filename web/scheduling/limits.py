"""How often one person may use the scheduling API's expensive or noisy endpoints.

Slot searches cost CPU on the event loop that also carries the calls' signaling, and each
booking creates rooms, reminders, webhooks and invitations: both are limited per person,
bookings also per pair of people, with token buckets (:class:`signaling.rate_limits.
RateLimiter`). The limits are per process (docs/operations.md). A refusal is ``429
rate_limited`` with ``Retry-After``. A booking
attempt that is refused for another reason gives its tokens back.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from rooms.clock import Clock
from signaling.rate_limits import RateLimiter

from ..rest import rate_limited


@dataclass(frozen=True)
class SchedulingLimits:
    """Bursts and sustained rates (deployment settings ``MENTORCALL_*``)."""

    slot_search_burst: int = 10
    slot_search_per_min: float = 30.0
    booking_burst: int = 20
    booking_per_hour: float = 60.0
    pair_booking_burst: int = 5
    pair_booking_per_hour: float = 20.0


class RequestLimits:
    """The per-person and per-pair buckets of one process."""

    def __init__(self, clock: Clock, limits: SchedulingLimits | None = None) -> None:
        limits = limits or SchedulingLimits()
        self._searches = RateLimiter(clock, limits.slot_search_per_min / 60,
                                     limits.slot_search_burst)
        self._bookings = RateLimiter(clock, limits.booking_per_hour / 3600,
                                     limits.booking_burst)
        self._pairs = RateLimiter(clock, limits.pair_booking_per_hour / 3600,
                                  limits.pair_booking_burst)

    def slot_search(self, identity: str) -> None:
        """Count one slot search of ``identity`` (raises the 429 Problem when over)."""
        wait = self._searches.take(identity)
        if wait:
            raise rate_limited(wait, "slot searches")

    @contextmanager
    def booking(self, identity: str, others: Sequence[str]) -> Iterator[None]:
        """Count one booking change of ``identity`` with ``others`` against the person's
        bucket and each pair's (the 429 Problem when one is empty; nothing is spent then).
        Only changes that happen count: a refused one (an exception in the block) gives
        its tokens back."""
        pairs = ["\0".join(sorted((identity, other))) for other in others]
        wait = self._bookings.wait_s(identity) or max(
            (self._pairs.wait_s(pair) for pair in pairs), default=0.0)
        if wait:
            raise rate_limited(wait, "bookings")
        self._bookings.take(identity)
        for pair in pairs:
            self._pairs.take(pair)
        try:
            yield
        except BaseException:
            self._bookings.give_back(identity)
            for pair in pairs:
                self._pairs.give_back(pair)
            raise
