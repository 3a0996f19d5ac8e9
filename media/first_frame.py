"""Join-to-first-frame of one subscribe connection (the ``/metrics`` histogram).

The clock starts at the first offer on the connection that carries a publisher's video
(at the join when someone already publishes video, else when the first video publisher
appears) and stops at the first video packet forwarded on the connection, which starts
a keyframe. Observed once per connection, into the SFU's :class:`FirstFrameTimes`; a
connection closed before its first frame is not counted. Nothing runs per packet but
the senders' check of their ``on_first_packet`` hook, cleared once it fired.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Protocol

from media.counts import FirstFrameTimes
from media.sender import ForwardingSender


class OfferedTrack(Protocol):
    """An m-line of an offer (media/subscriber.py's SubscribedTrack)."""

    @property
    def kind(self) -> str: ...

    @property
    def publisher_id(self) -> str | None: ...


class FirstFrameClock:
    """Times one subscribe connection into ``times`` (None: not timed)."""

    def __init__(self, times: FirstFrameTimes | None) -> None:
        self._times = times
        self._since: float | None = None
        self._senders: list[ForwardingSender] = []

    def offered(self, tracks: Iterable[OfferedTrack],
                video_senders: Iterable[ForwardingSender]) -> None:
        """An offer of ``tracks`` was made: start at the first that carries a
        publisher's video, and have each of the connection's video senders tell its
        first packet."""
        if self._times is None:
            return
        if self._since is None:
            if not any(t.kind == "video" and t.publisher_id for t in tracks):
                return
            self._since = time.monotonic()
        self._senders = list(video_senders)
        for sender in self._senders:
            sender.on_first_packet = self._first_packet

    def _first_packet(self) -> None:
        if self._times is None or self._since is None:
            return
        self._times.observe(time.monotonic() - self._since)
        self._times = None  # once per connection
        for sender in self._senders:
            sender.on_first_packet = None
        self._senders = []
