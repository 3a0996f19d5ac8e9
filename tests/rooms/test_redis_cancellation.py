"""A cancelled store operation stays cancelled: the Redis guard never turns a
cancellation that came out of redis-py as a timeout or connection error into
``StoreUnavailable`` (a background loop catching outages would swallow it)."""

from __future__ import annotations

import asyncio

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from rooms.errors import StoreUnavailable
from rooms.redis_client import RedisBacked


class Converting(RedisBacked):
    """Store operations that end like redis-py's when cancelled mid-command."""

    entered: asyncio.Event

    async def times_out(self) -> None:
        self.entered.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            raise RedisTimeoutError("Timeout reading from socket") from None

    async def loses_connection(self) -> None:
        self.entered.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            raise RedisConnectionError("Connection closed by server.") from None

    async def really_times_out(self) -> None:
        raise RedisTimeoutError("Timeout reading from socket")


@pytest.mark.parametrize("operation", ["times_out", "loses_connection"])
async def test_a_cancelled_operation_raises_cancelled_not_unavailable(
        redis_url: str, operation: str) -> None:
    store = Converting(redis_url)
    store.entered = asyncio.Event()
    try:
        task = asyncio.create_task(getattr(store, operation)())
        await asyncio.wait_for(store.entered.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        await store.close()


async def test_an_operation_that_is_not_cancelled_is_still_unavailable(redis_url: str) -> None:
    store = Converting(redis_url)
    try:
        with pytest.raises(StoreUnavailable):
            await store.really_times_out()
    finally:
        await store.close()
