"""The admin session of the recordings page: a signed, short-lived cookie and its CSRF token.

The page signs in once with the admin key (or an admin token) and then holds a cookie
``mentorcall_admin`` (``Path=/api``, ``HttpOnly``, ``SameSite=Strict``, ``Secure`` when
served over https or as configured, ``Max-Age`` = the session's life). Its value is
``<payload>.<sig>``: the payload (base64url JSON: actor, room of a token, expiry, a random
nonce) signed with HMAC-SHA256 under a key derived from the server secret *and a digest of
the current admin key* for this purpose only, so changing either ends every session;
verification checks the signature (constant time) before the expiry. Sign-out revokes the
session in the recordings store (its nonce, until it would have ended), which every
process of a deployment reads, so the cookie is dead everywhere even if it was copied.

CSRF: every request with the cookie whose method changes something (anything but GET and
HEAD) must carry ``X-CSRF-Token``, an HMAC of the session's nonce under a second derived
key, returned by the sign-in and by ``GET /api/recordings-session``. A cross-site page can
neither read it (no CORS) nor set the header on a form post. An Origin check was not
chosen: the server sends ``Referrer-Policy: no-referrer``, with which browsers send
``Origin: null`` on same-origin POST and DELETE requests, so it could not tell the page
from an attacker's sandboxed frame. ``SameSite=Strict`` already keeps the cookie off
cross-site requests; the token is the second, independent lock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
from dataclasses import dataclass
from typing import Literal, Protocol

from aiohttp import web

from rooms.clock import Clock

from ..credentials import same_secret
from ..rest import Problem

COOKIE = "mentorcall_admin"
COOKIE_PATH = "/api"  # the API only: the page itself is public HTML
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_COOKIE_CHARS = 1024
SESSION_PURPOSE = b"mentorcall admin session v1"
CSRF_PURPOSE = b"mentorcall admin csrf v1"

CookieSecure = Literal["auto", "always", "never"]


@dataclass(frozen=True)
class AdminSession:
    """Who signed in (``admin`` or ``token:<identity>``), the room of a token (None: the
    admin key, every recording), when the session ends (epoch s) and its nonce."""

    actor: str
    room_id: str | None
    expires_at: int
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def not_signed_in() -> Problem:
    return Problem("unauthorized", "Sign in with the admin key (or an admin token).", 401)


def session_invalid() -> Problem:
    return Problem("unauthorized", "Your admin session is not valid: sign in again.", 401)


def session_expired() -> Problem:
    return Problem("session_expired", "Your admin session has ended: sign in again.", 401)


def session_signed_out() -> Problem:
    return Problem("unauthorized", "Your admin session was signed out: sign in again.", 401)


class Revocations(Protocol):
    """Where signed-out sessions are kept (the recordings store)."""

    async def revoke_session(self, nonce: str, until: float) -> None: ...

    async def session_revoked(self, nonce: str) -> bool: ...


def csrf_invalid() -> Problem:
    return Problem("csrf_invalid", f"This request needs the page's {CSRF_HEADER} header: "
                   "reload the page and try again.", 403)


class SessionCodec:
    """Issues and reads session cookies and their CSRF tokens."""

    def __init__(self, secret: str, clock: Clock, ttl_s: int, admin_key: str,
                 revocations: Revocations) -> None:
        # bound to the admin key: a new key (rotated after a leak) ends every session
        key_digest = hashlib.sha256(admin_key.encode()).digest()
        self._key = hmac.new(secret.encode(), SESSION_PURPOSE + key_digest,
                             hashlib.sha256).digest()
        self._csrf_key = hmac.new(secret.encode(), CSRF_PURPOSE + key_digest,
                                  hashlib.sha256).digest()
        self._clock = clock
        self._revocations = revocations
        self.ttl_s = ttl_s

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def issue(self, actor: str, room_id: str | None,
              until: float | None = None) -> tuple[str, AdminSession]:
        """A new session and its cookie value; it ends after the TTL, or at ``until`` (the
        expiry of the token it was signed in with) if that comes first."""
        expires = math.ceil(self._clock.now()) + self.ttl_s
        if until is not None:
            expires = min(expires, math.floor(until))
        session = AdminSession(actor, room_id, expires, secrets.token_urlsafe(16))
        payload = _b64(json.dumps({"a": session.actor, "r": session.room_id,
                                   "x": session.expires_at, "n": session.nonce},
                                  separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload)}", session

    def read(self, value: str) -> AdminSession:
        """The session of a cookie value, or the 401 Problem (tampered, signed under
        another secret or admin key, expired); :meth:`open` also checks sign-out."""
        payload, _, sig = value.partition(".")
        if (not payload or not sig or len(value) > MAX_COOKIE_CHARS
                or not same_secret(sig, self._sign(payload))):
            raise session_invalid()
        try:
            data = json.loads(_unb64(payload))
            session = AdminSession(str(data["a"]), None if data["r"] is None else str(data["r"]),
                                   int(data["x"]), str(data["n"]))
        except (ValueError, KeyError, TypeError):
            raise session_invalid() from None
        if self._clock.now() >= session.expires_at:
            raise session_expired()
        return session

    async def open(self, value: str) -> AdminSession:
        """:meth:`read`, and not signed out (the 401 Problem otherwise)."""
        session = self.read(value)
        if await self._revocations.session_revoked(session.nonce):
            raise session_signed_out()
        return session

    async def revoke(self, session: AdminSession) -> None:
        """Sign the session out on every process, until it would have ended anyway."""
        await self._revocations.revoke_session(session.nonce, session.expires_at)

    def csrf_token(self, session: AdminSession) -> str:
        return hmac.new(self._csrf_key, session.nonce.encode(), hashlib.sha256).hexdigest()

    def check_csrf(self, request: web.Request, session: AdminSession) -> None:
        """Nothing for a safe method or the right header, else the 403 Problem."""
        if request.method in SAFE_METHODS:
            return
        sent = request.headers.get(CSRF_HEADER, "")
        if not same_secret(sent, self.csrf_token(session)):
            raise csrf_invalid()


def cookie_is_secure(request: web.Request, mode: CookieSecure, base_url: str) -> bool:
    """``always``/``never`` as said; ``auto``: when the request came over TLS or the
    public URL is https (TLS ended by a proxy in front)."""
    if mode != "auto":
        return mode == "always"
    return request.secure or base_url.startswith("https://")
