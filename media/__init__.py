"""mentorcall media: an RTP-forwarding SFU on aiortc (no decoding, no re-encoding).

Public API: :class:`~media.sfu.Sfu`, :class:`~media.config.MediaConfig`,
:class:`~media.errors.MediaError`, :class:`~media.sfu.PublishedTrack`,
:class:`~media.counts.SfuStats`, :class:`~media.counts.ConnectionCounts`,
:class:`~media.subscriber.SubscriberOffer`, :class:`~media.subscriber.SubscribedTrack`
(one subscribe connection per participant) and :func:`~media.guards.check_aiortc`;
for roundtables :class:`~media.keyframes.KeyframePolicy` (keyframe request pacing, in
MediaConfig), :class:`~media.active_speaker.SpeakerParams` (``Sfu.speakers``) and
:class:`~media.last_n.LastN` (which videos each subscriber's tracks carry).
"""

from media.active_speaker import SpeakerParams
from media.config import MediaConfig
from media.counts import ConnectionCounts, SfuStats
from media.errors import MediaError
from media.guards import check_aiortc
from media.keyframes import KeyframePolicy
from media.last_n import LastN
from media.sfu import PublishedTrack, Sfu
from media.subscriber_offer import SubscribedTrack, SubscriberOffer

__all__ = [
    "ConnectionCounts",
    "KeyframePolicy",
    "LastN",
    "MediaConfig",
    "MediaError",
    "PublishedTrack",
    "Sfu",
    "SfuStats",
    "SpeakerParams",
    "SubscribedTrack",
    "SubscriberOffer",
    "check_aiortc",
]
