"""/metrics under calls: what a scrape costs, and the join-to-first-frame it reports.

P coffee calls (two aiortc participants each, publishing pre-encoded audio and video:
tests/media/encoded.py) run through one in-process server; once every participant
receives the other's media, /metrics is scraped K times. It prints what a scrape costs the
server (``generate_latest`` over the node's collector, the work the handler does on the
event loop: p50 / max) and the HTTP round trip (p50; the clients decode video on the
same event loop, so this is mostly the loop's queue),
the body size, what the scrape says (participants, streams, packets forwarded per
second between two scrapes a second apart) and the join-to-first-frame histogram's
count, mean and p50 / p95 (interpolated in the buckets, as Prometheus'
``histogram_quantile`` does).

Run from the repository root::

    .venv/bin/python -m bench.metrics --pairs 1,5,10 --scrapes 20
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from contextlib import AsyncExitStack

import aiohttp
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from tests.live_server import LiveServer, live_server, token_of
from tests.signaling.subscribing import connect
from web.metrics.collector import NodeCollector, node_registry

Samples = dict[str, list[tuple[dict[str, str], float]]]


def parse(text: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


def one(samples: Samples, name: str) -> float:
    return sum(value for _, value in samples[name])


def quantile(q: float, buckets: list[tuple[float, float]]) -> float:
    """Prometheus' histogram_quantile over cumulative ``(upper bound, count)``."""
    total = buckets[-1][1]
    if total == 0:
        return float("nan")
    rank, lower, below = q * total, 0.0, 0.0
    for bound, count in buckets:
        if count >= rank:
            if bound == float("inf"):
                return lower
            return lower + (bound - lower) * (rank - below) / max(count - below, 1e-9)
        lower, below = bound, count
    return lower


async def scrape(http: aiohttp.ClientSession, server: LiveServer) -> tuple[float, str]:
    start = time.perf_counter()
    async with http.get(f"{server.base_url}/metrics",
                        headers={"Authorization": f"Bearer {server.admin_key}"}) as response:
        text = await response.text()
    return time.perf_counter() - start, text


async def run(pairs: int, scrapes: int) -> str:
    async with live_server() as server, AsyncExitStack() as stack, \
            aiohttp.ClientSession() as http:
        people = []
        for n in range(pairs):
            room = await server.create_room(f"M{n}", f"E{n}")
            mentor, mentee = await connect(server, stack, 1), await connect(server, stack, 2)
            for who, link in ((mentor, "mentor"), (mentee, "mentee")):
                await who.join(token_of(room["links"][link]))
                await who.publish()
            people.append((mentor, mentee))
        for mentor, mentee in people:
            await mentor.wait_carrying({mentee.identity})
            await mentee.wait_carrying({mentor.identity})
            await mentor.wait_media_from(mentee)
            await mentee.wait_media_from(mentor)
        services = server.services
        registry = node_registry(NodeCollector(services.sfu, services.namespace, lambda: "b"))
        costs, times = [], []
        for _ in range(scrapes):
            start = time.perf_counter()
            generate_latest(registry)
            costs.append(time.perf_counter() - start)
            took, text = await scrape(http, server)
            times.append(took)
        first = parse(text)
        await asyncio.sleep(1.0)
        second = parse((await scrape(http, server))[1])
        rate = (one(second, "mentorcall_packets_forwarded_total")
                - one(first, "mentorcall_packets_forwarded_total"))
        buckets = [(float(labels["le"]), value) for labels, value
                   in second["mentorcall_join_to_first_frame_seconds_bucket"]]
        count = one(second, "mentorcall_join_to_first_frame_seconds_count")
        mean = one(second, "mentorcall_join_to_first_frame_seconds_sum") / max(count, 1)
        return (f"| {pairs} | {int(one(second, 'mentorcall_participants'))} | "
                f"{int(one(second, 'mentorcall_streams_forwarded'))} | {rate:.0f} | "
                f"{statistics.median(costs) * 1000:.2f} / {max(costs) * 1000:.2f} | "
                f"{statistics.median(times) * 1000:.1f} | "
                f"{len(text)} | {int(count)} | {mean * 1000:.0f} | "
                f"{quantile(0.5, buckets) * 1000:.0f} / {quantile(0.95, buckets) * 1000:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", default="1,5,10", help="calls (comma-separated)")
    parser.add_argument("--scrapes", type=int, default=20, help="scrapes timed per point")
    args = parser.parse_args()
    print("| calls | participants | streams forwarded | packets fwd/s | scrape CPU p50 / max ms "
          "| HTTP p50 ms | body bytes | first frames | mean ms | p50 / p95 ms |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for pairs in (int(p) for p in args.pairs.split(",")):
        print(asyncio.run(run(pairs, args.scrapes)), flush=True)


if __name__ == "__main__":
    main()
