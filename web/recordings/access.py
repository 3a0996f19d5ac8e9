"""Who is asking for recordings, and the audit trail of every answer.

Admins are the admin key (``Authorization: Bearer <MENTORCALL_ADMIN_KEY>``, compared in
constant time; actor ``admin``; every recording) or a join token carrying the ``admin``
grant (actor ``token:<identity>``). A join token is issued for one room, and the grant is
given to every roundtable host, so such a token reaches the recordings *of its room
only*, and cannot delete or read the audit log: otherwise any host could download every
mentoring session of the deployment. No or a bad credential is ``unauthorized`` (401); a
good token without the grant, or outside its room, is ``forbidden`` (403). Without an
``Authorization`` header, the admin session cookie of the page (:mod:`.session`) stands
for the credential it was signed in with; a request that changes something must then
carry the session's CSRF token. Every answer of the recordings API, allowed or refused,
is written to the audit log first.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

import jwt
from aiohttp import web

from rooms.clock import Clock
from rooms.errors import RoomError
from rooms.grants import TokenSigner
from rooms.recordings.audit import AuditAction, AuditEntry, AuditOutcome
from rooms.recordings.store import RecordingStore

from ..client_address import ClientAddress
from ..rest import Problem
from .session import COOKIE, SessionCodec

ANONYMOUS = "anonymous"
LINK_ACTOR = "link"  # a download through a signed URL: the URL is the credential
MAX_FIELD = 200


@dataclass(frozen=True)
class Caller:
    actor: str
    refusal: Problem | None  # None: an admin
    room_id: str | None = None  # a token's room: the only recordings it reaches
    until: float | None = None  # a token's expiry: a session signed in with it ends then

    def reaches(self, room_id: str) -> bool:
        return self.room_id is None or self.room_id == room_id


def token_expiry(token: str) -> float | None:
    """The ``exp`` of a token whose signature was already verified (None if unreadable)."""
    try:
        return float(jwt.decode(token, options={"verify_signature": False})["exp"])
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        return None


def outside_room() -> Problem:
    return Problem("forbidden", "Your token reaches the recordings of its own room only.", 403)


def key_only() -> Problem:
    return Problem("forbidden", "Only the admin key can do that.", 403)


class Access:
    """Authenticates callers and writes the audit log."""

    def __init__(self, admin_key: str, signer: TokenSigner, store: RecordingStore,
                 clock: Clock, sessions: SessionCodec,
                 client_address: ClientAddress | None = None) -> None:
        self.client_address = client_address or ClientAddress()
        self._admin_key = admin_key.encode()
        self._signer = signer
        self._store = store
        self._clock = clock
        self.sessions = sessions

    async def caller(self, request: web.Request) -> Caller:
        """Who asks: the ``Authorization`` header, else the page's session cookie."""
        header = request.headers.get("Authorization")
        cookie = request.cookies.get(COOKIE)
        if header is None and cookie:
            return await self._session_caller(request, cookie)
        scheme, _, credential = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not credential:
            return Caller(ANONYMOUS, Problem(
                "unauthorized", "Send the admin key (or an admin token) as "
                "'Authorization: Bearer'.", 401))
        return self.of_credential(credential)

    async def page_admin(self, request: web.Request) -> bool:
        """The admin page signed in with the admin key asks (its session cookie and no
        ``Authorization`` header): what other admin-only reads (the notes) accept."""
        cookie = request.cookies.get(COOKIE)
        if "Authorization" in request.headers or not cookie:
            return False
        caller = await self._session_caller(request, cookie)
        return caller.refusal is None and caller.room_id is None

    async def _session_caller(self, request: web.Request, cookie: str) -> Caller:
        try:
            session = await self.sessions.open(cookie)
        except Problem as refusal:
            return Caller(ANONYMOUS, refusal)
        try:
            self.sessions.check_csrf(request, session)
        except Problem as refusal:
            return Caller(session.actor, refusal, session.room_id)
        return Caller(session.actor, None, session.room_id)

    def of_credential(self, credential: str) -> Caller:
        """The caller an admin key or join token makes (a refusal if neither admits)."""
        if hmac.compare_digest(credential.encode(), self._admin_key):
            return Caller("admin", None)
        try:
            grant = self._signer.verify(credential)
        except RoomError:
            return Caller(ANONYMOUS, Problem("unauthorized", "The admin key or token is not "
                                             "valid.", 401))
        actor = f"token:{grant.identity}"[:MAX_FIELD]
        if not grant.admin:
            return Caller(actor, Problem("forbidden", "Recordings are for admins only.", 403))
        return Caller(actor, None, grant.room_id, token_expiry(credential))

    async def audit(self, request: web.Request, actor: str, action: AuditAction, *,
                    refused: Problem | None = None, recording_id: str | None = None,
                    file: str | None = None, detail: str = "") -> None:
        """One entry: allowed unless ``refused`` is given (whose code it records)."""
        await self._store.audit(AuditEntry(
            at=self._clock.now(), actor=actor[:MAX_FIELD], action=action,
            outcome=AuditOutcome.REFUSED if refused else AuditOutcome.ALLOWED,
            recording_id=None if recording_id is None else recording_id[:MAX_FIELD],
            file=None if file is None else file[:MAX_FIELD],
            code=refused.code if refused else None, detail=detail[:500],
            remote=self.client_address.of(request)[:100]))

    async def admin(self, request: web.Request, action: AuditAction,
                    recording_id: str | None = None, file: str | None = None,
                    admin_key_only: bool = False) -> Caller:
        """The admin asking (with ``admin_key_only``: only the admin key will do); a refusal is
        audited, then raised as its Problem."""
        caller = await self.caller(request)
        refusal = caller.refusal
        if refusal is None and admin_key_only and caller.room_id is not None:
            refusal = key_only()
        if refusal is not None:
            await self.audit(request, caller.actor, action, refused=refusal,
                             recording_id=recording_id, file=file)
            raise refusal
        return caller
