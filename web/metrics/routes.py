"""``GET /metrics``: behind the admin key on the main listener, or open on a listener of
its own (``MENTORCALL_METRICS_BIND``, loopback unless told otherwise)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import CollectorRegistry

from ..credentials import same_secret
from ..rest import api_error
from ..settings import split_bind

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class MetricsListener:
    """Where the open ``/metrics`` listener listens (its port once started)."""

    host: str
    port: int
    runner: web.AppRunner | None = field(default=None, repr=False)


METRICS_LISTENER = web.AppKey("metrics_listener", MetricsListener)


def metrics_handler(registry: CollectorRegistry, admin_key: str | None) -> Handler:
    """The handler; with ``admin_key`` it asks for ``Authorization: Bearer <admin key>``
    (401 ``unauthorized`` without one, 403 ``forbidden`` for another key)."""
    key = None if admin_key is None else admin_key.encode()

    async def handler(request: web.Request) -> web.StreamResponse:
        if key is not None:
            scheme, _, given = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not given:
                return api_error(401, "unauthorized",
                                 "Send the admin key as 'Authorization: Bearer'.")
            if not same_secret(given, key):
                return api_error(403, "forbidden", "That is not the admin key.")
        body = generate_latest(registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return handler


def attach_metrics(app: web.Application, registry: CollectorRegistry, admin_key: str,
                   bind: str) -> None:
    """``/metrics`` on ``app`` behind the admin key; with ``bind`` also open on a
    listener of its own (started and stopped with ``app``)."""
    app.router.add_get("/metrics", metrics_handler(registry, admin_key))
    if not bind:
        return
    host, port = split_bind(bind)
    listener = app[METRICS_LISTENER] = MetricsListener(host, port)

    async def serve(app: web.Application) -> AsyncIterator[None]:
        side = web.Application()
        side.router.add_get("/metrics", metrics_handler(registry, None))
        runner = web.AppRunner(side, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        try:
            await site.start()
        except OSError as exc:  # taken (by another worker or server), or not this machine's
            await runner.cleanup()
            raise SystemExit(
                f"mentorcall cannot open the metrics listener on {host}:{port}: "
                f"{exc.strerror or exc}. Another process may be listening there; stop it, "
                f"or change MENTORCALL_METRICS_BIND.") from None
        listener.runner = runner
        listener.port = int(runner.addresses[0][1])  # the one taken for port 0
        logger.info("metrics on http://%s:%d/metrics", host, listener.port)
        yield
        await runner.cleanup()

    app.cleanup_ctx.append(serve)
