"""Sign-in and sign-out of the recordings admin page, and the page itself.

``POST /api/recordings-session`` takes the admin key (or an admin token) once and answers a
session cookie (:mod:`.session`); ``GET`` says who is signed in (and the CSRF token, for a
reloaded page); ``DELETE`` signs out (the session is revoked in the store: a copy of the
cookie is dead too). *Failed* sign-ins are limited per client address (token bucket, per
process; behind trusted proxies the client's own, web/client_address.py): past the limit
a wrong credential is answered ``rate_limited``, but a right one is always let in, so
nobody (not even everyone behind one proxy address) can be locked out by someone else's
failures; the admin key is at least 32 bytes and admin tokens are signed, so it is not the
limit that stops guessing, it keeps a flood of wrong attempts cheap. Every attempt is
audited as ``signin`` (a refusal repeated from one address within a minute is counted
into the next entry, see :mod:`.access`). The body must be JSON (``Content-Type:
application/json``), which a cross-site form cannot send, so no other site can sign a
browser in either.
"""

from __future__ import annotations

import math
from pathlib import Path

from aiohttp import web
from pydantic import ValidationError

from rooms.clock import Clock
from rooms.recordings.audit import AuditAction
from signaling.dispatch import describe_validation_error
from signaling.rate_limits import RateLimiter

from ..rest import Problem, rate_limited, read_json
from .access import ANONYMOUS, Access
from .session import (
    COOKIE,
    COOKIE_PATH,
    AdminSession,
    CookieSecure,
    cookie_is_secure,
    not_signed_in,
)
from .views import SessionView, SignedOut, SignInBody

PAGE = Path(__file__).parent.parent / "static" / "admin" / "index.html"
SESSION_ROUTE = "/api/recordings-session"
PAGE_ROUTE = "/admin/recordings"


class SignIn:
    """Handlers of /api/recordings-session and the page at /admin/recordings."""

    def __init__(self, access: Access, clock: Clock, *, secure: CookieSecure, base_url: str,
                 attempts_burst: int, attempts_per_min: float, retention_days: int,
                 link_ttl_s: int) -> None:
        self._access = access
        self._clock = clock
        self.sessions = access.sessions
        self._secure = secure
        self._base_url = base_url
        self._failures = RateLimiter(clock, attempts_per_min / 60, attempts_burst)
        self._retention_days = retention_days
        self._link_ttl_s = link_ttl_s

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post(SESSION_ROUTE, self.sign_in),
            web.get(SESSION_ROUTE, self.current),
            web.delete(SESSION_ROUTE, self.sign_out),
            web.get(PAGE_ROUTE, self.page),
        ]

    def _view(self, session: AdminSession) -> SessionView:
        return SessionView(actor=session.actor, room_id=session.room_id,
                           admin_key=session.room_id is None,
                           expires_at=session.expires_at,
                           csrf_token=self.sessions.csrf_token(session),
                           retention_days=self._retention_days, link_ttl_s=self._link_ttl_s)

    async def _refuse(self, request: web.Request, actor: str, refusal: Problem) -> Problem:
        await self._access.audit(request, actor, AuditAction.SIGNIN, refused=refusal)
        return refusal

    async def _fail(self, request: web.Request, actor: str, refusal: Problem) -> Problem:
        """A failed sign-in: it costs the address a token; past the limit it is answered
        ``rate_limited`` instead (audited either way)."""
        wait = self._failures.take(self._access.client_address.of(request))
        if wait:
            refusal = rate_limited(wait, "failed sign-ins")
        return await self._refuse(request, actor, refusal)

    async def sign_in(self, request: web.Request) -> web.Response:
        if request.content_type != "application/json":
            raise await self._fail(request, ANONYMOUS, Problem(
                "invalid_body", "Send the credential as JSON: {\"credential\": \"...\"}."))
        try:
            body = SignInBody.model_validate((await read_json(request)).value)
        except ValidationError as exc:
            raise await self._fail(request, ANONYMOUS, Problem(
                "invalid_body", describe_validation_error(exc))) from None
        except Problem as bad_body:
            raise await self._fail(request, ANONYMOUS, bad_body) from None
        caller = await self._access.of_credential(body.credential.strip())
        if caller.refusal is not None:
            refused = caller.refusal
            if refused.code == "unauthorized":
                refused = Problem("unauthorized", "That is not the admin key or a valid admin "
                                  "token. Check it and try again.", 401)
            raise await self._fail(request, caller.actor, refused)
        value, session = self.sessions.issue(caller.actor, caller.room_id, caller.until)
        await self._access.audit(request, caller.actor, AuditAction.SIGNIN,
                                 detail=f"session until {session.expires_at}")
        response = web.json_response(self._view(session).model_dump(mode="json"),
                                     headers={"Cache-Control": "no-store"})
        max_age = max(1, session.expires_at - math.ceil(self._clock.now()))
        response.set_cookie(COOKIE, value, max_age=max_age, path=COOKIE_PATH,
                            httponly=True, samesite="Strict",
                            secure=cookie_is_secure(request, self._secure, self._base_url))
        return response

    async def _session(self, request: web.Request) -> AdminSession:
        cookie = request.cookies.get(COOKIE)
        if not cookie:
            raise not_signed_in()
        return await self.sessions.open(cookie)

    async def current(self, request: web.Request) -> web.Response:
        """Who is signed in (not audited: it reads nothing of the recordings)."""
        session = await self._session(request)
        return web.json_response(self._view(session).model_dump(mode="json"),
                                 headers={"Cache-Control": "no-store"})

    async def sign_out(self, request: web.Request) -> web.Response:
        try:
            session = await self._session(request)
            self.sessions.check_csrf(request, session)
        except Problem as refusal:
            if refusal.code == "csrf_invalid":  # a session stays signed in
                raise await self._refuse_signout(request, refusal) from None
            session = None  # nothing valid to end: still clear whatever cookie there is
        if session is not None:  # ended on every process, not only in this browser
            await self.sessions.revoke(session)
            await self._access.audit(request, session.actor, AuditAction.SIGNOUT)
        response = web.json_response(SignedOut().model_dump(mode="json"),
                                     headers={"Cache-Control": "no-store"})
        response.del_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="Strict",
                            secure=cookie_is_secure(request, self._secure, self._base_url))
        return response

    async def _refuse_signout(self, request: web.Request, refusal: Problem) -> Problem:
        await self._access.audit(request, ANONYMOUS, AuditAction.SIGNOUT, refused=refusal)
        return refusal

    async def page(self, request: web.Request) -> web.StreamResponse:
        if not PAGE.exists():
            return web.Response(status=503, text="The web client is not built yet: run "
                                "`make build` (or `make run`).")
        return web.FileResponse(PAGE, headers={"Cache-Control": "no-cache"})
