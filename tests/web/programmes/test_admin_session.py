"""The programme admin pages sign in once (the admin pages' session cookie, the recordings
page's sign-in) and then call the programmes API with the cookie: GET with the cookie, a
change only with its CSRF token; a room's admin-token session, an expired or a tampered
cookie are refused; the Authorization header still works without a cookie."""

from __future__ import annotations

import aiohttp

from rooms.clock import ManualClock
from tests.live_server import live_server
from tests.web.recordings.hosted import hosted_room
from tests.web.recordings.test_admin_session import Page

START = 1_800_000_000.0


async def test_the_programme_api_takes_the_admin_session_cookie() -> None:
    clock = ManualClock(START)
    async with live_server(clock) as server, aiohttp.ClientSession(
            cookie_jar=aiohttp.DummyCookieJar()) as http:
        page = Page(server, http, clock)
        await hosted_room(server, "room-1", "host-1", START)  # page.token's room
        cookie, csrf = await page.signed_in()
        status, error = await page.call("POST", "/api/programmes", cookie)
        assert (status, error["error"]["code"]) == (403, "csrf_invalid")
        response = await http.post(page.url("/api/programmes"), json={"name": "Spring"},
                                   headers={"Cookie": cookie, "X-CSRF-Token": csrf})
        made = await response.json()
        assert response.status == 201, made
        path = f"/api/programmes/{made['programme_id']}"
        status, body = await page.call("GET", path, cookie)
        assert status == 200 and body["name"] == "Spring"
        status, listed = await page.call("GET", "/api/programmes", cookie)
        assert status == 200 and listed["programmes"][0]["name"] == "Spring"
        status, error = await page.call("POST", path + "/matching", cookie, csrf="0" * 64)
        assert (status, error["error"]["code"]) == (403, "csrf_invalid")
        status, error = await page.call("GET", path, cookie.replace("mentorcall_admin=",
                                                                    "mentorcall_admin=x"))
        assert (status, error["error"]["code"]) == (401, "unauthorized")
        # a room's admin token signs in to the recordings page, not to programmes
        token_cookie, _ = await page.signed_in(page.token(admin=True))
        status, error = await page.call("GET", path, token_cookie)
        assert (status, error["error"]["code"]) == (403, "forbidden")
        # the key in the header (API clients) still works, and wins over a cookie
        response = await http.get(page.url(path), headers={
            "Authorization": f"Bearer {server.admin_key}", "Cookie": token_cookie})
        assert response.status == 200
        clock.set(START + 24 * 3600)
        status, error = await page.call("GET", path, cookie)
        assert (status, error["error"]["code"]) == (401, "session_expired")
