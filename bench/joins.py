"""Concurrent joins: N Socket.IO clients join at once, against a server in its own process.

Each configuration starts a fresh server process (``python -m web.cli serve``): the
baseline on the in-memory store, then on a private redis-server (unix socket) with a
pool of each size in ``--pools`` (``MENTORCALL_REDIS_MAX_CONNECTIONS``). N/2 coffee
rooms are created over REST, N clients connect, then all N send ``join`` at the same
moment; the figure is joins acknowledged per second over that burst, and the error acks
by code.

``--hang`` then SIGSTOPs the redis-server and times a ``join`` ack and a
``POST /api/rooms`` answer while it is hung (bounded by ``MENTORCALL_REDIS_TIMEOUT_S``).

Run from the repository root::

    .venv/bin/python -m bench.joins --n 300 --pools 8,64,300 --hang
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import time
from typing import Any

import aiohttp
import socketio

from tests.live_server import ADMIN_KEY, token_of
from tests.redis_server import RedisServer
from tests.server_process import ServerProcess


async def tokens_for(server: ServerProcess, n: int) -> list[str]:
    tokens: list[str] = []
    for _ in range(n // 2):
        room = await server.create_room()
        tokens += [token_of(room["links"]["mentor"]), token_of(room["links"]["mentee"])]
    return tokens


async def burst(server: ServerProcess, n: int) -> tuple[float, collections.Counter[str]]:
    """(joins/s, error codes) of ``n`` simultaneous joins."""
    tokens = await tokens_for(server, n)
    clients = [socketio.AsyncClient(reconnection=False) for _ in tokens]
    try:
        await asyncio.gather(
            *(
                c.connect(server.base_url, transports=["websocket"], wait_timeout=30)
                for c in clients
            )
        )
        started = time.perf_counter()
        acks = await asyncio.gather(
            *(
                c.call("join", {"token": t}, timeout=60)
                for c, t in zip(clients, tokens, strict=True)
            )
        )
        elapsed = time.perf_counter() - started
    finally:
        await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)
    errors = collections.Counter(a["error"]["code"] for a in acks if not a["ok"])
    return len(tokens) / elapsed, errors


async def hung(server: ServerProcess, redis: RedisServer) -> dict[str, Any]:
    """Time to answer a join and a room creation while Redis is SIGSTOPped."""
    room = await server.create_room()
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(server.base_url, transports=["websocket"], wait_timeout=30)
    redis.pause()
    try:
        started = time.perf_counter()
        ack = await client.call("join", {"token": token_of(room["links"]["mentor"])}, timeout=60)
        join_s = time.perf_counter() - started
        async with aiohttp.ClientSession() as http:
            started = time.perf_counter()
            async with http.post(
                f"{server.base_url}/api/rooms",
                json={"mentor_name": "A", "mentee_name": "B"},
                headers={"Authorization": f"Bearer {ADMIN_KEY}"},
            ) as answer:
                status, body = answer.status, await answer.json()
            rest_s = time.perf_counter() - started
    finally:
        redis.resume()
        await client.disconnect()
    return {
        "join_ack_s": join_s,
        "join_error": ack.get("error", {}).get("code"),
        "rest_s": rest_s,
        "rest": (status, body["error"]["code"]),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=300, help="simultaneous joins")
    parser.add_argument("--hang", action="store_true", help="also time answers during SIGSTOP")
    parser.add_argument(
        "--pools", default="64", help="comma-separated MENTORCALL_REDIS_MAX_CONNECTIONS to run"
    )
    args = parser.parse_args()
    quiet = {"disconnect_grace_s": 1.0}
    with ServerProcess(**quiet) as server:
        rate, errors = await burst(server, args.n)
    print(f"memory store: {args.n} joins, {rate:.0f} joins/s, errors {dict(errors)}")
    for pool in (int(p) for p in args.pools.split(",")):
        with (
            RedisServer() as redis,
            ServerProcess(redis_url=redis.url, redis_max_connections=pool, **quiet) as server,
        ):
            rate, errors = await burst(server, args.n)
            print(
                f"redis store, pool {pool}: {args.n} joins, {rate:.0f} joins/s, "
                f"errors {dict(errors)}"
            )
            if args.hang:
                found = await hung(server, redis)
                print(
                    f"redis SIGSTOPped: join ack after {found['join_ack_s']:.2f} s "
                    f"({found['join_error']}), POST /api/rooms after "
                    f"{found['rest_s']:.2f} s {found['rest']}"
                )


if __name__ == "__main__":
    asyncio.run(main())
