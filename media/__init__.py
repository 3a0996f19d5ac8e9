"""mentorcall media: an RTP-forwarding SFU on aiortc (no decoding, no re-encoding).

Public API: :class:`~media.sfu.Sfu`, :class:`~media.config.MediaConfig`,
:class:`~media.errors.MediaError`, :class:`~media.sfu.PublishedTrack`,
:class:`~media.counts.SfuStats`, :class:`~media.counts.ConnectionCounts`,
:class:`~media.subscriber.SubscriberOffer`, :class:`~media.subscriber.SubscribedTrack`
and :func:`~media.guards.check_aiortc`.
"""

from media.config import MediaConfig
from media.counts import ConnectionCounts, SfuStats
from media.errors import MediaError
from media.guards import check_aiortc
from media.sfu import PublishedTrack, Sfu
from media.subscriber import SubscribedTrack, SubscriberOffer

__all__ = [
    "ConnectionCounts",
    "MediaConfig",
    "MediaError",
    "PublishedTrack",
    "Sfu",
    "SfuStats",
    "SubscribedTrack",
    "SubscriberOffer",
    "check_aiortc",
]
