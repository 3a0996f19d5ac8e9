"""Which browser origins may open Socket.IO: the public URL's (behind a TLS proxy that
sends no X-Forwarded-Proto), the bind address's, never a foreign one (real server)."""

from __future__ import annotations

import pytest
import socketio

from signaling.server import AllowedOrigins
from tests.live_server import live_server
from web.settings import origin_of

PUBLIC = "https://Calls.Example.test:443/mentoring/"


async def connects(url: str, origin: str, transport: str) -> bool:
    client = socketio.AsyncClient(reconnection=False)
    try:
        await client.connect(url, headers={"Origin": origin}, transports=[transport],
                             wait_timeout=5)
    except socketio.exceptions.ConnectionError:
        return False
    await client.disconnect()
    return True


async def test_the_public_origin_connects_through_a_proxy_without_forwarded_proto() -> None:
    transport = "websocket"  # Engine.IO checks the origin of both transports in one place
    async with live_server(public_url=PUBLIC) as server:
        assert not server.base_url.startswith("https://calls.example.test")
        # What the browser sends on https://calls.example.test/mentoring/join, through a
        # proxy that forwards to the plain-HTTP bind address and adds no headers.
        assert await connects(server.base_url, "https://calls.example.test", transport)
        assert await connects(server.base_url, server.base_url, transport)  # the bind one
        for foreign in ("https://evil.example", "http://calls.example.test",
                        "https://calls.example.test.evil.example", "null"):
            assert not await connects(server.base_url, foreign, transport), foreign


def test_origins_are_normalised_like_browsers_send_them() -> None:
    assert origin_of(PUBLIC) == "https://calls.example.test"
    assert origin_of("http://calls.example.test:8080/x") == "http://calls.example.test:8080"
    assert origin_of("http://[::1]:80/") == "http://[::1]"
    with pytest.raises(ValueError):
        origin_of("calls.example.test")
    allowed = AllowedOrigins(["https://calls.example.test"])
    proxy = {"HTTP_HOST": "127.0.0.1:8080", "wsgi.url_scheme": "http"}
    assert allowed("https://calls.example.test", proxy)
    assert allowed("http://127.0.0.1:8080", proxy)  # the request's own host
    assert allowed("https://127.0.0.1:8080", {**proxy, "HTTP_X_FORWARDED_PROTO": "https"})
    assert not allowed("https://127.0.0.1:8080", proxy)
    assert allowed(None, proxy)  # not a browser: no Origin header
