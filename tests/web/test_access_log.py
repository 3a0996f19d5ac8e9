"""The access log never records a feed token or a query string."""

from __future__ import annotations

import logging

import aiohttp
import pytest
from aiohttp import web

from tests.live_server import free_port
from web.access_log import RedactingAccessLogger, redact


def test_redact_hides_feed_tokens_and_queries() -> None:
    assert redact("/feeds/abc.DEF-123.ics") == "/feeds/<redacted>"
    assert redact("/api/slots?with=x&token=y") == "/api/slots"
    assert redact("/join") == "/join"


async def test_server_logs_requests_without_secrets(caplog: pytest.LogCaptureFixture) -> None:
    async def feed(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/feeds/{token}", feed)
    runner = web.AppRunner(app, access_log_class=RedactingAccessLogger)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        with caplog.at_level(logging.INFO, logger="aiohttp.access"):
            async with aiohttp.ClientSession() as http:
                response = await http.get(f"http://127.0.0.1:{port}/feeds/s3cr3t-feed.ics?x=1")
                assert response.status == 200
    finally:
        await runner.cleanup()
    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert lines and "/feeds/<redacted> 200" in lines[0]
    assert not any("s3cr3t" in line for line in lines)
