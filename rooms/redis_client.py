"""The Redis connection of a process, and the base of every Redis-backed store.

One process holds one client on one *blocking* pool (:func:`connect`): when every
connection is busy a caller waits (up to ``pool_timeout_s``, 10 s) for one to come free
instead of being refused. That wait has its own timeout: a burst of joins on a busy
event loop (each join opens a subscribe connection) queues for connections longer than
a command may take, while a hung Redis is still noticed by the command's ``timeout_s``.
Connections have socket timeouts, are checked with a PING after
``health_check_interval_s`` of idleness, and a command that fails on a broken connection
(a stale one after a Redis restart) is retried on a fresh one with a short backoff.

Every public coroutine of a :class:`RedisBacked` store runs under a deadline and turns the
driver's connection and timeout errors into :class:`~rooms.errors.StoreUnavailable`
(code ``unavailable``), so nothing above the store sees a redis-py exception and no call
waits longer than the deadline for a hung Redis.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from rooms.errors import StoreUnavailable
from rooms.redis_pool import OPERATION_DEADLINES, StallAwarePool

T = TypeVar("T")

DEFAULT_DEADLINE_S = 5.0  # for clients made elsewhere without a socket timeout
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    TimeoutError,
    ConnectionError,
)


@dataclass(frozen=True)
class RedisOptions:
    """How a process talks to Redis (``MENTORCALL_REDIS_*`` settings)."""

    max_connections: int = 64
    timeout_s: float = 2.0  # connect and read timeout of a command
    pool_timeout_s: float = 10.0  # longest wait for a free connection of the pool
    health_check_interval_s: int = 10
    retries: int = 2  # on a broken connection, with 50 ms..500 ms jittered backoff

    def __post_init__(self) -> None:
        if (self.max_connections < 1 or self.timeout_s <= 0 or self.pool_timeout_s <= 0
                or self.retries < 0):
            raise ValueError("max_connections >= 1, timeout_s > 0, pool_timeout_s > 0 "
                             "and retries >= 0")


def connect(url: str, options: RedisOptions | None = None) -> aioredis.Redis:
    """A client (decoding replies to ``str``) on its own sized, blocking pool."""
    options = options or RedisOptions()
    retry = Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), options.retries,
                  supported_errors=(RedisConnectionError,))
    pool = StallAwarePool.from_url(
        url,
        max_connections=options.max_connections,
        timeout=options.pool_timeout_s,
        stall_timeout=options.timeout_s,
        socket_timeout=options.timeout_s,
        socket_connect_timeout=options.timeout_s,
        health_check_interval=options.health_check_interval_s,
        retry=retry,
        # Only broken connections are retried: a timed-out script may have run already.
        retry_on_error=[RedisConnectionError],
        decode_responses=True,
    )
    return aioredis.Redis.from_pool(pool)


def deadline_of(client: aioredis.Redis) -> float:
    """The longest the commands of one store operation on ``client`` may take (their
    retries included): twice the socket timeout. Its waits for a free connection of a
    :class:`~rooms.redis_pool.StallAwarePool` come on top (bounded by the pool)."""
    socket_timeout = client.connection_pool.connection_kwargs.get("socket_timeout")
    if not socket_timeout:
        return DEFAULT_DEADLINE_S
    return 2 * float(socket_timeout)


def _raise_if_cancelling(exc: BaseException) -> None:
    """Re-raise as ``CancelledError`` if the running task is being cancelled.

    A cancellation that reached redis-py or the pool while a command or a wait for a
    connection ended may come out as a timeout or connection error; turned into
    ``StoreUnavailable`` it would be caught as an outage and the cancellation lost (a
    background loop would then never stop: a server shutdown hung on it).
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError() from exc


def _guarded(method: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    @functools.wraps(method)
    async def run(self: RedisBacked, *args: Any, **kwargs: Any) -> T:
        pool = self._client.connection_pool
        try:
            async with asyncio.timeout(self.deadline_s) as deadline:
                outer = OPERATION_DEADLINES.set((*OPERATION_DEADLINES.get(), deadline))
                try:
                    result = await method(self, *args, **kwargs)
                finally:
                    OPERATION_DEADLINES.reset(outer)
        except (RedisTimeoutError, TimeoutError) as exc:
            _raise_if_cancelling(exc)
            if isinstance(pool, StallAwarePool):
                pool.timed_out()  # Redis may be hung: waiters for a connection give up soon
            raise StoreUnavailable() from exc
        except UNAVAILABLE_ERRORS as exc:
            _raise_if_cancelling(exc)
            raise StoreUnavailable() from exc
        if isinstance(pool, StallAwarePool):
            pool.answered()
        return result

    return run


class RedisBacked:
    """Base of the Redis stores: a ``redis.asyncio`` client, decoded to ``str``.

    ``url_or_client`` is a redis URL (the store then owns, and closes, its client, made by
    :func:`connect`) or an existing client (left open on ``close()``: the process's
    shared one). Every public coroutine a subclass defines (but ``close``) is guarded:
    bounded by :attr:`deadline_s` and raising ``StoreUnavailable`` when Redis is away.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for name, value in list(vars(cls).items()):
            if (not name.startswith("_") and name != "close"
                    and inspect.iscoroutinefunction(value)):
                setattr(cls, name, _guarded(value))

    def __init__(self, url_or_client: str | aioredis.Redis) -> None:
        if isinstance(url_or_client, str):
            self._client = connect(url_or_client)
            self._owns_client = True
        else:
            self._client = url_or_client
            self._owns_client = False
        self.deadline_s = deadline_of(self._client)

    async def close(self) -> None:
        """Close the client if this store created it."""
        if self._owns_client:
            await self._client.aclose()


async def run_id(client: aioredis.Redis) -> str:
    """The Redis server's ``run_id``: new at each start of the server (a restart)."""
    info = await client.info("server")
    return str(info["run_id"])


async def ping(client: aioredis.Redis, timeout_s: float) -> bool:
    """Whether Redis answers a PING within ``timeout_s``."""
    try:
        async with asyncio.timeout(timeout_s):
            return bool(await client.ping())
    except UNAVAILABLE_ERRORS:
        return False
