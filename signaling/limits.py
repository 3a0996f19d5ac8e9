"""Per-connection limits: a client cannot queue unbounded work, churn peer connections,
flood the room with mute toggles or joins and leaves, or flood the log with refused
events."""

from __future__ import annotations

from rooms.clock import Clock

from .errors import SignalingError
from .rate_limits import RefusalLog, TokenBucket

__all__ = ["JOIN_EVENTS", "MEDIA_EVENTS", "MUTE_EVENTS", "NOTES_RATE", "ROUNDTABLE_RATE",
           "ConnectionLimits", "TokenBucket"]

# Events that build or tear down peer connections (certificates, sockets, ICE).
MEDIA_EVENTS = frozenset({"publish", "subscribe", "subscription_answer", "subscriber_answer",
                          "subscriber_restart"})
# Events each of which the server fans out to everyone else in the room.
MUTE_EVENTS = frozenset({"mute"})
# Events that take or give up a seat: each one writes the store, opens or closes peer
# connections and is announced to the whole room. One budget for both.
JOIN_EVENTS = frozenset({"join", "leave"})
# Rate class of the roundtable events (host controls, hands, timer): one shared budget.
ROUNDTABLE_RATE = "roundtable"
# Rate class of `notes` (sync steps, edits, awareness): fast typists and cursor moves.
NOTES_RATE = "notes"


class ConnectionLimits:
    """Bounds one connection's queued events, its rate of media, mute and join/leave
    events, and counts its refused events for an aggregate log line (:class:`RefusalLog`)."""

    def __init__(
        self,
        clock: Clock,
        max_queued: int = 16,
        media_rate_per_s: float = 2.0,
        media_burst: int = 30,  # a roundtable of 12: 11 subscribes + 11 answers + publish
        mute_rate_per_s: float = 4.0,
        mute_burst: int = 10,  # a person toggling camera and microphone quickly
        join_rate_per_s: float = 0.5,
        join_burst: int = 10,  # joins, leaves, a resume's retry and breakout moves
        roundtable_rate_per_s: float = 4.0,
        roundtable_burst: int = 20,  # a host muting several people in a row
        notes_rate_per_s: float = 60.0,
        notes_burst: int = 240,  # a reconnect's sync plus a paste and cursor moves
        who: str = "a connection",
    ) -> None:
        self._clock = clock
        self._max_queued = max_queued
        self._queued = 0
        now = clock.now()
        self._media = TokenBucket(media_rate_per_s, media_burst, media_burst, now)
        self._mute = TokenBucket(mute_rate_per_s, mute_burst, mute_burst, now)
        self._join = TokenBucket(join_rate_per_s, join_burst, join_burst, now)
        self._roundtable = TokenBucket(roundtable_rate_per_s, roundtable_burst,
                                       roundtable_burst, now)
        self._notes = TokenBucket(notes_rate_per_s, notes_burst, notes_burst, now)
        self.refusals = RefusalLog(clock, who)

    def admit(self, event: str, rate_class: str = "") -> None:
        """Count one more queued event, or refuse it with `busy` / `rate_limited`."""
        if self._queued >= self._max_queued:
            self.refusals.note("busy")
            raise SignalingError("busy", "Too many requests are waiting; try again shortly.")
        if event in MEDIA_EVENTS:
            self._take(self._media, "Too many media requests; wait a few seconds and try again.")
        if event in MUTE_EVENTS:
            self._take(self._mute, "Too many mute changes; wait a second and try again.")
        if event in JOIN_EVENTS:
            self._take(self._join,
                       "Too many joins and leaves in a row; wait a few seconds and try again.")
        if rate_class == ROUNDTABLE_RATE:
            self._take(self._roundtable,
                       "Too many requests in a row; wait a second and try again.")
        if rate_class == NOTES_RATE:
            self._take(self._notes, "Too many notes messages; slow down for a second.")
        self._queued += 1

    def _take(self, bucket: TokenBucket, message: str) -> None:
        """One token of ``bucket``, or `rate_limited` with the wait until the next."""
        now = self._clock.now()
        if not bucket.take(now):
            self.refusals.note("rate_limited")
            raise SignalingError("rate_limited", message, retry_after_s=bucket.wait_s(now))

    def done(self) -> None:
        self._queued -= 1
