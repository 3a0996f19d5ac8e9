"""Serve one node until SIGTERM or SIGINT, draining it first when other nodes can take
its calls (a shared registry: Redis).

SIGTERM (or SIGINT): the node marks itself draining, moves its rooms' connections to
other nodes (`moved`, docs/protocol.md) and stops when none is left or after
``MENTORCALL_DRAIN_DEADLINE_S``; it keeps listening meanwhile (clients still on
long-polling reach it). A second signal stops it at once. Without Redis there is no
other node: it stops at once, as before.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal

from aiohttp import web

from ..access_log import RedactingAccessLogger
from ..app import SERVICES
from ..settings import Settings
from .workers import READY_FD

logger = logging.getLogger(__name__)

SHUTDOWN_TIMEOUT_S = 5.0  # open HTTP requests get this long once the node stops


async def serve_node(app: web.Application, settings: Settings) -> None:
    """Run ``app`` on the settings' address until a signal (see the module docstring)."""
    runner = web.AppRunner(app, handle_signals=False, access_log_class=RedactingAccessLogger,
                           shutdown_timeout=SHUTDOWN_TIMEOUT_S)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.host, settings.port)
        try:
            await site.start()
        except OSError as exc:  # the port is taken, or the address is not this machine's
            raise SystemExit(
                f"mentorcall cannot listen on {settings.host}:{settings.port}: "
                f"{exc.strerror or exc}. Another server may be running there; stop it, "
                f"or set MENTORCALL_PORT (or MENTORCALL_HOST).") from None
        print(f"mentorcall listening on http://{settings.host}:{settings.port}", flush=True)
        ready = os.environ.pop(READY_FD, None)  # a worker of `serve --workers` tells its parent
        if ready is not None:
            os.write(int(ready), b"1")
            os.close(int(ready))
        signals = asyncio.Queue[int]()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, signals.put_nowait, signum)
        first = await signals.get()
        logger.info("got signal %d: stopping", first)
        node = app[SERVICES].node
        if node is not None and node.shared and node.keeper is not None:
            drain = asyncio.create_task(node.keeper.drain(settings.drain_deadline_s))
            again = asyncio.create_task(signals.get())
            await asyncio.wait({drain, again}, return_when=asyncio.FIRST_COMPLETED)
            for task in (drain, again):
                task.cancel()
            await asyncio.gather(drain, again, return_exceptions=True)
        # Close the connections still open (the drain deadline passed, or no drain):
        # their handlers would otherwise hold the shutdown for its whole timeout.
        engine = app[SERVICES].namespace.server.eio
        if engine.sockets:  # (with none, Engine.IO's disconnect-all raises)
            await engine.disconnect()
    finally:
        await runner.cleanup()
