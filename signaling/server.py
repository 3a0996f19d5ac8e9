"""Builds the Socket.IO server around the call namespace."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import Any, Protocol

import socketio

from .namespace import CallNamespace
from .process_notices import NOTICE_ROOM, NoticeRelay

logger = logging.getLogger(__name__)

# Engine.IO refuses (and disconnects) anything larger; payloads between the event limit
# (64 KiB) and this get a `payload_too_large` ack instead of a dropped connection.
MAX_ENGINE_MESSAGE_BYTES = 2 * 1024 * 1024
ENGINE_FRAMING_BYTES = 64 * 1024
# The Redis manager's listener, after Redis went away: first retry, doubling up to the cap
# (python-socketio's own waits grow to 60 s: after a long outage the other processes'
# events were lost for up to a minute after Redis was back).
LISTEN_RETRY_S = 0.1
LISTEN_RETRY_CAP_S = 2.0


class AllowedOrigins:
    """Which browser origins may open a Socket.IO connection: the configured ones (the
    public URL's, the bind address's) and the request's own host as Engine.IO sees it
    (its default). Behind a TLS proxy that sends no ``X-Forwarded-Proto`` the page's
    ``https://`` origin differs from the ``http://`` the server sees: the configured
    public origin is what lets it in. ``nodes`` gives the origins of the deployment's
    live nodes: a page served by one of them follows `moved` to this one."""

    def __init__(self, origins: Iterable[str],
                 nodes: Callable[[], frozenset[str]] | None = None) -> None:
        self.origins = frozenset(origins)
        self._nodes = nodes

    def __call__(self, origin: str | None, environ: Mapping[str, Any]) -> bool:
        if origin is None or origin in self.origins:
            return True
        if self._nodes is not None and origin in self._nodes():
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


class Publisher(Protocol):
    """A Redis client's ``PUBLISH`` (the process's own client, with its sized pool)."""

    def publish(self, channel: Any, message: Any) -> Any: ...  # awaitable


class RedisNoticeManager(socketio.AsyncRedisManager):
    """The Redis manager (several processes): every process receives each notice.

    With a ``publisher`` (the process's Redis client: its blocking, sized pool, timeouts
    and retries), emits and notices for the other processes are published through it.
    python-socketio's own publishing uses a client of its own on redis-py's default
    pool, which *raises* "Too many connections" once 100 publishes are in flight (a
    burst of joins: every join emits to its room and sends notices); it then logged
    "Cannot publish to redis... retrying", threw its client away and built a new one
    (leaking the old pool, replacing its listener's pubsub object), and "giving up"
    lost the message. Here a burst waits for a connection instead (up to the pool
    timeout), and a publish that still fails is logged once, as a lost message. The
    listener keeps its own subscribe connection."""

    def __init__(self, url: str, publisher: Publisher | None = None) -> None:
        super().__init__(url)
        self.relay = NoticeRelay()
        self._publisher = publisher
        # subscribed to the other processes' events now (None: not started yet, which
        # python-socketio does at the first connection: nothing to miss before it)
        self.listening: bool | None = None

    async def _publish(self, data: Any) -> Any:
        if self._publisher is None:
            return await super()._publish(data)
        try:
            return await self._publisher.publish(self.channel, self.json.dumps(data))
        except Exception as exc:  # Redis down or hung past its timeouts
            logger.error("an emit to the other server processes was lost (%s: %s): %s",
                         data.get("method"), data.get("event", ""), exc)
            return None

    async def _redis_listen_with_retries(self) -> AsyncIterator[Any]:
        """python-socketio's listening loop with short, capped waits between tries, and
        :attr:`listening` telling whether it is subscribed now."""
        retry_s = LISTEN_RETRY_S
        while True:
            try:
                if not self.listening:  # None (first) or False (lost)
                    self._redis_connect()
                    await self.pubsub.subscribe(self.channel)
                    self.listening = True
                    retry_s = LISTEN_RETRY_S
                async for message in self.pubsub.listen():
                    yield message
            except Exception as exc:  # Redis down or restarted: subscribe again
                if self.listening:
                    logger.warning("events from the other server processes stopped (%s); "
                                   "subscribing again", exc)
                self.listening = False
                await asyncio.sleep(retry_s)
                retry_s = min(2 * retry_s, LISTEN_RETRY_CAP_S)

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        if message.get("room") == NOTICE_ROOM:
            data = message.get("data")
            await self.relay.deliver(str(message.get("event")),
                                     data[0] if isinstance(data, list) and data else None,
                                     here=message.get("host_id") == self.host_id)
            return
        await super()._handle_emit(message)


def events_flowing(sio: socketio.AsyncServer) -> bool:
    """Whether this process receives the other processes' emits and notices now
    (always, with one process)."""
    return getattr(sio.manager, "listening", True) is not False


def create_sio(
    namespace: CallNamespace, redis_url: str | None = None, origins: Iterable[str] = (),
    publisher: Publisher | None = None, ping: tuple[float, float] = (10.0, 10.0),
    node_origins: Callable[[], frozenset[str]] | None = None,
) -> socketio.AsyncServer:
    """A python-socketio AsyncServer for aiohttp; emits and process notices cross
    processes through Redis if given (published through ``publisher``, the process's
    Redis client, if given); browsers from ``origins`` (and the request's own host)
    may connect; ``ping`` is the Engine.IO heartbeat (interval, timeout: a connection
    silent for both is closed, which starts its disconnect grace). Engine.IO takes
    messages up to the largest event payload (a `notes` message may be as large as the
    notes document cap) plus framing."""
    largest = max(spec.max_bytes for spec in namespace.events.values())
    manager = (RedisNoticeManager(redis_url, publisher) if redis_url
               else LocalNoticeManager())
    namespace.use_relay(manager.relay)
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        max_http_buffer_size=max(MAX_ENGINE_MESSAGE_BYTES, largest + ENGINE_FRAMING_BYTES),
        cors_allowed_origins=AllowedOrigins(origins, node_origins),
        ping_interval=ping[0],
        ping_timeout=ping[1],
        logger=False,
        engineio_logger=False,
    )
    sio.register_namespace(namespace)
    return sio
