"""Credentials that are not valid UTF-8 (an ``Authorization`` header or ``X-CSRF-Token``
holding a byte like 0xff, a JSON credential with a lone surrogate) are refused like any wrong
credential: 401 ``unauthorized`` (403 ``forbidden`` / ``csrf_invalid`` where a wrong value
gets that), never a 500 with a traceback. Raw sockets, as a client's bytes reach the server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.live_server import LiveServer, ThreadedServer
from web.credentials import same_secret

# every endpoint that compares a bearer credential with the admin key
ADMIN_ENDPOINTS = [
    ("GET", "/api/nodes"),
    ("GET", "/metrics"),
    ("GET", "/api/recordings"),
    ("GET", "/api/programmes"),
    ("POST", "/api/rooms"),
    ("GET", "/api/notes/sessions/room-x"),
    ("GET", "/api/people"),
]

# what a wrong key gets where it is not 401 unauthorized (docs/operations.md, Metrics)
WRONG_KEY = {"/metrics": (403, "forbidden")}


async def raw_request(server: LiveServer, method: str, path: str, headers: bytes = b"",
                      body: bytes = b"") -> tuple[int, Any]:
    """Send the request's bytes as they are; (status, JSON body or None)."""
    host, port = server.base_url.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        head = (f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
                f"Content-Length: {len(body)}\r\n").encode() + headers + b"\r\n"
        writer.write(head + body)
        answer = await reader.read()
    finally:
        writer.close()
    status_line, _, rest = answer.partition(b"\r\n")
    payload = rest.partition(b"\r\n\r\n")[2]
    try:
        parsed = json.loads(payload)
    except ValueError:
        parsed = None
    return int(status_line.split()[1]), parsed


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[ThreadedServer, LiveServer]]:
    threaded = ThreadedServer()
    live = threaded.__enter__()
    try:
        yield threaded, live
    finally:
        threaded.__exit__(None, None, None)


@pytest.mark.parametrize(("method", "path"), ADMIN_ENDPOINTS)
def test_a_non_utf8_bearer_is_refused_401_on_every_admin_endpoint(
        server: tuple[ThreadedServer, LiveServer], method: str, path: str) -> None:
    threaded, live = server
    for value in (b"\xff", b"\xc3\x28", b"caf\xc3\xa9", b"\xed\xa0\x80"):
        status, body = threaded.run(raw_request(
            live, method, path, b"Authorization: Bearer " + value + b"\r\n"))
        assert (status, body["error"]["code"]) == WRONG_KEY.get(path, (401, "unauthorized")), \
            (path, value, body)
    # the key itself still works (the comparison is not simply always false)
    status, body = threaded.run(raw_request(
        live, method, path, f"Authorization: Bearer {live.admin_key}\r\n".encode()))
    assert status < 400 or body["error"]["code"] != "unauthorized", (path, body)


def test_a_non_utf8_csrf_token_is_refused_403_csrf_invalid(
        server: tuple[ThreadedServer, LiveServer]) -> None:
    threaded, live = server
    credential = json.dumps({"credential": live.admin_key}).encode()
    status, body = threaded.run(raw_request(
        live, "POST", "/api/recordings-session", b"Content-Type: application/json\r\n",
        credential))
    assert status == 200, body
    cookie = threaded.run(session_cookie(live, credential))
    status, body = threaded.run(raw_request(
        live, "POST", "/api/programmes",
        b"Cookie: " + cookie + b"\r\nX-CSRF-Token: \xff\xfe\r\n"
        b"Content-Type: application/json\r\n", b'{"name": "Spring"}'))
    assert (status, body["error"]["code"]) == (403, "csrf_invalid"), body


async def session_cookie(live: LiveServer, credential: bytes) -> bytes:
    """The ``name=value`` of a fresh admin session's cookie (raw response headers)."""
    host, port = live.base_url.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(b"POST /api/recordings-session HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                     b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                     % len(credential) + credential)
        answer = await reader.read()
    finally:
        writer.close()
    for line in answer.partition(b"\r\n\r\n")[0].split(b"\r\n"):
        if line.lower().startswith(b"set-cookie:"):
            return line.split(b":", 1)[1].strip().split(b";", 1)[0]
    raise AssertionError(answer)


def test_a_lone_surrogate_in_a_json_credential_is_refused(
        server: tuple[ThreadedServer, LiveServer]) -> None:
    threaded, live = server
    for text, code in (("\\udcff", "invalid_body"), ("\\ud800", "invalid_body"),
                       ("caf\\u00e9", "unauthorized")):
        status, body = threaded.run(raw_request(
            live, "POST", "/api/recordings-session", b"Content-Type: application/json\r\n",
            b'{"credential": "' + text.encode() + b'"}'))
        assert (status, body["error"]["code"]) == (400 if code == "invalid_body" else 401,
                                                   code), (text, body)


HEADER_BYTES = st.binary(min_size=1, max_size=40).map(
    lambda b: bytes(c for c in b if c not in b"\r\n\x00"))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=HEADER_BYTES, endpoint=st.sampled_from(ADMIN_ENDPOINTS))
def test_any_authorization_bytes_get_a_coded_refusal(
        server: tuple[ThreadedServer, LiveServer], value: bytes,
        endpoint: tuple[str, str]) -> None:
    threaded, live = server
    method, path = endpoint
    status, body = threaded.run(raw_request(
        live, method, path, b"Authorization: Bearer " + value + b"\r\n"))
    assert status in (400, 401, 403), (value, status, body)
    if status != 400:  # 400: the HTTP parser's own refusal of a malformed header
        assert body["error"]["code"] in ("unauthorized", "forbidden"), (value, body)


@given(given_text=st.text(max_size=20), key=st.text(min_size=1, max_size=20))
def test_same_secret_never_raises_and_matches_only_the_key(given_text: str, key: str) -> None:
    assert same_secret(key, key)
    assert same_secret(given_text, key) == (given_text == key)
    assert same_secret(given_text, key.encode("utf-8", "surrogatepass")) == (given_text == key)
