"""Another call's signaling ack latency while one person floods the slot search.

A real server runs in its own process on loopback (``python -m web.cli serve`` from
``--source``, so an older checkout can be measured with the same command). Two
participants join a coffee call over Socket.IO; one of them sends an event with an ack
every ``--interval`` seconds, on schedule even while earlier ones wait (``join`` again:
answered ``already_joined`` through the whole dispatch path, and never rate-limited, so
every sample is one round trip through the event loop) and records the round trips
(one not answered within 30 s, or lost with a dropped connection, counts as infinite).
Meanwhile a mentee runs ``--parallel`` loops of worst-case slot searches (``GET
/api/slots`` over 90 days, 15-minute sessions, both people free 09:00-17:00 on weekdays
(``--week all``: all week) with one mentor. Two phases in the same run, same server:

* ``baseline``: no flood;
* ``flood``: the searches run.

For each phase: ack latency p50 / p95 / max over the samples; for the flood: searches
made, answers by status, mean answer size and time. Bounded: ``--seconds`` per phase,
at most ``--max-requests`` searches.

Run from the repository root::

    .venv/bin/python -m bench.ack_latency
    .venv/bin/python -m bench.ack_latency --source /tmp/old-checkout   # an older tree
    .venv/bin/python -m bench.ack_latency --env MENTORCALL_SLOT_SEARCH_BURST=1000000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import socketio

ROOT = Path(__file__).resolve().parents[1]
ADMIN_KEY = "bench-admin-key-0123456789abcdef-0123456789"
SECRET = "bench-secret-0123456789abcdef-0123456789abcd"
LOST_AFTER_S = 30.0  # an ack later than this (or never: disconnected) counts as lost
WEEKS = {
    "workday": {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "all": {day: [["00:00", "00:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass
class Flood:
    """What the slot-search loops got."""

    statuses: Counter[int] = field(default_factory=Counter)
    sizes: list[int] = field(default_factory=list)
    times: list[float] = field(default_factory=list)


class Server:
    """``python -m web.cli serve`` from ``source`` on a loopback port, in a process."""

    def __init__(self, source: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._data = tempfile.TemporaryDirectory(prefix="mentorcall-bench-")
        self._env = {
            **os.environ,
            "PYTHONPATH": str(source),
            "MENTORCALL_HOST": "127.0.0.1",
            "MENTORCALL_PORT": str(self.port),
            "MENTORCALL_ADMIN_KEY": ADMIN_KEY,
            "MENTORCALL_SECRET": SECRET,
            "MENTORCALL_DATA_DIR": self._data.name,
            **env,
        }
        self._source = source
        self._process: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Server:
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "web.cli",
            "serve",
            cwd=self._source,
            env=self._env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        async with aiohttp.ClientSession() as http:
            for _ in range(200):
                try:
                    async with http.get(f"{self.url}/api/health") as response:
                        if response.status == 200:
                            return self
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError("the server did not start")

    async def __aexit__(self, *exc: object) -> None:
        assert self._process is not None
        self._process.terminate()
        await asyncio.wait_for(self._process.wait(), 10)
        self._data.cleanup()


async def post(
    http: aiohttp.ClientSession, url: str, token: str, body: Any, method: str = "POST"
) -> Any:
    async with http.request(
        method, url, json=body, headers={"Authorization": f"Bearer {token}"}
    ) as response:
        answer = await response.json()
        assert response.status in (200, 201), answer
        return answer


async def person(
    http: aiohttp.ClientSession,
    base: str,
    name: str,
    role: str,
    zone: str,
    week: dict[str, list[list[str]]],
) -> tuple[str, str]:
    made = await post(
        http, f"{base}/api/people", ADMIN_KEY, {"display_name": name, "role": role, "zone": zone}
    )
    token = made["schedule_link"].split("#token=", 1)[1]
    await post(http, f"{base}/api/me/availability", token, {"zone": zone, "weekly": week}, "PUT")
    return made["identity"], token


async def ack_samples(
    client: socketio.AsyncClient, token: str, seconds: float, interval: float
) -> list[float]:
    """Round trips (ms) of acked events sent every ``interval`` for ``seconds``, each on
    time whether or not the earlier ones are answered (no coordinated omission: a stalled
    server shows as many slow samples, not as one)."""

    async def probe() -> float:
        started = time.perf_counter()
        try:
            ack = await client.call("join", {"token": token}, timeout=LOST_AFTER_S)
        except socketio.exceptions.SocketIOError:  # no answer in time, or disconnected
            return math.inf
        # ``busy``: more than 16 of them were waiting on a stalled server; still a sample.
        assert ack["error"]["code"] in ("already_joined", "busy"), ack
        return (time.perf_counter() - started) * 1000

    probes = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        probes.append(asyncio.create_task(probe()))
        await asyncio.sleep(interval)
    return list(await asyncio.gather(*probes))


async def flood(
    http: aiohttp.ClientSession,
    url: str,
    token: str,
    stop: asyncio.Event,
    result: Flood,
    budget: list[int],
) -> None:
    while not stop.is_set() and budget[0] > 0:
        budget[0] -= 1
        started = time.perf_counter()
        async with http.get(url, headers={"Authorization": f"Bearer {token}"}) as response:
            body = await response.read()
        result.times.append((time.perf_counter() - started) * 1000)
        result.statuses[response.status] += 1
        result.sizes.append(len(body))


def report(name: str, samples: list[float]) -> None:
    lost = sum(1 for s in samples if math.isinf(s))
    print(
        f"{name:>8}: {len(samples)} acks ({lost} lost), p50 "
        f"{percentile(samples, 0.5):.1f} ms, p95 {percentile(samples, 0.95):.1f} ms, "
        f"max {max(samples):.1f} ms"
    )


async def run(args: argparse.Namespace) -> None:
    env = dict(item.split("=", 1) for item in args.env)
    async with Server(args.source, env) as server, aiohttp.ClientSession() as http:
        room = await post(
            http,
            f"{server.url}/api/rooms",
            ADMIN_KEY,
            {"mentor_name": "Ada", "mentee_name": "Grace"},
        )
        week = WEEKS[args.week]
        mentor_id, _ = await person(http, server.url, "Mentor", "mentor", "UTC", week)
        _, mentee_token = await person(http, server.url, "Mentee", "mentee", "UTC", week)
        clients = []
        tokens = [room["links"][role].split("#token=", 1)[1] for role in ("mentor", "mentee")]
        for token in tokens:
            client = socketio.AsyncClient(reconnection=False)
            await client.connect(server.url, transports=["websocket"])
            ack = await client.call("join", {"token": token}, timeout=10)
            assert ack["ok"], ack
            clients.append(client)
        today = datetime.now(UTC).date()
        last = today + timedelta(days=89)
        url = f"{server.url}/api/slots?with={mentor_id}&from={today}&to={last}&length=15"
        print(f"server: {args.source} {' '.join(args.env)} (week: {args.week})")
        baseline = await ack_samples(clients[0], tokens[0], args.seconds, args.interval)
        stop, result, budget = asyncio.Event(), Flood(), [args.max_requests]
        loops = [
            asyncio.create_task(flood(http, url, mentee_token, stop, result, budget))
            for _ in range(args.parallel)
        ]
        flooded = await ack_samples(clients[0], tokens[0], args.seconds, args.interval)
        stop.set()
        await asyncio.gather(*loops)
        for client in clients:
            await client.disconnect()
        report("baseline", baseline)
        report("flood", flooded)
        print(
            f"   flood: {sum(result.statuses.values())} searches by one person in "
            f"{args.parallel} loops, statuses {dict(sorted(result.statuses.items()))}, "
            f"mean answer {statistics.mean(result.sizes) / 1024:.1f} KiB, max answer "
            f"{max(result.sizes) / 1024:.1f} KiB, mean time "
            f"{statistics.mean(result.times):.1f} ms"
        )
        print(
            json.dumps(
                {
                    "baseline_p95_ms": round(percentile(baseline, 0.95), 1),
                    "flood_p95_ms": round(percentile(flooded, 0.95), 1),
                }
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default=str(ROOT), help="tree to run the server from")
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for the server")
    parser.add_argument("--seconds", type=float, default=8.0, help="per phase")
    parser.add_argument("--interval", type=float, default=0.1, help="between ack samples")
    parser.add_argument("--parallel", type=int, default=4, help="flooding loops")
    parser.add_argument("--max-requests", type=int, default=5000)
    parser.add_argument(
        "--week", choices=sorted(WEEKS), default="workday", help="both people's availability"
    )
    args = parser.parse_args()
    args.source = Path(args.source).resolve()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
