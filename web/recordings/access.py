"""Who is asking for recordings, and the audit trail of every answer.

Admins are the admin key (``Authorization: Bearer <MENTORCALL_ADMIN_KEY>``, compared in
constant time; actor ``admin``; every recording) or a join token carrying the ``admin``
grant (actor ``token:<identity>``). A join token is issued for one room, and the grant is
given to every roundtable host, so such a token reaches the recordings *of its room
only*, and cannot delete or read the audit log: otherwise any host could download every
mentoring session of the deployment. The grant is fixed when the token is issued, so it
is honoured only while its holder is *still* a host or co-host of the room, and not
removed from it (the room's current roundtable state, looked up on every request, for a
session signed in with the token too): a host who handed over and was then removed, or
was demoted, is ``forbidden`` from then on. No or a bad credential is ``unauthorized`` (401); a
good token without the grant, or outside its room, is ``forbidden`` (403). Without an
``Authorization`` header, the admin session cookie of the page (:mod:`.session`) stands
for the credential it was signed in with; a request that changes something must then
carry the session's CSRF token. Every answer of the recordings API, allowed or refused,
is written to the audit log first, except that an allowed list or read repeated within
a minute (the page polling), and a refusal repeated within a minute from the same address
(same actor, action and code; not the admin key's), are counted into the next such entry
instead. What a caller chose is written only in a safe, bounded form: a recording id or
file name from the path that is not a plain one is written as ``(invalid)``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import jwt
from aiohttp import web

from rooms.clock import Clock
from rooms.errors import RoomError
from rooms.grants import TokenSigner
from rooms.recordings.audit import AuditAction, AuditCoalescer, AuditEntry, AuditOutcome
from rooms.recordings.storage import check_file_name, check_recording_id
from rooms.recordings.store import RecordingStore
from rooms.roundtables.service import RoundtableService

from ..client_address import ClientAddress
from ..credentials import same_secret
from ..rest import Problem
from .session import COOKIE, SessionCodec

ANONYMOUS = "anonymous"
LINK_ACTOR = "link"  # a download through a signed URL: the URL is the credential
MAX_FIELD = 200
TOKEN_ACTOR = "token:"  # + the token's identity
INVALID = "(invalid)"  # what the log says for an id or file name that is not a plain one
_NOT_RANGE = re.compile(r"[^0-9a-z=, -]")

# Is (room id, identity) still a host or co-host of that room, and not removed from it?
HostingCheck = Callable[[str, str], Awaitable[bool]]


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


def no_longer_hosting() -> Problem:
    return Problem("forbidden", "Your token's admin grant is for the room's hosts, and you "
                   "are not a host of that room any more.", 403)


def hosting_in(roundtables: RoundtableService) -> HostingCheck:
    """The :data:`HostingCheck` of the roundtables' current state: False for a room that
    is gone or not a roundtable; the store being away (``unavailable``) is raised."""

    async def still_hosting(room_id: str, identity: str) -> bool:
        try:
            state = await roundtables.state(room_id)
        except RoomError as exc:
            if exc.code == "unavailable":
                raise
            return False
        return state.is_hosting(identity) and not state.is_banned(identity)

    return still_hosting


def safe_id(value: str | None, check: Callable[[str], str]) -> str | None:
    """``value`` if it is a plain id (``check`` passes), else :data:`INVALID`."""
    if value is None:
        return None
    try:
        return check(value)
    except RoomError:
        return INVALID


def safe_range(header: str) -> str:
    """A Range header as the log may keep it: range syntax characters only, bounded."""
    return _NOT_RANGE.sub("?", header.lower()[:100])


class Access:
    """Authenticates callers and writes the audit log."""

    def __init__(self, admin_key: str, signer: TokenSigner, store: RecordingStore,
                 clock: Clock, sessions: SessionCodec,
                 client_address: ClientAddress | None = None, *,
                 hosting: HostingCheck) -> None:
        self.client_address = client_address or ClientAddress()
        self._hosting = hosting
        self._admin_key = admin_key.encode()
        self._signer = signer
        self._store = store
        self._clock = clock
        self.sessions = sessions
        self._coalescer = AuditCoalescer()  # polling and repeated refusals: counted

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
        return await self.of_credential(credential)

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
        caller = Caller(session.actor, None, session.room_id)
        if session.room_id is None:
            return caller
        return await self._still_hosting(caller, session.actor.removeprefix(TOKEN_ACTOR))

    async def _still_hosting(self, caller: Caller, identity: str) -> Caller:
        """``caller`` (a token's) if its holder still hosts its room, else refused."""
        assert caller.room_id is not None
        try:
            hosting = await self._hosting(caller.room_id, identity)
        except RoomError as exc:  # the store away: say so, not "forbidden"
            return Caller(caller.actor, Problem(exc.code, exc.message, 503), caller.room_id)
        if not hosting:
            return Caller(caller.actor, no_longer_hosting(), caller.room_id)
        return caller

    async def of_credential(self, credential: str) -> Caller:
        """The caller an admin key or join token makes (a refusal if neither admits)."""
        if same_secret(credential, self._admin_key):
            return Caller("admin", None)
        try:
            grant = self._signer.verify(credential)
        except RoomError:
            return Caller(ANONYMOUS, Problem("unauthorized", "The admin key or token is not "
                                             "valid.", 401))
        actor = f"{TOKEN_ACTOR}{grant.identity}"[:MAX_FIELD]
        if not grant.admin:
            return Caller(actor, Problem("forbidden", "Recordings are for admins only.", 403))
        return await self._still_hosting(
            Caller(actor, None, grant.room_id, token_expiry(credential)), grant.identity)

    async def audit(self, request: web.Request, actor: str, action: AuditAction, *,
                    refused: Problem | None = None, recording_id: str | None = None,
                    file: str | None = None, detail: str = "") -> None:
        """One entry: allowed unless ``refused`` is given (whose code it records). An
        allowed list or read repeated within a minute is counted, not written
        (:class:`~rooms.recordings.audit.AuditCoalescer`); so is a refusal repeated
        within a minute from the same address (not the admin key's). ``recording_id`` and
        ``file`` are written only if they are plain ones (else :data:`INVALID`)."""
        entry = self._coalescer.admit(AuditEntry(
            at=self._clock.now(), actor=actor[:MAX_FIELD], action=action,
            outcome=AuditOutcome.REFUSED if refused else AuditOutcome.ALLOWED,
            recording_id=safe_id(recording_id, check_recording_id),
            file=safe_id(file, check_file_name),
            code=refused.code if refused else None, detail=detail[:500],
            remote=self.client_address.of(request)[:100]))
        if entry is not None:
            await self._store.audit(entry)

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
