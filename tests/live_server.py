"""A real mentorcall server on a loopback port, in the test's event loop."""

from __future__ import annotations

import asyncio
import concurrent.futures
import socket
import tempfile
import threading
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from aiohttp import web

from rooms.clock import Clock
from web.app import SERVICES, Services, create_app
from web.settings import Settings

T = TypeVar("T")

ADMIN_KEY = "test-admin-key-0123456789abcdef-0123456789"
SECRET = "test-secret-0123456789abcdef-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    """Handle on a running server: its URL, admin key and internals for assertions."""

    base_url: str
    admin_key: str
    secret: str
    app: web.Application

    @property
    def services(self) -> Services:
        return self.app[SERVICES]

    async def create_room(
        self, mentor_name: str = "Mentor", mentee_name: str = "Mentee", duration_minutes: int = 30
    ) -> dict[str, Any]:
        """POST /api/rooms as an admin; returns the JSON body."""
        async with aiohttp.ClientSession() as http:
            response = await http.post(
                f"{self.base_url}/api/rooms",
                json={
                    "mentor_name": mentor_name,
                    "mentee_name": mentee_name,
                    "duration_minutes": duration_minutes,
                },
                headers={"Authorization": f"Bearer {self.admin_key}"},
            )
            body: dict[str, Any] = await response.json()
            assert response.status == 201, body
            return body


def token_of(link: str) -> str:
    """The JWT in a join link's fragment (``#token=<jwt>``, maybe ``&opens=...`` after)."""
    return link.split("#token=", 1)[1].split("&", 1)[0]


@asynccontextmanager
async def live_server(clock: Clock | None = None, listen_host: str = "127.0.0.1",
                      **overrides: Any) -> AsyncIterator[LiveServer]:
    """Start the whole app (REST, Socket.IO, SFU) on 127.0.0.1 (or ``listen_host``, an
    address of a test's own veth) and stop it afterwards."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="mentorcall-") as data:
        values: dict[str, Any] = {
            "host": listen_host,
            "port": port,
            "secret": SECRET,
            "admin_key": ADMIN_KEY,
            "data_dir": Path(data),
            "recordings_dir": Path(data) / "recordings",
            "disconnect_grace_s": 1.0,
        }
        values.update(overrides)
        app = create_app(Settings(**values), clock)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, listen_host, port)
        await site.start()
        try:
            yield LiveServer(f"http://{listen_host}:{port}", values["admin_key"],
                             values["secret"], app)
        finally:
            await runner.cleanup()


class ThreadedServer:
    """A live server on its own event loop thread, for synchronous (hypothesis) tests."""

    def __init__(self, **overrides: Any) -> None:
        self._overrides = overrides
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._stop: asyncio.Event | None = None
        self._done: concurrent.futures.Future[None] | None = None
        self.server: LiveServer | None = None

    def __enter__(self) -> LiveServer:
        self._thread.start()
        ready: concurrent.futures.Future[LiveServer] = concurrent.futures.Future()

        async def serve() -> None:
            self._stop = asyncio.Event()
            async with live_server(**self._overrides) as server:
                ready.set_result(server)
                await self._stop.wait()

        self._done = asyncio.run_coroutine_threadsafe(serve(), self._loop)
        self.server = ready.result(timeout=30)
        return self.server

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's loop (to inspect its state)."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=30)

    def __exit__(self, *exc: object) -> None:
        assert self._stop is not None and self._done is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._done.result(timeout=30)
        self.run(cancel_leftover_tasks())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


async def cancel_leftover_tasks() -> None:
    """Cancel what the server left running (Engine.IO ping tasks) before its loop closes."""
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
