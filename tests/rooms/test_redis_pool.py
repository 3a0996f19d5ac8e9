"""The stall-aware pool never loses a connection when a wait for one is abandoned.

A real redis-server; the only stand-in is the last step of handing out a connection, made
to behave as redis-py's handshake does under Python 3.11: its ``asyncio.wait_for`` absorbs
a cancel that lands as a send completes, so a cancelled wait still ends with a connection.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import redis.asyncio as aioredis
from redis.asyncio.connection import AbstractConnection

from rooms.redis_pool import StallAwarePool


class LateHandingPool(aioredis.BlockingConnectionPool):
    """Finishes handing out a connection even when cancelled meanwhile, once let go."""

    finishing: asyncio.Event  # a wait took a connection and is finishing
    absorbed: asyncio.Event  # a cancel arrived while finishing, and was absorbed
    let_go: asyncio.Event  # finishing may end
    handed: asyncio.Event  # a connection was handed out

    async def get_connection(self, *args: Any, **kwargs: Any) -> AbstractConnection:
        connection: AbstractConnection = await super().get_connection(*args, **kwargs)
        self.finishing.set()
        try:
            await asyncio.shield(self.let_go.wait())
        except asyncio.CancelledError:
            self.absorbed.set()
            await self.let_go.wait()
        self.handed.set()
        return connection


class Pool(StallAwarePool, LateHandingPool):
    """The stall-aware pool over a wait that may end with a connection after a cancel."""


def make_pool(url: str) -> Pool:
    pool = Pool.from_url(url, max_connections=1, timeout=2.0, stall_timeout=0.5,
                         socket_timeout=2.0)
    pool.finishing, pool.absorbed = asyncio.Event(), asyncio.Event()
    pool.let_go, pool.handed = asyncio.Event(), asyncio.Event()
    return pool


async def test_a_connection_handed_to_an_abandoned_wait_goes_back_to_the_pool(
        redis_url: str) -> None:
    pool = make_pool(redis_url)
    try:
        getter = asyncio.create_task(pool.get_connection())
        async with asyncio.timeout(5):
            await pool.finishing.wait()  # the wait took the pool's one connection
        getter.cancel()  # its caller gives up: the pool abandons the wait ...
        async with asyncio.timeout(5):
            await pool.absorbed.wait()  # ... which goes on, and the getter waits for it
        getter.cancel()  # cancelled again while it waits (its operation's deadline)
        with pytest.raises(asyncio.CancelledError):
            await getter
        pool.let_go.set()
        async with asyncio.timeout(5):
            await pool.handed.wait()
        # the one connection comes back: the next caller gets it (before the fix: a
        # ConnectionError after the pool's 2 s wait, the connection in use for ever)
        connection = await pool.get_connection()
        await pool.release(connection)
    finally:
        await pool.disconnect()


async def test_a_waiter_keeps_waiting_while_redis_answers_though_some_commands_time_out(
        redis_url: str) -> None:
    # A busy machine, not a hung Redis: commands time out now and then while others are
    # answered. A waiter for the pool's one connection is not told Redis is not
    # answering (before, it gave up stall_timeout into its wait at the first timeout).
    pool = make_pool(redis_url)
    pool.let_go.set()
    try:
        held = await pool.get_connection()
        waiter = asyncio.create_task(pool.get_connection())
        for _ in range(60):  # three times the stall timeout (0.5 s), answers all along
            pool.answered()
            pool.timed_out()
            await asyncio.sleep(0.025)
        assert not waiter.done()
        await pool.release(held)
        async with asyncio.timeout(5):
            connection = await waiter
        await pool.release(connection)
    finally:
        await pool.disconnect()
