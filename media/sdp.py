"""Checks on descriptions received from clients, before aiortc applies them."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from aiortc import RTCRtpReceiver, sdp
from aiortc.rtcrtpparameters import RTCRtpCodecCapability

from media.errors import INVALID_SDP, UNSUPPORTED_CODEC, MediaError

logger = logging.getLogger(__name__)

# The one codec forwarded per kind (every subscriber can be pinned to it).
FORWARDED_CODECS = {"audio": "audio/opus", "video": "video/VP8"}
MEDIA_KINDS = ("audio", "video")
# A publisher id may name a stream in `a=msid` only if it is an msid token (RFC 8830).
MSID_TOKEN = re.compile(r"[A-Za-z0-9!#$%&'*+\-.^_`{|}~]{1,64}")


@dataclass(frozen=True)
class OfferedMedia:
    """One audio/video m-line of a publisher's offer."""

    kind: str
    mid: str | None
    sending: bool  # sendonly or sendrecv: the client sends this track


def parse_description(text: str) -> sdp.SessionDescription:
    """Parse SDP text; any failure is a MediaError ``invalid_sdp``."""
    if not isinstance(text, str) or not text.strip():
        raise MediaError(INVALID_SDP, "The session description is empty.")
    try:
        return sdp.SessionDescription.parse(text)
    except Exception as exc:
        # aiortc's exception text is logged, never sent: clients get a fixed sentence
        logger.info("unreadable session description: %r", exc)
        raise MediaError(INVALID_SDP, "The session description could not be read.") from exc


def inspect_offer(text: str) -> list[OfferedMedia]:
    """The audio/video m-lines of a publisher's offer, checked.

    Raises MediaError ``invalid_sdp`` if nothing is sent (no audio/video m-line the
    client sends on) or if it has more than one audio or more than one video m-line,
    and ``unsupported_codec`` if an audio m-line lacks Opus or a video
    m-line lacks VP8.
    """
    description = parse_description(text)
    offered: list[OfferedMedia] = []
    for media in description.media:
        if media.kind not in MEDIA_KINDS:
            continue
        if any(m.kind == media.kind for m in offered):
            raise MediaError(INVALID_SDP, f"An offer may publish at most one {media.kind} track.")
        if not media.ice or not media.ice.usernameFragment or not media.ice.password:
            raise MediaError(INVALID_SDP, "An m-line has no ICE credentials.")
        wanted = FORWARDED_CODECS[media.kind].lower()
        if not any(codec.mimeType.lower() == wanted for codec in media.rtp.codecs):
            raise MediaError(
                UNSUPPORTED_CODEC,
                f"The {media.kind} offer lacks {FORWARDED_CODECS[media.kind].split('/')[1]}.",
            )
        sending = media.port != 0 and media.direction in ("sendonly", "sendrecv")
        offered.append(OfferedMedia(media.kind, media.rtp.muxId, sending))
    if not any(m.sending for m in offered):
        raise MediaError(INVALID_SDP, "The offer sends no audio or video.")
    return offered


def codec_preferences(kind: str) -> list[RTCRtpCodecCapability]:
    """The forwarded codec of ``kind`` (plus RTX for video), for setCodecPreferences."""
    capabilities = RTCRtpReceiver.getCapabilities(kind)
    assert capabilities is not None
    wanted = {FORWARDED_CODECS[kind].lower(), f"{kind}/rtx"}
    return [c for c in capabilities.codecs if c.mimeType.lower() in wanted]
