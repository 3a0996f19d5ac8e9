"""Redis faults: down, restarted, hung, and a burst of joins larger than the pool.

A real redis-server per test (``own_redis``) is killed, restarted on the same socket, or
SIGSTOPped. Nothing that is not a bug may answer ``internal_error`` or a 500: while Redis
is away every answer is ``unavailable`` (503 with the JSON error body on REST, an error
ack on Socket.IO), ``/api/health`` says degraded, and service resumes once it is back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest

from rooms.scheduling import tzdb
from tests.live_server import LiveServer, live_server, token_of
from tests.redis_server import RedisServer
from tests.signaling.client import SignalClient, join_once
from tests.web.scheduling.client import Client, Person, code

TIMEOUT_S = 0.5  # MENTORCALL_REDIS_TIMEOUT_S of these servers
Serving = tuple[LiveServer, Client, dict[str, Any], Person]  # server, its API, a room, a person


async def health(http: aiohttp.ClientSession, server: LiveServer) -> tuple[int, Any]:
    """Status and body of /api/health."""
    async with http.get(f"{server.base_url}/api/health") as response:
        return response.status, await response.json()


async def join(server: LiveServer, token: str) -> dict[str, Any]:
    """Connect, join with ``token``, disconnect; the join ack."""
    return await join_once(server.base_url, token)


async def expect_unavailable(server: LiveServer, api: Client, room: dict[str, Any],
                             person: Person) -> None:
    """Every kind of request answers ``unavailable`` (REST 503 JSON, Socket.IO ack).

    A person's own link too: a store outage must not read as "your link is invalid".
    """
    status, body = await health(api.http, server)
    assert (status, body) == (503, {"ok": False, "status": "degraded", "redis": "down",
                                    "tzdata": tzdb.version()})
    assert code(await api.admin("POST", "/api/rooms", {
        "mentor_name": "Ada", "mentee_name": "Grace"})) == (503, "unavailable")
    assert code(await api.admin("POST", "/api/people", {
        "display_name": "Hedy", "role": "mentor", "zone": "Europe/Vienna"})) \
        == (503, "unavailable")
    assert code(await api.call("GET", person.feed_url)) == (503, "unavailable")
    for path in ("/api/me", "/api/me/intro"):
        assert code(await api.call("GET", path, person.token)) == (503, "unavailable"), path
    ack = await join(server, token_of(room["links"]["mentor"]))
    assert ack["ok"] is False and ack["error"]["code"] == "unavailable", ack


async def expect_service(server: LiveServer, api: Client) -> None:
    """Rooms are created and joined, people registered, health is ok."""
    room = await server.create_room("Ada", "Grace")
    assert (await join(server, token_of(room["links"]["mentee"])))["ok"]
    await api.register("Hedy", "mentor", "Europe/Vienna")
    async with asyncio.timeout(10):  # and once it listens to the other processes again
        while (await health(api.http, server))[0] != 200:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
    assert await health(api.http, server) == (200, {"ok": True, "status": "ok",
                                                    "redis": "up", "tzdata": tzdb.version()})


def no_bug_logged(caplog: pytest.LogCaptureFixture) -> None:
    """Redis being away is not a bug: nothing of ours logs an error for it."""
    ours = ("web", "signaling", "rooms")
    bugs = [r for r in caplog.records
            if r.levelno >= logging.ERROR and r.name.startswith(ours)]
    assert bugs == [], [r.getMessage() for r in bugs]


@asynccontextmanager
async def serving(redis: RedisServer) -> AsyncIterator[Serving]:
    """A server on ``redis`` (command timeout TIMEOUT_S) that was seen to serve, with a
    room and a registered person made before the fault."""
    async with live_server(redis_url=redis.url, redis_timeout_s=TIMEOUT_S) as server, \
            aiohttp.ClientSession() as http:
        api = Client(server, http)
        await expect_service(server, api)
        room = await server.create_room("Ada", "Grace")
        person = await api.register("Ada", "mentor", "Europe/London")
        yield server, api, room, person


async def test_redis_down_answers_unavailable_and_a_restart_is_transparent(
        own_redis: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    async with serving(own_redis) as (server, api, room, person):
        own_redis.kill()
        await expect_unavailable(server, api, room, person)
        own_redis.restart()  # empty: no persistence; every pooled connection is stale
        await expect_service(server, api)
    no_bug_logged(caplog)


async def test_a_hung_redis_answers_unavailable_within_the_deadline(
        own_redis: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    async with serving(own_redis) as (server, api, room, person):
        own_redis.pause()
        try:
            await expect_unavailable(server, api, room, person)
        finally:
            own_redis.resume()
        assert (await join(server, token_of(room["links"]["mentor"])))["ok"]
        await expect_service(server, api)
    no_bug_logged(caplog)


async def test_a_hung_redis_answers_unavailable_soon_even_when_the_pool_is_busy(
        own_redis: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    # The pool's own wait is long (60 s), the commands' timeout short (0.5 s). With Redis
    # hung and a queue of operations before it, a join waits for a connection: once the
    # commands in flight have timed out, it gives up after the command timeout
    # (`unavailable`) instead of queueing past its ack timeout (20 s) for a pooled
    # connection that each queued operation holds for another 0.5 s.
    caplog.set_level(logging.WARNING)
    async with live_server(redis_url=own_redis.url, redis_timeout_s=TIMEOUT_S,
                           redis_pool_timeout_s=60.0, redis_max_connections=2) as server:
        room = await server.create_room("Ada", "Grace")
        store = server.services.store
        own_redis.pause()
        try:
            queued = [asyncio.create_task(store.get_room(room["room_id"])) for _ in range(100)]
            await asyncio.sleep(0.1)
            ack = await join(server, token_of(room["links"]["mentor"]))
            assert ack["ok"] is False and ack["error"]["code"] == "unavailable", ack
            for task in queued:
                task.cancel()
            await asyncio.gather(*queued, return_exceptions=True)
        finally:
            own_redis.resume()
        assert (await join(server, token_of(room["links"]["mentee"])))["ok"]
    no_bug_logged(caplog)


async def test_300_concurrent_joins_wait_for_the_pool_instead_of_failing(
        own_redis: RedisServer) -> None:
    # The pool's own 10 s wait (the default). A non-blocking pool
    # refuses at once; a pool wait bounded by the 2 s command timeout was missed under
    # load now that each join opens a subscribe connection on the same event loop (132 of
    # 300 joins answered `unavailable` with 8 connections, docs/benchmarks.md).
    # The command timeout is 6 s here, not 2: on a starved event loop (two busy loops
    # beside the test) 51-210 joins answered `unavailable` because their commands
    # themselves outran 2 s; what is tested is that joins queue for the pool.
    async with live_server(redis_url=own_redis.url, redis_max_connections=8,
                           redis_timeout_s=6.0) as server:
        service = server.services.service
        tokens: list[str] = []
        for n in range(150):
            _, mentor, mentee = await service.create_coffee_room(
                duration_s=1800, title=f"t{n}", mentor_name="M", mentee_name="E",
                token_ttl_s=1800)
            tokens += [mentor, mentee]
        clients = [SignalClient() for _ in tokens]
        try:
            await asyncio.gather(*(c.connect(server.base_url) for c in clients))
            # 300 joins and 300 clients on this one event loop: on a loaded CI machine the
            # last acks took over the client's default 20 s (a timeout, not `unavailable`)
            acks = await asyncio.gather(*(c.call("join", {"token": t}, timeout=90)
                                          for c, t in zip(clients, tokens, strict=True)))
        finally:
            await asyncio.gather(*(c.close() for c in clients))
        failed = [a["error"] for a in acks if not a["ok"]]
        assert failed == []


async def test_a_flood_of_forged_feed_urls_is_refused_without_errors(
        redis_url: str) -> None:
    async with live_server(redis_url=redis_url, redis_max_connections=4) as server, \
            aiohttp.ClientSession() as http:
        api = Client(server, http)
        person = await api.register("Ada", "mentor", "Europe/London")
        forged = person.feed_url.replace(".ics", "").rsplit(".", 1)[0] + "." + "0" * 32 + ".ics"
        answers = await asyncio.gather(*(api.call("GET", forged) for _ in range(300)),
                                       api.call("GET", person.feed_url))
        assert sorted({code(a) for a in answers[:-1]}) == [(403, "forbidden")]
        assert answers[-1][0] == 200
