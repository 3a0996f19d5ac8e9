"""Shared fixtures. The Redis ones start a real redis-server; they never skip.

The whole suite runs with the machine's zone files out of the search path
(``zoneinfo.TZPATH`` empty, also for server subprocesses through ``PYTHONTZPATH``): the
server must take every rule from the pinned ``tzdata`` package, so nothing here may
depend on ``/usr/share/zoneinfo``.
"""

from __future__ import annotations

import os
import zoneinfo
from collections.abc import AsyncIterator, Iterator

import pytest
import redis.asyncio as aioredis

from tests.redis_server import RedisServer
from tests.s3_server import S3Server


def hide_system_zone_files() -> None:
    """Take the machine's zone files out of zoneinfo's search path (and subprocesses')."""
    os.environ["PYTHONTZPATH"] = ""
    zoneinfo.reset_tzpath(to=[])


hide_system_zone_files()  # before collection: test modules build zone lists on import


@pytest.fixture(scope="session", autouse=True)
def _no_system_zone_files() -> Iterator[None]:
    hide_system_zone_files()
    yield
    assert zoneinfo.TZPATH == (), "a test put the machine's zone files back in the path"


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One private redis-server for the test session (fails if redis-server is missing)."""
    with RedisServer() as server:
        yield server


@pytest.fixture(scope="session")
def redis_url(redis_server: RedisServer) -> str:
    """URL of the session's redis-server; tests that take it start from an empty Redis."""
    return redis_server.url


@pytest.fixture
def clean_redis_url(redis_server: RedisServer) -> str:
    """``redis_url``, flushed first: for fixtures that ask for Redis via getfixturevalue."""
    redis_server.flush()
    return redis_server.url


@pytest.fixture(autouse=True)
def _flush_redis(request: pytest.FixtureRequest) -> None:
    # Only tests that name redis_url pay for (and get) a clean Redis.
    if "redis_url" in request.fixturenames:
        server: RedisServer = request.getfixturevalue("redis_server")
        server.flush()


@pytest.fixture
async def raw(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    """A plain client on the test Redis, to look at keys the stores wrote."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A private redis-server for one test that stops, restarts or pauses it."""
    with RedisServer() as server:
        yield server


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """One S3-compatible server (moto, loopback) for the test session."""
    with S3Server() as server:
        yield server
