"""Join tokens: short-lived JWTs (HS256, pinned) carrying what a participant may do.

Time checks use the injected clock, not PyJWT's own, so tests can pin "now":

* ``exp`` is required and enforced with no leeway: the issuer decides how long a token
  lives, and a clock that runs behind only shortens that.
* ``nbf`` gets ``CLOCK_SKEW_S`` of leeway: a token issued on a machine whose clock runs a
  little ahead must still work at once on this one.

A *shareable* token (claim ``"share": true``, roundtables only) is one link for many
people: it names no person, and :meth:`rooms.service.RoomService.redeem` gives each joiner
a fresh identity and a personal token. Tokens without the claim are personal, so every
token issued before it existed keeps its meaning. Observers never publish: their tokens
cannot be issued with ``publish`` and a signed one that says otherwise is read without it.
"""

from __future__ import annotations

import math
import secrets
from typing import Annotated, Any, TypeVar

import jwt
from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, model_validator

from rooms.clock import Clock, SystemClock
from rooms.errors import RoomError
from rooms.models import DisplayName, Identity, Role, RoomId

ALGORITHM = "HS256"
CLOCK_SKEW_S = 5
MIN_SECRET_BYTES = 32
MAX_TOKEN_CHARS = 4096

_REQUIRED_CLAIMS = ["sub", "room", "name", "role", "grants", "iat", "nbf", "exp", "iss", "jti"]

NumericDate = Annotated[float, Field(strict=True, allow_inf_nan=False)]


class JoinGrant(BaseModel):
    """What a token holder may do in one room: who they are and which rights they have."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    room_id: RoomId
    identity: Identity
    display_name: DisplayName
    role: Role
    publish: bool
    subscribe: bool
    record: bool = False
    admin: bool = False
    not_before: float | None = None
    shareable: bool = False  # one link for many: redeem it for a personal grant
    guest: bool = False  # an identity a shareable link minted (nothing outlives its room)

    @model_validator(mode="after")
    def _observers_watch(self) -> JoinGrant:
        if self.role is Role.OBSERVER and self.publish:
            raise ValueError("an observer's grant cannot allow publishing")
        return self


class _Rights(BaseModel):
    model_config = ConfigDict(extra="forbid")

    publish: StrictBool
    subscribe: StrictBool
    record: StrictBool
    admin: StrictBool


class _Claims(BaseModel):
    """The token payload as signed; strict so that a signed-but-odd payload is refused."""

    model_config = ConfigDict(extra="ignore")

    sub: Identity
    room: RoomId
    name: DisplayName
    role: Role
    grants: _Rights
    iat: NumericDate
    nbf: NumericDate
    exp: NumericDate
    iss: str
    jti: str
    share: StrictBool = False
    guest: StrictBool = False


class TokenSigner:
    """Issues and verifies join tokens with a shared secret (HS256 only)."""

    def __init__(self, secret: str, clock: Clock | None = None, issuer: str = "mentorcall") -> None:
        key = secret.encode("utf-8")
        if len(key) < MIN_SECRET_BYTES:
            raise ValueError(f"the token secret must be at least {MIN_SECRET_BYTES} bytes")
        self._key = key
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._issuer = issuer

    def issue(self, grant: JoinGrant, ttl_s: int) -> str:
        """A token for ``grant`` that expires ``ttl_s`` seconds from now.

        If ``grant.not_before`` is set the token is refused until then; it must fall
        before the expiry or the token could never be used (ValueError).
        """
        if ttl_s <= 0:
            raise ValueError("ttl_s must be positive")
        iat = math.floor(self._clock.now())
        nbf = math.floor(grant.not_before) if grant.not_before is not None else iat
        exp = iat + ttl_s
        if nbf >= exp:
            raise ValueError("the token would expire before it becomes valid")
        claims: dict[str, Any] = {
            "sub": grant.identity,
            "room": grant.room_id,
            "name": grant.display_name,
            "role": grant.role.value,
            "grants": {
                "publish": grant.publish,
                "subscribe": grant.subscribe,
                "record": grant.record,
                "admin": grant.admin,
            },
            "iat": iat,
            "nbf": nbf,
            "exp": exp,
            "iss": self._issuer,
            "jti": secrets.token_urlsafe(16),
        }
        if grant.shareable:
            claims["share"] = True
        if grant.guest:
            claims["guest"] = True
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def verify(self, token: str | None, room_id: str | None = None,
               expired_grace_s: float = 0.0) -> JoinGrant:
        """The grant a token carries, or RoomError with a ``token_*`` code.

        With ``room_id`` the token must have been issued for that room. With
        ``expired_grace_s`` a token that expired less than that many seconds ago still
        verifies (reading a session's notes after it: web/notes); joining never passes it.
        """
        if not token:
            raise RoomError("token_missing")
        if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
            raise RoomError("token_invalid")
        claims = self._decode(token)
        now = self._clock.now()
        if now >= claims.exp + max(expired_grace_s, 0.0):
            raise RoomError("token_expired")
        if now + CLOCK_SKEW_S < claims.nbf:
            raise RoomError("token_not_yet_valid")
        if room_id is not None and claims.room != room_id:
            raise RoomError("token_wrong_room")
        return JoinGrant(
            room_id=claims.room,
            identity=claims.sub,
            display_name=claims.name,
            role=claims.role,
            # An observer never publishes, whatever a signed token says.
            publish=claims.grants.publish and claims.role is not Role.OBSERVER,
            subscribe=claims.grants.subscribe,
            record=claims.grants.record,
            admin=claims.grants.admin,
            not_before=claims.nbf,
            shareable=claims.share,
            guest=claims.guest,
        )

    def _decode(self, token: str) -> _Claims:
        """Signature, algorithm, issuer and claim shape; the times are checked by verify."""
        return decode_claims(token, self._key, self._issuer, _REQUIRED_CLAIMS, _Claims)


ClaimsT = TypeVar("ClaimsT", bound=BaseModel)


def decode_claims(
    token: str,
    key: bytes,
    issuer: str,
    required: list[str],
    model: type[ClaimsT],
    audience: str | None = None,
    invalid_message: str | None = None,
) -> ClaimsT:
    """Check a token's signature (HS256 only), issuer, audience and claim shape.

    Times are left to the caller, which maps them to its own codes. Anything from the wire
    that does not parse is ``token_invalid``, never a crash. A token with an audience is
    refused where none is expected, so join and person tokens cannot stand in for each other.
    """
    try:
        payload = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            options={
                "verify_signature": True,
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_iss": True,
                "verify_aud": True,
                "require": required,
            },
        )
        return model.model_validate(payload)
    except (jwt.PyJWTError, ValidationError, ValueError, TypeError) as exc:
        raise RoomError("token_invalid", invalid_message) from exc
