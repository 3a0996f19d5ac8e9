"""Person tokens: long-lived JWTs that say "this is person X" to the scheduling API;
and feed tokens, the secret part of a person's private calendar feed URL.

A person token is signed with the same secret and the same pinned algorithm as a join
token (:mod:`rooms.grants`), but the two can never stand in for each other:

* a person token carries ``kind: "person"`` and an audience (``aud``) of
  ``PERSON_AUDIENCE``. The join-token verifier passes no audience, and PyJWT refuses any
  token that has one in that case; it also requires ``room`` and ``grants``, which a
  person token lacks;
* the person-token verifier requires that audience and ``kind == "person"``, which a join
  token (no ``aud``, no ``kind``) does not have.

Time checks use the injected clock with the same rules as join tokens: ``exp`` exactly,
``nbf`` with ``CLOCK_SKEW_S`` of leeway.

A person token also carries ``ver``, the person's ``token_version`` when it was issued
(0 if absent): the API accepts it only while the person is still at that version, so
re-issuing a schedule link (raising the version) revokes every earlier link.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from typing import Any, Literal

import jwt
from pydantic import BaseModel, ConfigDict, Field

from rooms.clock import Clock, SystemClock
from rooms.errors import RoomError
from rooms.grants import (
    ALGORITHM,
    CLOCK_SKEW_S,
    MAX_TOKEN_CHARS,
    MIN_SECRET_BYTES,
    NumericDate,
    decode_claims,
)
from rooms.models import Identity

PERSON_KIND = "person"
PERSON_AUDIENCE = "mentorcall:person"
PERSON_TOKEN_TTL_S = 90 * 24 * 3600
FEED_MAC_CHARS = 32

_REQUIRED_CLAIMS = ["sub", "kind", "aud", "iat", "nbf", "exp", "iss", "jti"]


class _PersonClaims(BaseModel):
    """The payload as signed; strict so that a signed-but-odd payload is refused."""

    model_config = ConfigDict(extra="ignore")

    sub: Identity
    kind: Literal["person"]
    iat: NumericDate
    nbf: NumericDate
    exp: NumericDate
    ver: int = Field(default=0, ge=0)


class PersonTokens:
    """Issues and verifies person tokens (HS256 only) with the deployment's secret."""

    def __init__(self, secret: str, clock: Clock | None = None, issuer: str = "mentorcall",
                 ttl_s: int = PERSON_TOKEN_TTL_S) -> None:
        key = secret.encode("utf-8")
        if len(key) < MIN_SECRET_BYTES:
            raise ValueError(f"the token secret must be at least {MIN_SECRET_BYTES} bytes")
        if ttl_s <= 0:
            raise ValueError("ttl_s must be positive")
        self._key = key
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._issuer = issuer
        self.ttl_s = ttl_s

    def issue(self, identity: str, version: int = 0) -> str:
        """A token naming ``identity`` (at token ``version``) that expires ``ttl_s``
        seconds from now."""
        if not identity:
            raise ValueError("identity must not be empty")
        iat = math.floor(self._clock.now())
        claims: dict[str, Any] = {
            "sub": identity,
            "kind": PERSON_KIND,
            "aud": PERSON_AUDIENCE,
            "iat": iat,
            "nbf": iat,
            "exp": iat + self.ttl_s,
            "iss": self._issuer,
            "jti": secrets.token_urlsafe(16),
            "ver": version,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def verify(self, token: str | None) -> str:
        """The identity a person token names, or RoomError with a ``token_*`` code."""
        return self.verify_versioned(token)[0]

    def verify_versioned(self, token: str | None) -> tuple[str, int]:
        """The identity and token version a person token names (see :meth:`verify`)."""
        if not token:
            raise RoomError("token_missing", "A person token is required.")
        if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
            raise RoomError("token_invalid", "The person token is not valid.")
        claims = self._decode(token)
        now = self._clock.now()
        if now >= claims.exp:
            raise RoomError("token_expired", "The scheduling link has expired.")
        if now + CLOCK_SKEW_S < claims.nbf:
            raise RoomError("token_not_yet_valid", "The scheduling link is not valid yet.")
        return claims.sub, claims.ver

    def _decode(self, token: str) -> _PersonClaims:
        return decode_claims(
            token,
            self._key,
            self._issuer,
            _REQUIRED_CLAIMS,
            _PersonClaims,
            audience=PERSON_AUDIENCE,
            invalid_message="The person token is not valid.",
        )


class FeedTokens:
    """The secret in a person's private ICS feed URL: ``<identity>.<version>.<MAC>``.

    The MAC is an HMAC-SHA256 (truncated to 128 bits) of the identity and the person's
    ``feed_version`` under the deployment's secret, so nothing secret is stored and a
    feed URL can always be shown again; raising the version revokes every earlier URL.
    The version is in the token so that :meth:`verify` checks the MAC before anything is
    read from a store: a flood of made-up feed URLs costs one HMAC each. URLs issued
    before the version was included (``<identity>.<MAC>``) are read as version 0.
    """

    def __init__(self, secret: str) -> None:
        key = secret.encode("utf-8")
        if len(key) < MIN_SECRET_BYTES:
            raise ValueError(f"the token secret must be at least {MIN_SECRET_BYTES} bytes")
        self._key = key

    def _mac(self, identity: str, version: int) -> str:
        message = f"mentorcall-feed:{identity}:{version}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:FEED_MAC_CHARS]

    def issue(self, identity: str, version: int) -> str:
        """The feed token of ``identity`` at feed ``version``."""
        if not identity or "." in identity:
            raise ValueError("identities in feed tokens have no dots")
        if version < 0:
            raise ValueError("feed versions are not negative")
        return f"{identity}.{version}.{self._mac(identity, version)}"

    @staticmethod
    def _parts(token: str) -> tuple[str, int, str] | None:
        if len(token) > 256:
            return None
        parts = token.split(".")
        if len(parts) == 2:  # issued before the version was in the token
            parts.insert(1, "0")
        if len(parts) != 3:
            return None
        identity, version, mac = parts
        if not identity or len(mac) != FEED_MAC_CHARS or not version.isdigit() \
                or len(version) > 9:
            return None
        return identity, int(version), mac

    @classmethod
    def identity_of(cls, token: str) -> str | None:
        """Whose feed ``token`` claims to open (unchecked), or None if malformed."""
        parts = cls._parts(token)
        return parts[0] if parts is not None else None

    def verify(self, token: str) -> tuple[str, int] | None:
        """The identity and feed version ``token`` was issued for, if its MAC is right
        (constant-time compare); None for a malformed or forged token. The caller still
        checks that the version is the person's current one."""
        parts = self._parts(token)
        if parts is None:
            return None
        identity, version, mac = parts
        if not hmac.compare_digest(mac.encode(), self._mac(identity, version).encode()):
            return None
        return identity, version

    def check(self, token: str, identity: str, version: int) -> bool:
        """Whether ``token`` is the current feed token of ``identity`` at ``version``."""
        return self.verify(token) == (identity, version)
