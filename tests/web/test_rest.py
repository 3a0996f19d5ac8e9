"""The REST boundary (web/rest.py): bounded JSON, coded errors for bad input, a JSON 500
for bugs, and display names people can see, over a real server."""

from __future__ import annotations

import asyncio
import json
import logging
import unicodedata
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rooms.clock import ManualClock
from tests.live_server import LiveServer, ThreadedServer, live_server, token_of
from tests.web.scheduling.client import ALL_WEEK, T0

HUGE_INT = b"9" * 5000
DEEP = b"[" * 30000 + b"]" * 30000
BLANK_OR_CONTROL = ["   ", "\t", "\u3000", "Ada\x00", "Ada\nLovelace", "A\u202eda", "\x1b[31m"]


async def send(server: LiveServer, method: str, path: str, raw: bytes,
               token: str) -> tuple[int, str, Any]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with aiohttp.ClientSession() as http, http.request(
            method, f"{server.base_url}{path}", data=raw, headers=headers) as response:
        text = await response.text()
        return response.status, response.content_type, json.loads(text) if (
            response.content_type == "application/json") else text


async def register(server: LiveServer, name: str = "Ada") -> tuple[int, Any]:
    body = json.dumps({"display_name": name, "role": "mentor", "zone": "UTC"}).encode()
    status, _, answer = await send(server, "POST", "/api/people", body, server.admin_key)
    return status, answer


async def test_huge_numbers_and_deep_nesting_get_a_coded_400() -> None:
    async with live_server() as server:
        status, person = await register(server)
        assert status == 201, person
        person_token = token_of(person["schedule_link"])
        bodies = {
            "huge int": b'{"mentor_name": "Ada", "mentee_name": "Grace", "duration_minutes": '
                        + HUGE_INT + b"}",
            "deep": DEEP,
            "deep object": b'{"a":' * 10000 + b"1" + b"}" * 10000,
            "NaN": b'{"mentor_name": "Ada", "mentee_name": "Grace", "duration_minutes": NaN}',
            "infinite": b'{"duration_minutes": 1e999}',
        }
        for name, raw in bodies.items():
            for method, path, token in (("POST", "/api/rooms", server.admin_key),
                                        ("PUT", "/api/me/availability", person_token)):
                status, kind, answer = await send(server, method, path, raw, token)
                assert (status, kind) == (400, "application/json"), (name, path, answer)
                assert answer["error"]["code"] == "invalid_json", (name, path, answer)
                assert answer["error"]["message"]


async def test_a_bug_is_a_logged_json_500(monkeypatch: pytest.MonkeyPatch,
                                           caplog: pytest.LogCaptureFixture) -> None:
    async with live_server() as server:
        async def broken(**_: Any) -> Any:
            raise RuntimeError("a bug")

        monkeypatch.setattr(server.services.service, "create_coffee_room", broken)
        body = json.dumps({"mentor_name": "Ada", "mentee_name": "Grace"}).encode()
        with caplog.at_level(logging.ERROR, logger="web.rest"):
            status, kind, answer = await send(server, "POST", "/api/rooms", body,
                                              server.admin_key)
        assert (status, kind) == (500, "application/json"), answer
        assert answer["error"]["code"] == "internal_error"
        failed = [r for r in caplog.records if r.name == "web.rest"]
        assert failed and failed[0].exc_info is not None
        assert "POST /api/rooms failed" in failed[0].getMessage()


async def test_blank_and_control_character_names_are_refused() -> None:
    async with live_server() as server:
        for name in BLANK_OR_CONTROL:
            body = json.dumps({"mentor_name": name, "mentee_name": "Grace"}).encode()
            status, _, answer = await send(server, "POST", "/api/rooms", body,
                                           server.admin_key)
            assert (status, answer["error"]["code"]) == (400, "invalid_body"), name
            status, answer = await register(server, name)
            assert (status, answer["error"]["code"]) == (400, "invalid_body"), name
        status, person = await register(server, "  Zoë Ñandú \u200d ")
        assert status == 201, person
        assert person["display_name"] == "Zoë Ñandú \u200d"


# ---- fuzz: hostile values anywhere in the bodies of the API --------------------------

def hostile_values() -> st.SearchStrategy[bytes]:
    """Raw JSON values that once gave a 500, and their neighbours."""
    digits = st.integers(1, 6000).map(lambda n: b"9" * n)
    floats = st.integers(1, 5000).map(lambda n: b"1." + b"5" * n + b"e" + str(n).encode())
    nested = st.integers(1, 40000).flatmap(lambda n: st.sampled_from(
        [b"[" * n + b"]" * n, b'{"k":' * n + b"0" + b"}" * n]))
    constants = st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-0", b"1E2"])
    names = st.text(st.characters(codec="utf-8"), min_size=0, max_size=12).map(
        lambda s: json.dumps(s).encode())
    return digits | floats | nested | constants | names


