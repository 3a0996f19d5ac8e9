"""Signed, short-lived download URLs of recording files.

``/api/recordings/<id>/files/<name>?expires=<epoch s>&sig=<hex>`` where ``sig`` is
HMAC-SHA256 over ``id``, ``name`` and ``expires`` (NUL-separated, so no two triples
share a message) with a key derived from the server secret for this purpose only. The URL
is the credential (a ``<video>`` element cannot send headers): anyone holding it may
fetch that one file until it expires, nothing else. Verification compares in constant
time and checks the signature before the expiry, so a tampered URL is ``link_invalid``
whatever its expiry says; a genuine one past its time is ``link_expired``.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from dataclasses import dataclass
from urllib.parse import quote

from rooms.clock import Clock

from ..credentials import same_secret

KEY_PURPOSE = b"mentorcall recording download links v1"
MAX_EXPIRES_CHARS = 12


@dataclass(frozen=True)
class SignedLink:
    path: str  # with the query, relative to the server's base URL
    expires_at: int


class LinkRefused(Exception):
    """A download URL that is not honoured: ``code`` is link_invalid or link_expired."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message


class LinkSigner:
    """Issues and checks download URLs with a key derived from ``secret``."""

    def __init__(self, secret: str, clock: Clock, ttl_s: int) -> None:
        self._key = hmac.new(secret.encode(), KEY_PURPOSE, hashlib.sha256).digest()
        self._clock = clock
        self.ttl_s = ttl_s

    def _signature(self, recording_id: str, name: str, expires: str) -> str:
        message = "\x00".join((recording_id, name, expires)).encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def sign(self, recording_id: str, name: str) -> SignedLink:
        expires = math.ceil(self._clock.now()) + self.ttl_s
        sig = self._signature(recording_id, name, str(expires))
        path = (f"/api/recordings/{quote(recording_id, safe='')}/files/{quote(name, safe='')}"
                f"?expires={expires}&sig={sig}")
        return SignedLink(path, expires)

    def verify(self, recording_id: str, name: str, expires: str | None,
               sig: str | None) -> None:
        """Nothing if the URL is genuine and current, else :class:`LinkRefused`."""
        if not expires or not sig or len(expires) > MAX_EXPIRES_CHARS or not expires.isdigit():
            raise LinkRefused("link_invalid", "This download link is not valid.")
        wanted = self._signature(recording_id, name, expires)
        if not same_secret(sig, wanted):
            raise LinkRefused("link_invalid", "This download link is not valid.")
        if self._clock.now() >= int(expires):
            raise LinkRefused("link_expired", "This download link has expired: ask for a "
                              "new one.")
