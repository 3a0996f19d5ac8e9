"""The connection pool of a process's Redis client: blocking, and quick to give up on a
hung Redis.

A caller that finds every connection busy waits for one (a burst of joins queues instead
of failing) up to the pool timeout (``MENTORCALL_REDIS_POOL_TIMEOUT_S``, 10 s). While
Redis answers, connections come back and the wait ends. When Redis hangs, every
connection is stuck in a command until its read timeout: once a command has timed out
and none has been answered since (the pool is *stalled*), a waiter gives up once nothing
has been answered for the command timeout (``MENTORCALL_REDIS_TIMEOUT_S``) while it
waited, so a hung Redis still answers ``unavailable`` after about that long, however busy
the pool was. A busy machine, where some commands time out while others keep being
answered, is not a hung Redis: its waiters keep waiting (before, one timeout made every
waiter that had waited that long give up: 250 of 300 joins under two busy loops).

The stores tell the pool what they see (:meth:`StallAwarePool.answered`,
:meth:`StallAwarePool.timed_out`, from ``rooms.redis_client``). A store operation's
deadline (:data:`OPERATION_DEADLINES`, twice the command timeout) is pushed back by the
time it waited for a connection: the wait has its own bound, the commands keep theirs.
"""

from __future__ import annotations

import asyncio
import time
from contextvars import ContextVar
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError

STALL_CHECK_S = 0.1  # how often a waiter looks whether the pool stalled
# the deadlines of the store operations running in this task (one inside another)
OPERATION_DEADLINES: ContextVar[tuple[asyncio.Timeout, ...]] = ContextVar(
    "redis_operation_deadlines", default=())


class StallAwarePool(aioredis.BlockingConnectionPool):
    """A blocking pool whose waiters wait ``timeout`` while Redis answers, and at most
    ``stall_timeout`` while it does not."""

    def __init__(self, *, stall_timeout: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stall_timeout = stall_timeout
        self._stalled = False
        self._answered_at = -float("inf")  # when a store operation last got its answers
        self._releasing: set[asyncio.Future[None]] = set()

    @property
    def stalled(self) -> bool:
        """A command timed out and none was answered since."""
        return self._stalled

    def answered(self) -> None:
        """A store operation got its answers: Redis is responsive."""
        self._stalled = False
        self._answered_at = time.monotonic()

    def timed_out(self) -> None:
        """A command waited past its timeout: Redis may be hung."""
        self._stalled = True

    async def get_connection(self, *args: Any, **kwargs: Any) -> AbstractConnection:
        started = time.monotonic()
        waiting = asyncio.ensure_future(super().get_connection(*args, **kwargs))
        try:
            while True:
                done, _ = await asyncio.wait({waiting}, timeout=STALL_CHECK_S)
                if done:
                    connection: AbstractConnection = waiting.result()
                    _extend_deadline(time.monotonic() - started)
                    return connection
                if self._stalled and (time.monotonic() - max(started, self._answered_at)
                                      >= self.stall_timeout):
                    break  # a command timed out and nothing answered for stall_timeout
        except BaseException:
            await self._abandon(waiting)
            raise
        await self._abandon(waiting)
        task = asyncio.current_task()
        if task is not None and task.cancelling():  # a cancel _abandon's wait absorbed
            raise asyncio.CancelledError()
        raise RedisConnectionError("No connection available (Redis is not answering).")

    async def _abandon(self, waiting: asyncio.Future[AbstractConnection]) -> None:
        """Stop waiting; a connection that arrives anyway goes back to the pool.

        A cancelled wait can still end with a connection: redis-py's handshake sends under
        ``asyncio.wait_for``, which (Python 3.11) absorbs a cancel that lands as the send
        completes. If this task is cancelled again before the wait has wound down (its
        operation's deadline, or its caller), the connection is given back when it comes:
        dropped, it stayed "in use" for ever, and a pool whose connections had all leaked so
        answered ``unavailable`` after Redis was back.
        """
        waiting.cancel()
        try:
            connection = await asyncio.shield(waiting)
        except BaseException:
            if not waiting.done():  # this task was cancelled: the wait goes on without it
                waiting.add_done_callback(self._give_back)
            return  # else cancelled, or its own timeout: nothing was taken
        await asyncio.shield(self.release(connection))

    def _give_back(self, waiting: asyncio.Future[AbstractConnection]) -> None:
        """Release the connection an abandoned wait ended with, if any."""
        if waiting.cancelled() or waiting.exception() is not None:
            return
        releasing = asyncio.ensure_future(self.release(waiting.result()))
        self._releasing.add(releasing)  # a reference until it is done
        releasing.add_done_callback(self._releasing.discard)


def _extend_deadline(waited_s: float) -> None:
    """Push the running operations' deadlines back by their wait for a connection."""
    for deadline in OPERATION_DEADLINES.get():
        when = deadline.when()
        if when is not None and waited_s > 0 and not deadline.expired():
            try:
                deadline.reschedule(when + waited_s)
            except RuntimeError:  # it expired meanwhile: the operation is being cancelled
                pass
