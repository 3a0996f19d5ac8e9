"""What the SFU reports about itself: forwarding counters and connection counts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SfuStats:
    """Counters since the SFU started. ``decoders_created`` counts decoder threads and
    encoders ever found in the server's own peer connections: it is always 0."""

    packets_received: int
    packets_forwarded: int
    keyframe_requests_sent: int
    nacks_answered: int
    decoders_created: int


@dataclass(frozen=True)
class ConnectionCounts:
    """The server's live peer connections by role, and the DTLS transports under them."""

    publish: int  # one per publishing peer
    subscribe: int  # one per participant (Sfu.open_subscriber)
    subscribe_pairs: int  # one per (subscriber, publisher) pair (Sfu.subscribe)
    dtls_transports: int  # distinct, not closed (one per connection when bundled)
