"""What the SFU reports about itself: forwarding counters, connection counts, stream
counts and the join-to-first-frame times (read when asked, never pushed per packet)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

# Upper bounds (seconds) of the join-to-first-frame histogram's buckets (+Inf implied).
FIRST_FRAME_BUCKETS_S: tuple[float, ...] = (
    0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0)


@dataclass
class SfuStats:
    """Counters since the SFU started. ``decoders_created`` counts decoder threads and
    encoders ever found in the server's own peer connections: it is always 0.

    NACKs and PLIs are RTCP feedback messages: ``nacks_sent``/``keyframe_requests_sent``
    went upstream to publishers, ``nacks_received``/``plis_received`` came from
    subscribers (``nacks_answered``: packets resent for them)."""

    packets_received: int
    packets_forwarded: int
    keyframe_requests_sent: int
    nacks_answered: int
    decoders_created: int
    bytes_forwarded: int = 0  # RTP bytes (header + payload) sent to subscribers
    nacks_sent: int = 0
    nacks_received: int = 0
    plis_received: int = 0  # PLI and FIR


@dataclass(frozen=True)
class ConnectionCounts:
    """The server's live peer connections by role, and the DTLS transports under them."""

    publish: int  # one per publishing peer
    subscribe: int  # one per participant (Sfu.open_subscriber)
    subscribe_pairs: int  # one per (subscriber, publisher) pair (Sfu.subscribe)
    dtls_transports: int  # distinct, not closed (one per connection when bundled)


@dataclass(frozen=True)
class StreamCounts:
    """Tracks now: published (with a live source) and forwarded (subscriber copies fed
    from one), the publishers' packet loss so far over the tracks published now (RTCP's
    "cumulative number of packets lost" against the packets expected), and the
    subscribers' over the copies forwarded now (packets sent, and lost as their latest
    RTCP receiver reports say)."""

    published: int
    forwarded: int
    upstream_expected: int
    upstream_lost: int
    downstream_sent: int = 0
    downstream_lost: int = 0


@dataclass
class FirstFrameTimes:
    """A fixed-bucket histogram of join-to-first-frame times in seconds (no locking: the
    event loop's thread only). ``counts[i]`` counts observations <= ``bounds[i]``
    and above the bound before it; the last item counts those above every bound."""

    bounds: tuple[float, ...] = FIRST_FRAME_BUCKETS_S
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        self.counts = [0] * (len(self.bounds) + 1)

    def observe(self, seconds: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, seconds)] += 1
        self.total += seconds
        self.count += 1

    def cumulative(self) -> list[tuple[float, int]]:
        """``(upper bound, observations <= it)`` per bucket, the last bound +Inf."""
        running = 0
        buckets = []
        for bound, count in zip((*self.bounds, float("inf")), self.counts, strict=True):
            running += count
            buckets.append((bound, running))
        return buckets
