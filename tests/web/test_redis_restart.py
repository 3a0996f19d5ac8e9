"""Redis restarts in the middle of a call, with real aiortc peers through one server.

Without persistence Redis comes back empty: the call's media keeps flowing (the SFU needs
no Redis), ``/api/health`` says degraded while Redis is away, and once it is back the
server writes back what it holds (room, seats with their leases, the roundtable's state:
rooms/owned_seats.py), so a newcomer joins the same room and meets the people in it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis

from tests.live_server import LiveServer, live_server, token_of
from tests.redis_server import RedisServer
from tests.signaling.roundtable import create_roundtable
from tests.signaling.subscribing import SubscribingParticipant, connect
from tests.web.test_redis_faults import no_bug_logged

INTERVAL_S = 0.5  # presence rounds: the write-back comes within one
SERVER: dict[str, Any] = {"redis_timeout_s": 1.0, "presence_interval_s": INTERVAL_S,
                          "disconnect_grace_s": 5.0}


async def health(server: LiveServer) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, \
            http.get(f"{server.base_url}/api/health") as response:
        return response.status, await response.json()


async def until(check: Any, timeout: float = 10.0) -> None:
    """Poll the coroutine function ``check`` until it returns True."""
    async with asyncio.timeout(timeout):
        while not await check():  # noqa: ASYNC110 (Redis and HTTP set no event)
            await asyncio.sleep(0.05)


async def flowing(*people: SubscribingParticipant) -> None:
    """Each receives fresh video and audio from every other one."""
    await asyncio.gather(*(a.wait_media_from(b) for a in people for b in people if a is not b))


@asynccontextmanager
async def restartable(redis: RedisServer, **settings: Any
                      ) -> AsyncIterator[tuple[LiveServer, AsyncExitStack, aioredis.Redis]]:
    """A server on ``redis`` (SERVER's settings, then ``settings``), an exit stack for the
    test's clients and a plain client on the same Redis to look at its keys."""
    async with live_server(redis_url=redis.url, **{**SERVER, **settings}) as server, \
            AsyncExitStack() as stack:
        raw = aioredis.Redis.from_url(redis.url, decode_responses=True)
        stack.push_async_callback(raw.aclose)
        yield server, stack, raw


async def coffee_call(server: LiveServer, stack: AsyncExitStack) -> tuple[
        dict[str, Any], SubscribingParticipant, SubscribingParticipant]:
    """A coffee room whose mentor and mentee joined, publish, and receive each other."""
    room = await server.create_room("Ada", "Grace")
    mentor, mentee = await connect(server, stack, 1), await connect(server, stack, 2)
    for who, link in ((mentor, "mentor"), (mentee, "mentee")):
        await who.join(token_of(room["links"][link]))
        await who.publish()
    await flowing(mentor, mentee)
    return room, mentor, mentee


async def test_a_restart_without_persistence_keeps_the_call_and_rebuilds_the_room(
        own_redis: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    async with restartable(own_redis) as (server, stack, raw):
        room = await create_roundtable(server.base_url, [("Pat", "participant"),
                                                         ("Ann", "participant")])
        store = server.services.store
        room_key, participants_key, _, leases_key = store.room_keys(  # type: ignore[attr-defined]
            room["room_id"])
        host, pat = await connect(server, stack, 1), await connect(server, stack, 2)
        await host.join(room["tokens"]["host"])
        await host.publish()
        await pat.join(room["tokens"]["Pat"])
        await pat.publish()
        await host.wait_carrying({pat.identity})
        await pat.wait_carrying({host.identity})
        await flowing(host, pat)
        before = await raw.hgetall(participants_key)

        own_redis.kill()
        await until(lambda: _status_is(server, 503))
        assert (await health(server))[1]["status"] == "degraded"
        await flowing(host, pat)  # media needs no Redis

        own_redis.restart()  # empty: no persistence
        assert not await raw.exists(room_key)

        async def rebuilt() -> bool:
            return len(await raw.hgetall(participants_key)) == 2

        await until(rebuilt)
        assert await raw.hgetall(participants_key) == before  # roles, names, tracks
        assert set(await raw.hgetall(leases_key)) == {host.identity, pat.identity}
        assert await raw.pttl(room_key) > 0
        await until(lambda: _status_is(server, 200))  # its events listener is back too
        await flowing(host, pat)

        ann = await connect(server, stack, 3)
        ack = await ann.join(room["tokens"]["Ann"])
        seen = {p["identity"] for p in ack["room"]["participants"]}
        assert seen == {host.identity, pat.identity, ann.identity}
        assert ack["roundtable"]["roles"][host.identity] == "host"  # the state came back
        await ann.publish()
        for who, others in ((ann, {host, pat}), (host, {pat, ann}), (pat, {host, ann})):
            await who.wait_carrying({o.identity for o in others})
        await flowing(host, pat, ann)
    no_bug_logged(caplog)


async def test_a_restart_without_persistence_lets_a_coffee_partner_rejoin(
        own_redis: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    async with restartable(own_redis) as (server, stack, raw):
        room, mentor, mentee = await coffee_call(server, stack)
        participants_key = server.services.store.room_keys(  # type: ignore[attr-defined]
            room["room_id"])[1]

        own_redis.restart()

        async def rebuilt() -> bool:
            return len(await raw.hgetall(participants_key)) == 2

        await until(rebuilt)
        # the mentee's page reloads: a new connection joins the rebuilt room
        await mentee.close()
        again = await connect(server, stack, 2)
        ack = await again.join(token_of(room["links"]["mentee"]))
        assert {p["identity"] for p in ack["room"]["participants"]} == {
            mentor.identity, again.identity}
        await again.publish()
        await again.wait_carrying({mentor.identity})
        await mentor.wait_carrying({again.identity})
        await flowing(mentor, again)
    no_bug_logged(caplog)


async def _status_is(server: LiveServer, status: int) -> bool:
    return (await health(server))[0] == status


async def test_a_join_right_after_the_restart_writes_the_room_back_first(
        own_redis: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    # Presence rounds far apart: the newcomer's join, finding no room, is what notices
    # the restart; it writes back what the server holds and joins (before: the
    # newcomer was told `room_not_found` until the next round, and gave up).
    caplog.set_level(logging.WARNING)
    async with restartable(own_redis, presence_interval_s=60.0) as (server, stack, _):
        await server.services.store.restarted({})  # the run id the first round learns
        room = await create_roundtable(server.base_url, [("Pat", "participant")])
        host = await connect(server, stack, 1)
        await host.join(room["tokens"]["host"])
        await host.publish()

        own_redis.restart()

        pat = await connect(server, stack, 2)
        ack = await pat.join(room["tokens"]["Pat"])
        assert {p["identity"] for p in ack["room"]["participants"]} == {
            host.identity, pat.identity}
        assert ack["roundtable"]["roles"][host.identity] == "host"
        await pat.publish()
        await pat.wait_carrying({host.identity})
        await host.wait_carrying({pat.identity})
        await flowing(host, pat)
    no_bug_logged(caplog)
