"""Resume tokens: how a client whose connection dropped comes back as the same participant.

Every successful join hands the client a fresh random *resume token*; the store keeps
only its SHA-256 digest, beside the seat, written in the join's own atomic step
(:meth:`~rooms.store.RoomStore.join`), so any process of the deployment can check it. A
client that reconnects within the disconnect grace period sends it with its join token:
if the seat is still there (its lease has not run out), the digest is the current one
and the identity is the join token's, the digest is swapped for a new token's in one
atomic step and the client is the same participant again. A token is good for one
resume: it rotates every time, so a copy of an old one is refused (``resume_invalid``),
and it only ever works together with a join token of the same identity. After the grace
period: ``resume_expired``.
"""

from __future__ import annotations

import hashlib
import secrets

from rooms.errors import RoomError
from rooms.store import RoomStore

RESUME_TOKEN_BYTES = 24  # token_urlsafe(24): 32 url-safe characters
MAX_RESUME_TOKEN_CHARS = 128


def new_resume_token() -> str:
    """A fresh, unguessable resume token."""
    return secrets.token_urlsafe(RESUME_TOKEN_BYTES)


def digest(token: str) -> str:
    """What the store keeps of a token (never the token itself)."""
    return hashlib.sha256(token.encode()).hexdigest()


class ResumeTokens:
    """Redeems the resume tokens of one room store (:func:`new_resume_token` makes them)."""

    def __init__(self, store: RoomStore) -> None:
        self._store = store

    async def redeem(self, room_id: str, identity: str, token: str, now: float,
                     lease_until: float) -> str:
        """The next token, if ``token`` resumes the seat of ``identity`` (whose lease is
        then extended to ``lease_until``); ``resume_expired`` or ``resume_invalid``."""
        if not token or len(token) > MAX_RESUME_TOKEN_CHARS:
            raise RoomError("resume_invalid")
        following = new_resume_token()
        status = await self._store.swap_resume_digest(
            room_id, identity, digest(token), digest(following), now, lease_until)
        if status == "expired":
            raise RoomError("resume_expired")
        if status == "invalid":
            raise RoomError("resume_invalid")
        return following
