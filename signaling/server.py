"""Builds the Socket.IO server around the call namespace."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import socketio

from .namespace import CallNamespace
from .process_notices import NOTICE_ROOM, NoticeRelay

# Engine.IO refuses (and disconnects) anything larger; payloads between the event limit
# (64 KiB) and this get a `payload_too_large` ack instead of a dropped connection.
MAX_ENGINE_MESSAGE_BYTES = 2 * 1024 * 1024
ENGINE_FRAMING_BYTES = 64 * 1024


class AllowedOrigins:
    """Which browser origins may open a Socket.IO connection: the configured ones (the
    public URL's, the bind address's) and the request's own host as Engine.IO sees it
    (its default). Behind a TLS proxy that sends no ``X-Forwarded-Proto`` the page's
    ``https://`` origin differs from the ``http://`` the server sees: the configured
    public origin is what lets it in."""

    def __init__(self, origins: Iterable[str]) -> None:
        self.origins = frozenset(origins)

    def __call__(self, origin: str | None, environ: Mapping[str, Any]) -> bool:
        if origin is None or origin in self.origins:
            return True
        host = environ.get("HTTP_HOST")
        if not host:
            return False
        schemes = {str(environ.get("wsgi.url_scheme", "http"))}
        forwarded = environ.get("HTTP_X_FORWARDED_PROTO")
        if forwarded:
            schemes.add(str(forwarded).split(",")[0].strip())
        return origin in {f"{scheme}://{host}" for scheme in schemes}


class LocalNoticeManager(socketio.AsyncManager):
    """The in-memory manager (one process): notices go to this process's handler."""

    def __init__(self) -> None:
        super().__init__()
        self.relay = NoticeRelay()

    async def emit(self, event: str, data: Any, namespace: str | None = None,
                   room: str | None = None, skip_sid: Any = None, callback: Any = None,
                   to: str | None = None, **kwargs: Any) -> Any:
        if (to or room) == NOTICE_ROOM:
            await self.relay.deliver(event, data, here=True)
            return None
        return await super().emit(event, data, namespace, room=room, skip_sid=skip_sid,
                                  callback=callback, to=to, **kwargs)


class RedisNoticeManager(socketio.AsyncRedisManager):
    """The Redis manager (several processes): every process receives each notice."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.relay = NoticeRelay()

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        if message.get("room") == NOTICE_ROOM:
            data = message.get("data")
            await self.relay.deliver(str(message.get("event")),
                                     data[0] if isinstance(data, list) and data else None,
                                     here=message.get("host_id") == self.host_id)
            return
        await super()._handle_emit(message)


def create_sio(
    namespace: CallNamespace, redis_url: str | None = None, origins: Iterable[str] = ()
) -> socketio.AsyncServer:
    """A python-socketio AsyncServer for aiohttp; emits and process notices cross
    processes through Redis if given; browsers from ``origins`` (and the request's own
    host) may connect. Engine.IO takes messages up to the largest event payload (a
    `notes` message may be as large as the notes document cap) plus framing."""
    largest = max(spec.max_bytes for spec in namespace.events.values())
    manager = RedisNoticeManager(redis_url) if redis_url else LocalNoticeManager()
    namespace.use_relay(manager.relay)
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        max_http_buffer_size=max(MAX_ENGINE_MESSAGE_BYTES, largest + ENGINE_FRAMING_BYTES),
        cors_allowed_origins=AllowedOrigins(origins),
        logger=False,
        engineio_logger=False,
    )
    sio.register_namespace(namespace)
    return sio