FIELDS: dict[str, tuple[list[str], dict[str, Any]]] = {
    "/api/rooms": (["mentor_name", "mentee_name", "title", "duration_minutes"],
                   {"mentor_name": "Ada", "mentee_name": "Grace"}),
    "/api/people": (["display_name", "role", "zone", "email"],
                    {"display_name": "Ada", "role": "mentee", "zone": "UTC"}),
    "/api/me/availability": (["zone", "weekly", "days_off", "extra"],
                             {"zone": "UTC", "weekly": ALL_WEEK}),
    "/api/bookings": (["with", "start", "length", "title"],
                      {"start": "2026-03-05T10:00:00Z"}),
}


class World:
    def __init__(self, server: LiveServer) -> None:
        self.server = server
        status, self.mentor = self._call("POST", "/api/people", server.admin_key,
                                         b'{"display_name": "Ada", "role": "mentor", '
                                         b'"zone": "UTC"}')
        assert status == 201, self.mentor
        self.token = token_of(self.mentor["schedule_link"])

    def _call(self, method: str, path: str, token: str, raw: bytes) -> tuple[int, Any]:
        request = urllib.request.Request(f"{self.server.base_url}{path}", data=raw,
                                         method=method,
                                         headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                assert response.headers.get_content_type() == "application/json"
                return response.status, json.load(response)
        except urllib.error.HTTPError as exc:
            assert exc.headers.get_content_type() == "application/json", exc.code
            return exc.code, json.load(exc)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with ThreadedServer(clock=ManualClock(T0.timestamp()), booking_burst=10_000,
                        pair_booking_burst=10_000) as server:
        yield World(server)


def visible(name: str) -> bool:
    return bool(name.strip()) and name == name.strip() and not any(
        unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in name)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_values_never_get_a_500(world: World, data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(sorted(FIELDS)))
    names, base = FIELDS[path]
    field = data.draw(st.sampled_from(names))
    body = {k: json.dumps(v).encode() for k, v in base.items()}
    body[field] = data.draw(hostile_values())
    if path == "/api/bookings":
        body["with"] = json.dumps(world.mentor["identity"]).encode()
    raw = b"{" + b",".join(json.dumps(k).encode() + b":" + v for k, v in body.items()) + b"}"
    method = "PUT" if path == "/api/me/availability" else "POST"
    token = world.token if path.startswith("/api/me") or path == "/api/bookings" \
        else world.server.admin_key
    status, answer = world._call(method, path, token, raw)
    assert status in (200, 201, 400, 403, 409, 413), (status, answer)
    if status >= 400:
        assert answer["error"]["code"] and answer["error"]["message"]
    for key in ("display_name",):
        if status == 201 and key in answer:
            assert visible(answer[key]), answer[key]
    if status == 201 and path == "/api/rooms":
        assert answer["links"]


async def in_pieces(raw: bytes, pieces: int = 3) -> AsyncIterator[bytes]:
    """The body sent in ``pieces`` chunks with a pause between them, as a slow network
    delivers it (chunked transfer encoding)."""
    step = -(-len(raw) // pieces)
    for start in range(0, len(raw), step):
        yield raw[start:start + step]
        await asyncio.sleep(0.2)


async def test_bodies_that_arrive_in_pieces_are_read_whole() -> None:
    # One content.read(n) returns what has arrived so far: before, a JSON body sent in
    # pieces was cut after the first one (invalid_json) and a CSV import lost its rows.
    csv = ("key,name,role,zone\n" + "".join(
        f"p{i},Person {i},{'mentor' if i % 4 == 0 else 'mentee'},Europe/Paris\n"
        for i in range(40))).encode()
    async with live_server() as server, aiohttp.ClientSession() as http:
        headers = {"Authorization": f"Bearer {server.admin_key}",
                   "Content-Type": "application/json"}
        body = json.dumps({"title": "Slow network " + "x" * 100, "mentor_name": "Ada",
                           "mentee_name": "Grace"}).encode()
        async with http.post(f"{server.base_url}/api/rooms", data=in_pieces(body),
                             headers=headers) as response:
            assert response.status == 201, await response.text()
        body = json.dumps({"name": "Spring",
                           "default_availability": "mon-fri 09:00-17:00"}).encode()
        async with http.post(f"{server.base_url}/api/programmes", data=in_pieces(body),
                             headers=headers) as response:
            assert response.status == 201, await response.text()
            programme = await response.json()
        async with http.post(
                f"{server.base_url}/api/programmes/{programme['programme_id']}/people.csv",
                data=in_pieces(csv, 4),
                headers={**headers, "Content-Type": "text/csv"}) as response:
            answer = await response.json()
            assert response.status == 201, answer
            assert answer["imported"] == 40
