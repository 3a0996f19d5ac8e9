"""Settings of the media server: which addresses ICE may use, and feedback pacing."""

from __future__ import annotations

from dataclasses import dataclass, field

from media.active_speaker import SpeakerParams
from media.keyframes import KeyframePolicy
from media.last_n import DEFAULT_LAST_N


@dataclass(frozen=True)
class MediaConfig:
    """How the SFU's peer connections gather candidates and pace keyframe requests.

    ``ice_host_addresses`` are exactly the local addresses host candidates are gathered on
    (aioice would skip 127.0.0.1 and add every other interface). Remote candidates outside
    ``ice_allowed_networks`` are dropped from remote descriptions before aiortc sees them.
    ``ice_servers`` are STUN/TURN URLs; none are contacted unless listed here.
    ``keyframes`` paces keyframe requests to publishers; ``speakers`` is the hysteresis
    of active-speaker detection; ``last_n`` is the N of last-N video in the groups that
    turn it on (``Sfu.set_last_n``).
    """

    ice_host_addresses: tuple[str, ...] = ("127.0.0.1",)
    ice_allowed_networks: tuple[str, ...] = ("127.0.0.0/8", "::1/128")
    ice_servers: tuple[str, ...] = ()
    keyframes: KeyframePolicy = field(default_factory=KeyframePolicy)
    speakers: SpeakerParams = field(default_factory=SpeakerParams)
    last_n: int = DEFAULT_LAST_N
