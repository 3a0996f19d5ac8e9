"""What the server offers on a subscribe connection: the offer and its m-lines' tracks
(media/subscriber.py makes them; signaling sends them as ``subscriber_offer``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SubscribedTrack:
    """One m-line of a subscribe connection's offer: which publisher's track it carries
    (``publisher_id``/``track_id`` None: inactive, nothing)."""

    mid: str
    kind: str
    publisher_id: str | None
    track_id: str | None
    slot: int | None = None  # the video slot this m-line is (last-N), else None


@dataclass(frozen=True)
class SubscriberOffer:
    """An offer on a subscribe connection; answer it with its ``version``."""

    subscription_id: str
    version: int
    sdp: str
    tracks: tuple[SubscribedTrack, ...]  # every m-line, in SDP order
    ice_restart: bool = False  # new ICE credentials on the same connection
