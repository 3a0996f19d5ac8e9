"""Builds the Socket.IO server around the call namespace."""

from __future__ import annotations

import socketio

from .namespace import CallNamespace

# Engine.IO refuses (and disconnects) anything larger; payloads between the event limit
# (64 KiB) and this get a `payload_too_large` ack instead of a dropped connection.
MAX_ENGINE_MESSAGE_BYTES = 2 * 1024 * 1024


def create_sio(namespace: CallNamespace, redis_url: str | None = None) -> socketio.AsyncServer:
    """A python-socketio AsyncServer for aiohttp; emits cross processes through Redis if given."""
    manager = socketio.AsyncRedisManager(redis_url) if redis_url else None
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        max_http_buffer_size=MAX_ENGINE_MESSAGE_BYTES,
        logger=False,
        engineio_logger=False,
    )
    sio.register_namespace(namespace)
    return sio
