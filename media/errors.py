"""The one error type media/ raises across its API, with stable machine-readable codes."""

from __future__ import annotations

INVALID_SDP = "invalid_sdp"
UNSUPPORTED_CODEC = "unsupported_codec"
NOT_PUBLISHED = "not_published"
UNKNOWN_SUBSCRIPTION = "unknown_subscription"
MEDIA_FAILED = "media_failed"
STALE_ANSWER = "stale_answer"


class MediaError(Exception):
    """A media request that cannot be served.

    ``code`` is stable and machine-readable (``invalid_sdp``, ``unsupported_codec``,
    ``not_published``, ``unknown_subscription``, ``media_failed``, ``stale_answer``);
    ``message`` is a sentence for people.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
