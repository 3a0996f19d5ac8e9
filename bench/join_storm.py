"""A join storm across nodes: N joins spread over S seconds, 3 nodes against 1 node.

One private redis-server; each configuration starts fresh server processes on it
(``python -m web.cli serve``, room placement on): first one node, then three. N/2 coffee
rooms are created; the N participants join at uniformly random moments over S seconds
(the same moments for both configurations), each through a random node (a load
balancer would pick one), following `moved` to the room's node, then publish
pre-encoded audio and video and answer their subscribe connection (aiortc clients in
this process, tests/signaling/moving.py).

Figures per configuration: failed joins (a join that did not end in a call within the
timeout), join-to-first-frame (from the moment the second person of the room started
joining, or one's own start if later, to one's first decoded video frame of the other:
p50, p95, max), and the placement balance (rooms per node, from the registry).

Run from the repository root::

    .venv/bin/python -m bench.join_storm --joins 300 --seconds 15
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass

import redis.asyncio as aioredis

from tests.live_server import token_of
from tests.redis_server import RedisServer
from tests.server_process import ServerProcess
from tests.signaling.moving import MovingCaller

TIMEOUT_S = 90.0  # a joiner not in a call with media by then counts as failed
NODE_SETTINGS = {"node_heartbeat_s": 1.0, "node_lease_s": 3.0, "node_max_rooms": 500}


@dataclass
class Joiner:
    caller: MovingCaller
    room: int
    started: float = 0.0
    first_frame: float | None = None
    failed: str = ""


@dataclass
class StormResult:
    joins: int
    failed: Counter[str]
    storm_s: float  # from the first join's moment to the last joiner in its call
    waits_ms: list[float]  # join -> first frame
    placed: list[int]  # rooms per node, most first
    median_moves: float

    def row(self, nodes: int) -> str:
        failed = ", ".join(f"{n} x {c}" for c, n in self.failed.items()) or "0"
        return (f"| {nodes} | {self.joins} | {self.storm_s:.1f} | {failed} "
                f"| {percentile(self.waits_ms, 0.5):.0f} | {percentile(self.waits_ms, 0.95):.0f} "
                f"| {max(self.waits_ms):.0f} | {' / '.join(map(str, self.placed))} "
                f"| {self.median_moves:g} |")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


async def first_frame_of(joiner: Joiner, partner: Joiner) -> None:
    """Until the joiner decodes a video frame of its partner (on its current visit)."""
    while True:
        visit = joiner.caller.current
        try:
            video = visit.media(partner.caller.identity, "video")
        except (KeyError, StopIteration, IndexError):
            video = None
        if video is not None and video.times:
            joiner.first_frame = video.times[0]
            return
        await asyncio.sleep(0.02)


async def run(nodes: list[ServerProcess], redis_url: str, joins: int, seconds: float,
              moments: list[float], entries_seed: int) -> StormResult:
    rooms = [await nodes[i % len(nodes)].create_room() for i in range(joins // 2)]
    rng = random.Random(entries_seed)
    entries = [n.base_url for n in nodes]
    # seeds 1-4 (the two of a room differ): each seed's video is encoded once, and its
    # size grows with the seed
    joiners = [Joiner(MovingCaller(token_of(room["links"][who]), entries,
                                   1 + (2 * i + k) % 4, media=True), i)
               for i, room in enumerate(rooms) for k, who in enumerate(("mentor", "mentee"))]
    order = list(range(len(joiners)))
    rng.shuffle(order)

    async def enter(joiner: Joiner, at: float, entry: str) -> None:
        await asyncio.sleep(max(0.0, at - (time.monotonic() - begun)))
        joiner.started = time.monotonic()
        try:
            await asyncio.wait_for(joiner.caller.enter(entry), TIMEOUT_S)
        except Exception as exc:  # a failed join is a figure here
            joiner.failed = type(exc).__name__

    begun = time.monotonic()
    try:
        await asyncio.gather(*(enter(joiners[index], moments[n], rng.choice(entries))
                               for n, index in enumerate(order)))
        by_room: dict[int, list[Joiner]] = {}
        for joiner in joiners:
            by_room.setdefault(joiner.room, []).append(joiner)

        async def media(joiner: Joiner, partner: Joiner) -> None:
            if joiner.failed or partner.failed:
                return
            try:
                await asyncio.wait_for(first_frame_of(joiner, partner), TIMEOUT_S)
            except TimeoutError:
                joiner.failed = "no first frame"

        await asyncio.gather(*(media(a, b) for a, b in by_room.values()),
                             *(media(b, a) for a, b in by_room.values()))
        storm_s = time.monotonic() - begun
        waits = []
        for a, b in by_room.values():
            since = max(a.started, b.started)
            waits += [1000 * (j.first_frame - since) for j in (a, b)
                      if j.first_frame is not None and not j.failed]
        raw = aioredis.Redis.from_url(redis_url, decode_responses=True)
        try:
            placed = Counter([str(await raw.get(f"mentorcall:node:{{nodes}}:room:{r['room_id']}"))
                              for r in rooms])
        finally:
            await raw.aclose()
        return StormResult(len(joiners), Counter(j.failed for j in joiners if j.failed),
                           storm_s, waits, sorted(placed.values(), reverse=True),
                           statistics.median(j.caller.moves for j in joiners))
    finally:
        await asyncio.gather(*(j.caller.close() for j in joiners), return_exceptions=True)


async def main_async(joins: int, seconds: float, seed: int) -> None:
    rng = random.Random(seed)
    moments = sorted(rng.uniform(0, seconds) for _ in range(joins))
    print("| nodes | joins | over s | failed | join → first frame p50 ms | p95 ms | max ms "
          "| rooms per node | `moved` followed (median per joiner) |")
    print("|---:|---:|---:|---|---:|---:|---:|---|---:|")
    with RedisServer() as redis:
        for count in (1, 3):
            redis.flush()
            with ExitStack() as stack:
                nodes = [stack.enter_context(ServerProcess(
                    redis_url=redis.url, node_id=f"node{i}", **NODE_SETTINGS))
                    for i in range(count)]
                result = await run(nodes, redis.url, joins, seconds, moments, seed)
            print(result.row(count), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--joins", type=int, default=300, help="participants (2 per room)")
    parser.add_argument("--seconds", type=float, default=15.0, help="spread of the joins")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(main_async(args.joins, args.seconds, args.seed))


if __name__ == "__main__":
    main()
