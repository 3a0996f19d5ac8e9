"""The REST API over a real server: auth, validation, and links that work."""

from __future__ import annotations

import json
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
import tzdata
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.live_server import LiveServer, ThreadedServer, live_server, token_of


async def post_rooms(server: LiveServer, body: Any, key: str | None = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {key if key is not None else server.admin_key}"}
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with aiohttp.ClientSession() as http:
        response = await http.post(f"{server.base_url}/api/rooms", data=data, headers=headers)
        return response.status, await response.json()


async def test_create_room_returns_two_working_links() -> None:
    async with live_server() as server:
        status, body = await post_rooms(server, {"mentor_name": "Ada", "mentee_name": "Grace"})
        assert status == 201
        assert body["kind"] == "coffee"
        mentor = server.services.service.verify(token_of(body["links"]["mentor"]))
        mentee = server.services.service.verify(token_of(body["links"]["mentee"]))
        assert (mentor.role.value, mentee.role.value) == ("mentor", "mentee")
        assert mentor.room_id == mentee.room_id == body["room_id"]
        assert body["links"]["mentor"].startswith(f"{server.base_url}/join#token=")
        async with aiohttp.ClientSession() as http:
            page = await http.get(body["links"]["mentor"].split("#")[0])
            assert page.status == 200
            csp = page.headers["Content-Security-Policy"]
            assert csp.startswith("default-src 'self'")
            # the notes editor's <style> element carries this answer's nonce; nothing
            # else inline, styles or scripts
            assert "unsafe-inline" not in csp and "script-src 'self';" in csp
            nonce = re.search(r"style-src 'self' 'nonce-([A-Za-z0-9_-]{24})';", csp)
            assert nonce is not None, csp
            html = await page.text()
            assert f'<meta name="csp-nonce" nonce="{nonce[1]}">' in html
            again = await http.get(body["links"]["mentor"].split("#")[0])
            assert nonce[1] not in again.headers["Content-Security-Policy"]
            assert nonce[1] not in await again.text()
            landing = await http.get(f"{server.base_url}/")
            assert "style-src 'self';" in landing.headers["Content-Security-Policy"]
            health = await http.get(f"{server.base_url}/api/health")
            assert await health.json() == {
                "ok": True, "status": "ok", "tzdata": tzdata.IANA_VERSION
            }


async def test_create_room_refuses_bad_requests() -> None:
    async with live_server() as server:
        good = {"mentor_name": "Ada", "mentee_name": "Grace"}
        cases: list[tuple[Any, str | None, int, str]] = [
            (good, "wrong-key", 401, "unauthorized"),
            (good, "", 401, "unauthorized"),
            (b"{not json", None, 400, "invalid_json"),
            ([1, 2], None, 400, "invalid_body"),
            ({"mentor_name": "Ada"}, None, 400, "invalid_body"),
            ({**good, "duration_minutes": 100000}, None, 400, "invalid_body"),
            ({**good, "duration_minutes": "30"}, None, 400, "invalid_body"),
            ({**good, "admin": True}, None, 400, "invalid_body"),
            ({**good, "title": "x" * 200_000}, None, 413, "body_too_large"),
        ]
        for body, key, status, code in cases:
            got_status, got = await post_rooms(server, body, key)
            assert (got_status, got["error"]["code"]) == (status, code), body
            assert got["error"]["message"]
        assert await server.services.store.get_room("anything") is None


@pytest.fixture(scope="module")
def threaded() -> Iterator[LiveServer]:
    with ThreadedServer() as server:
        yield server


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(
        st.sampled_from(["mentor_name", "mentee_name", "title", "duration_minutes", "x"]),
        children,
        max_size=5,
    ),
    max_leaves=10,
)


@settings(max_examples=80, deadline=None)
@given(body=JSON)
def test_fuzzed_bodies_get_a_coded_answer(threaded: LiveServer, body: Any) -> None:
    request = urllib.request.Request(
        f"{threaded.base_url}/api/rooms",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {threaded.admin_key}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, answer = response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        status, answer = exc.code, json.load(exc)
    assert status in (201, 400), (status, answer)
    if status == 201:
        assert set(answer["links"]) == {"mentor", "mentee"}
    else:
        # Infinity and NaN (json.dumps writes them) are not JSON: invalid_json.
        assert answer["error"]["code"] in ("invalid_body", "invalid_json")
        assert answer["error"]["message"]


async def test_health_and_the_start_up_log_name_the_tz_rules(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="web.scheduling.setup")
    async with live_server() as server, aiohttp.ClientSession() as http:
        health = await (await http.get(f"{server.base_url}/api/health")).json()
    assert health["tzdata"] == tzdata.IANA_VERSION
    assert f"time-zone rules: IANA {tzdata.IANA_VERSION} (the tzdata package)" in caplog.text
