"""mentorcall media: an RTP-forwarding SFU on aiortc (no decoding, no re-encoding).

Public API: :class:`~media.sfu.Sfu`, :class:`~media.config.MediaConfig`,
:class:`~media.errors.MediaError`, :class:`~media.sfu.PublishedTrack`,
:class:`~media.sfu.SfuStats` and :func:`~media.guards.check_aiortc`.
"""

from media.config import MediaConfig
from media.errors import MediaError
from media.guards import check_aiortc
from media.sfu import PublishedTrack, Sfu, SfuStats

__all__ = ["MediaConfig", "MediaError", "PublishedTrack", "Sfu", "SfuStats", "check_aiortc"]
