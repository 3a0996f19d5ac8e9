"""The admin page's session on a live server: the cookie's flags, CSRF refusals, expired
and tampered cookies, non-admins, the sign-in rate limit, sign-out, and the audit of each."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from http.cookies import Morsel, SimpleCookie
from typing import Any

import aiohttp
import pytest

from rooms.clock import ManualClock
from rooms.grants import JoinGrant
from rooms.models import Role
from rooms.notes.model import SessionContext
from tests.live_server import LiveServer, live_server
from tests.rooms.recordings.builders import recording
from tests.web.recordings.hosted import hosted_room
from web.recordings.setup import RECORDINGS

START = 1_800_000_000.0
SESSION = "/api/recordings-session"


@dataclass
class Page:
    """A client that holds the cookie itself (no jar: every header is the test's)."""

    server: LiveServer
    http: aiohttp.ClientSession
    clock: ManualClock

    def url(self, path: str) -> str:
        return self.server.base_url + path

    def token(self, admin: bool, room_id: str = "room-1", ttl_s: int = 3600) -> str:
        grant = JoinGrant(room_id=room_id, identity="host-1", display_name="Host",
                          role=Role.HOST, publish=True, subscribe=True, admin=admin)
        return self.server.services.signer.issue(grant, ttl_s)

    async def sign_in(self, credential: str, headers: dict[str, str] | None = None,
                      ) -> tuple[int, Any, Morsel[str] | None]:
        response = await self.http.post(self.url(SESSION), json={"credential": credential},
                                        headers=headers)
        jar: SimpleCookie = SimpleCookie()
        for header in response.headers.getall("Set-Cookie", []):
            jar.load(header)
        return response.status, await response.json(), jar.get("mentorcall_admin")

    async def signed_in(self, credential: str | None = None) -> tuple[str, str]:
        """(cookie header, CSRF token) of a fresh session."""
        status, body, cookie = await self.sign_in(credential or self.server.admin_key)
        assert status == 200 and cookie is not None, body
        return f"mentorcall_admin={cookie.value}", str(body["csrf_token"])

    async def call(self, method: str, path: str, cookie: str, csrf: str | None = None,
                   ) -> tuple[int, Any]:
        headers = {"Cookie": cookie}
        if csrf is not None:
            headers["X-CSRF-Token"] = csrf
        response = await self.http.request(method, self.url(path), headers=headers)
        return response.status, await response.json()

    async def audit(self) -> list[tuple[Any, ...]]:
        response = await self.http.get(self.url("/api/recordings-audit"), headers={
            "Authorization": f"Bearer {self.server.admin_key}"}, params={"limit": "1000"})
        entries = (await response.json())["entries"]
        return [(e["actor"], e["action"], e["outcome"], e["code"], e["recording_id"])
                for e in reversed(entries) if e["action"] != "audit"]


@pytest.fixture
async def page(request: pytest.FixtureRequest) -> AsyncIterator[Page]:
    clock = ManualClock(START)
    overrides: dict[str, Any] = getattr(request, "param", {})
    async with live_server(clock, **overrides) as server, aiohttp.ClientSession(
            cookie_jar=aiohttp.DummyCookieJar()) as http:
        store = server.app[RECORDINGS].store
        await store.create(recording("rec-1", "room-1", START - 600, active=False))
        await store.create(recording("rec-2", "room-2", START - 60, active=False))
        await hosted_room(server, "room-1", "host-1", START)  # see Page.token
        yield Page(server, http, clock)


async def test_sign_in_sets_a_short_lived_strict_http_only_cookie(page: Page) -> None:
    status, body, cookie = await page.sign_in(page.server.admin_key)
    assert status == 200, body
    assert cookie is not None
    assert cookie["httponly"] is True and cookie["samesite"] == "Strict"
    assert cookie["path"] == "/api" and cookie["max-age"] == "1800"
    assert not cookie["secure"]  # plain http, auto
    assert body["actor"] == "admin" and body["admin_key"] is True
    assert body["room_id"] is None and body["expires_at"] == START + 1800
    assert body["retention_days"] == 90 and body["link_ttl_s"] == 300
    header = f"mentorcall_admin={cookie.value}"
    status, listed = await page.call("GET", "/api/recordings", header)
    assert status == 200 and [r["recording_id"] for r in listed] == ["rec-2", "rec-1"]
    status, again = await page.call("GET", SESSION, header)
    assert status == 200 and again["csrf_token"] == body["csrf_token"]
    assert await page.audit() == [("admin", "signin", "allowed", None, None),
                                  ("admin", "list", "allowed", None, None)]


@pytest.mark.parametrize("page", [{"admin_cookie_secure": "always"},
                                  {"public_url": "https://mentoring.example.org"}],
                         indirect=True)
async def test_the_cookie_is_secure_when_configured_or_served_over_https(page: Page) -> None:
    status, _body, cookie = await page.sign_in(page.server.admin_key)
    assert status == 200 and cookie is not None and cookie["secure"] is True


async def test_changes_without_the_csrf_token_are_refused_and_audited(page: Page) -> None:
    cookie, csrf = await page.signed_in()
    other_cookie, other_csrf = await page.signed_in()
    for sent in (None, "", "0" * 64, other_csrf):
        status, body = await page.call("DELETE", "/api/recordings/rec-1", cookie, sent)
        assert status == 403 and body["error"]["code"] == "csrf_invalid", sent
    status, body = await page.call(
        "POST", "/api/recordings/rec-1/files/a.webm/link", cookie)
    assert status == 403 and body["error"]["code"] == "csrf_invalid"
    status, body = await page.call("DELETE", SESSION, cookie)  # sign-out too
    assert status == 403 and body["error"]["code"] == "csrf_invalid"
    assert await page.server.app[RECORDINGS].store.get("rec-1") is not None
    status, body = await page.call("DELETE", "/api/recordings/rec-1", cookie, csrf)
    assert status == 200 and body == {"recording_id": "rec-1", "files_deleted": 0}
    assert await page.audit() == [
        ("admin", "signin", "allowed", None, None),
        ("admin", "signin", "allowed", None, None),
        *[("admin", "delete", "refused", "csrf_invalid", "rec-1")] * 4,
        ("admin", "link", "refused", "csrf_invalid", "rec-1"),
        ("anonymous", "signout", "refused", "csrf_invalid", None),
        ("admin", "delete", "allowed", None, "rec-1"),
    ]
    assert other_cookie != cookie


def forged(value: str, **changes: Any) -> str:
    """The cookie value with its payload changed and its signature kept."""
    payload, _, sig = value.partition(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data.update(changes)
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode() + "." + sig


async def test_expired_and_tampered_cookies_are_refused_and_audited(page: Page) -> None:
    cookie, _ = await page.signed_in(page.token(admin=True))
    value = cookie.split("=", 1)[1]
    status, body = await page.call("GET", "/api/recordings", cookie)
    assert status == 200 and [r["recording_id"] for r in body] == ["rec-1"]  # its room
    widened = forged(value, r=None, a="admin")
    flipped = value[:-1] + ("A" if value[-1] != "A" else "B")
    for bad in (widened, flipped, value.split(".")[0], "garbage"):
        status, body = await page.call("GET", "/api/recordings", f"mentorcall_admin={bad}")
        assert status == 401 and body["error"]["code"] == "unauthorized", bad
    page.clock.advance(1800)
    status, body = await page.call("GET", "/api/recordings/rec-1", cookie)
    assert status == 401 and body["error"]["code"] == "session_expired"
    status, body = await page.call("GET", SESSION, cookie)
    assert status == 401 and body["error"]["code"] == "session_expired"
    assert await page.audit() == [
        ("token:host-1", "signin", "allowed", None, None),
        ("token:host-1", "list", "allowed", None, None),
        ("anonymous", "list", "refused", "unauthorized", None),  # 4, counted in one
        ("anonymous", "read", "refused", "session_expired", "rec-1"),
    ]


async def test_non_admins_and_wrong_keys_get_no_session(page: Page) -> None:
    status, body, cookie = await page.sign_in(page.token(admin=False))
    assert status == 403 and body["error"]["code"] == "forbidden" and cookie is None
    status, body, cookie = await page.sign_in("not-the-admin-key")
    assert status == 401 and cookie is None
    assert body["error"] == {"code": "unauthorized", "message": "That is not the admin key "
                             "or a valid admin token. Check it and try again."}
    form = await page.http.post(page.url(SESSION), data={"credential": page.server.admin_key})
    assert form.status == 400 and "Set-Cookie" not in form.headers  # no cross-site form
    cookie_header, csrf = await page.signed_in(page.token(admin=True))
    status, body = await page.call("DELETE", "/api/recordings/rec-1", cookie_header, csrf)
    assert status == 403 and body["error"]["code"] == "forbidden"  # the admin key only
    status, body = await page.call("GET", "/api/recordings/rec-2", cookie_header)
    assert status == 403 and body["error"]["code"] == "forbidden"  # another room
    assert await page.audit() == [
        ("token:host-1", "signin", "refused", "forbidden", None),
        ("anonymous", "signin", "refused", "unauthorized", None),
        ("anonymous", "signin", "refused", "invalid_body", None),
        ("token:host-1", "signin", "allowed", None, None),
        ("token:host-1", "delete", "refused", "forbidden", "rec-1"),
        ("token:host-1", "read", "refused", "forbidden", "rec-2"),
    ]


async def test_failed_sign_ins_are_rate_limited_per_address(page: Page) -> None:
    for _ in range(5):
        status, _, _ = await page.sign_in("wrong-key-wrong-key")
        assert status == 401
    status, body, cookie = await page.sign_in("wrong-key-wrong-key")
    assert status == 429 and body["error"]["code"] == "rate_limited" and cookie is None
    assert body["error"]["message"].startswith("Too many failed sign-ins")
    page.clock.advance(12)  # 5 a minute: one attempt back
    status, _, _ = await page.sign_in("wrong-key-wrong-key")
    assert status == 401
    status, body, cookie = await page.sign_in(page.token(admin=False))
    assert status == 429 and cookie is None  # a token without the grant fails too
    log = await page.audit()
    assert log.count(("anonymous", "signin", "refused", "rate_limited", None)) == 1
    assert log.count(("token:host-1", "signin", "refused", "rate_limited", None)) == 1
    # the same refusal from one address within a minute: one entry (the rest counted)
    assert log.count(("anonymous", "signin", "refused", "unauthorized", None)) == 1


async def test_a_forwarded_for_header_is_not_believed_without_trusted_proxies(
        page: Page) -> None:
    for n in range(5):
        status, _, _ = await page.sign_in("wrong", {"X-Forwarded-For": f"203.0.113.{n}"})
        assert status == 401
    status, _, _ = await page.sign_in("wrong", {"X-Forwarded-For": "203.0.113.99"})
    assert status == 429


@pytest.mark.parametrize("page", [{"trusted_proxies": ("127.0.0.1",)}], indirect=True)
async def test_behind_a_trusted_proxy_failures_count_per_client(page: Page) -> None:
    mallory = {"X-Forwarded-For": "203.0.113.5"}
    for _ in range(5):
        status, _, _ = await page.sign_in("wrong-key-wrong-key", mallory)
        assert status == 401
    status, _, _ = await page.sign_in("wrong-key-wrong-key", mallory)
    assert status == 429
    spoofed = {"X-Forwarded-For": "198.51.100.1, 203.0.113.5"}  # her own header, appended to
    status, _, _ = await page.sign_in("wrong-key-wrong-key", spoofed)
    assert status == 429
    status, _, _ = await page.sign_in("a-typo-of-the-key", {"X-Forwarded-For": "203.0.113.6"})
    assert status == 401  # someone else behind the same proxy has their own attempts
    response = await page.http.get(page.url("/api/recordings-audit"), headers={
        "Authorization": f"Bearer {page.server.admin_key}"}, params={"limit": "1000"})
    remotes = [e["remote"] for e in (await response.json())["entries"]
               if e["action"] == "signin"]
    # per client: her 5 failures are one entry, her 2 rate-limited attempts another
    assert remotes == ["203.0.113.6", "203.0.113.5", "203.0.113.5"]


async def test_nobody_locks_the_admin_out_and_sign_ins_cost_nothing(page: Page) -> None:
    for _ in range(6):  # someone behind the same address (a proxy) fails on and on
        status, _, _ = await page.sign_in("wrong-key-wrong-key")
    assert status == 429
    for _ in range(7):  # the right key still signs in, as often as needed
        status, body, cookie = await page.sign_in(page.server.admin_key)
        assert status == 200 and cookie is not None, body
    status, body, cookie = await page.sign_in(page.token(admin=True))
    assert status == 200 and cookie is not None, body
    status, body, _ = await page.sign_in("wrong-key-wrong-key")
    assert status == 429  # and the failures are still limited
    log = await page.audit()
    assert log.count(("admin", "signin", "allowed", None, None)) == 7


async def test_a_token_session_ends_when_its_token_does(page: Page) -> None:
    status, body, cookie = await page.sign_in(page.token(admin=True, ttl_s=600))
    assert status == 200 and cookie is not None
    assert body["expires_at"] == START + 600 and cookie["max-age"] == "600"
    page.clock.advance(600)
    status, body = await page.call("GET", "/api/recordings", f"mentorcall_admin={cookie.value}")
    assert status == 401 and body["error"]["code"] == "session_expired"


async def test_sign_out_clears_the_cookie(page: Page) -> None:
    cookie, csrf = await page.signed_in()
    response = await page.http.delete(page.url(SESSION), headers={
        "Cookie": cookie, "X-CSRF-Token": csrf})
    assert response.status == 200 and await response.json() == {"signed_out": True}
    jar: SimpleCookie = SimpleCookie()
    jar.load(response.headers["Set-Cookie"])
    cleared = jar["mentorcall_admin"]
    assert cleared.value == "" and cleared["max-age"] == "0" and cleared["path"] == "/api"
    assert (await page.audit())[-1] == ("admin", "signout", "allowed", None, None)


async def test_the_admin_key_header_still_wins_over_a_cookie(page: Page) -> None:
    response = await page.http.delete(page.url("/api/recordings/rec-2"), headers={
        "Authorization": f"Bearer {page.server.admin_key}",
        "Cookie": "mentorcall_admin=garbage"})
    assert response.status == 200  # an API client needs no CSRF token


async def test_sign_out_ends_the_session_on_every_process(redis_url: str) -> None:
    """A copy of the cookie (another tab, a leaked one) is dead once its session signed
    out, on the other process too, for the recordings, the notes and the programmes."""
    async with live_server(redis_url=redis_url) as one, \
            live_server(redis_url=redis_url) as two, \
            aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        answer = await http.post(one.base_url + SESSION, json={"credential": one.admin_key})
        assert answer.status == 200
        jar: SimpleCookie = SimpleCookie()
        jar.load(answer.headers["Set-Cookie"])
        cookie = {"Cookie": f"mentorcall_admin={jar['mentorcall_admin'].value}"}
        csrf = (await answer.json())["csrf_token"]
        await one.services.notes.store.put_context(SessionContext(
            room_id="room-x", scope="pair:a+b", people=("a", "b"), title="Coffee"))
        reads = ["/api/recordings", "/api/notes/sessions/room-x/recordings",
                 "/api/programmes/nope"]
        before = [(await http.get(two.base_url + path, headers=cookie)).status
                  for path in reads]
        assert before == [200, 200, 404]  # signed in: the programme just does not exist
        out = await http.delete(one.base_url + SESSION,
                                headers={**cookie, "X-CSRF-Token": csrf})
        assert out.status == 200
        for server in (one, two):
            for path in [SESSION, *reads]:
                response = await http.get(server.base_url + path, headers=cookie)
                assert response.status == 401, (path, await response.text())
        response = await http.get(two.base_url + "/api/recordings", headers=cookie)
        assert (await response.json())["error"] == {
            "code": "unauthorized", "message": "Your admin session was signed out: sign in again."}


async def test_a_new_admin_key_ends_the_sessions_of_the_old_one() -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        async with live_server() as before:
            answer = await http.post(before.base_url + SESSION,
                                     json={"credential": before.admin_key})
            assert answer.status == 200
            jar: SimpleCookie = SimpleCookie()
            jar.load(answer.headers["Set-Cookie"])
            cookie = {"Cookie": f"mentorcall_admin={jar['mentorcall_admin'].value}"}
        async with live_server() as restarted:  # the same key: the session goes on
            response = await http.get(restarted.base_url + "/api/recordings", headers=cookie)
            assert response.status == 200
        async with live_server(admin_key="rotated-after-a-leak-" + "k" * 32) as rotated:
            for path in (SESSION, "/api/recordings", "/api/programmes/nope",
                         "/api/notes/sessions/room-x/recordings"):
                response = await http.get(rotated.base_url + path, headers=cookie)
                assert response.status == 401, (path, await response.text())
