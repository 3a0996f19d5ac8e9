"""Server CPU per forwarded packet: mentorcall's SFU against Janus's VideoRoom plugin.

The same publisher and subscribers as bench/forward.py (one 640x360 VP8 ~1 Mbit/s 30 fps
synthetic stream, N subscribers that count frames and losses without decoding), through

* ``forward``: mentorcall's :class:`media.Sfu`, in its own process as bench/forward.py
  runs it, clients and server on 127.0.0.1;
* ``janus-*``: Janus (1.1.x) and its VideoRoom plugin, started by this bench with a
  private config (see bench/janus_server.py), signaled over its REST API, once per
  Janus setting tried: ``janus-threads`` (its default: one thread and event loop per
  handle) and ``janus-loops<K>`` (``event_loops = K``: K shared loops).

Every server's own process CPU time is read over the same steady window; the CPU per
packet divides it by the RTP packets the subscribers received in that window (Janus's
counters sit behind its admin API, left off), for every server alike. Per N the runs
alternate (forward first at one N, last at the next: A B B A) so a noisy machine hits
every server alike.

Janus never gathers ICE candidates on a loopback interface, so the whole bench runs in
a private network namespace (``unshare --net``, as root) holding only ``lo`` and a veth
pair with one address, 198.18.0.1 (the benchmarking range), used by Janus and by the
clients talking to it. Packets from an address to itself go through ``lo`` as on
127.0.0.1: nothing leaves the namespace. Janus missing: the bench says how to install
it and exits 2.

Run from the repository root (as root)::

    .venv/bin/python -m bench.janus --n 1,5,10,20 --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import time
from dataclasses import replace

from bench.forward import (
    TARGET_BITRATE,
    PointResult,
    cap_vp8_bitrate,
    measure_point,
    point_arguments,
    print_point,
    run_point,
    table,
)
from bench.janus_server import INSTALL_HINT, JanusServer, find_janus
from media import MediaConfig

NETNS_ADDRESS = "198.18.0.1"
NETNS_ENV = "MENTORCALL_BENCH_NETNS"
NETNS_SETUP = (
    "set -e; ip link set lo up; ip link add mcb0 type veth peer name mcb1; "
    f"ip addr add {NETNS_ADDRESS}/32 dev mcb0; ip link set mcb1 up; ip link set mcb0 up; "
    'exec "$0" -m bench.janus "$@"'
)
DEFAULT_SETTINGS = "threads,loops1,loops2"


def event_loops(setting: str) -> int:
    """``threads`` -> 0 (Janus's default), ``loops<K>`` -> K."""
    if setting == "threads":
        return 0
    if setting.startswith("loops") and setting[5:].isdigit() and int(setting[5:]) > 0:
        return int(setting[5:])
    raise SystemExit(f"unknown Janus setting {setting!r}: threads or loops<K>")


def enter_namespace() -> None:
    """Re-run this bench inside a private network namespace (see the module); returns
    only when already inside one. Exits 2 if Janus or the tools for that are missing."""
    if os.environ.get(NETNS_ENV) == NETNS_ADDRESS:
        return
    if find_janus() is None:
        print(INSTALL_HINT, file=sys.stderr)
        raise SystemExit(2)
    missing = [tool for tool in ("unshare", "ip") if shutil.which(tool) is None]
    if missing or os.geteuid() != 0:
        print(
            "This bench runs in a private network namespace: it needs root and the "
            f"`unshare` and `ip` tools (util-linux, iproute2); missing: "
            f"{', '.join(missing) or 'root'}.",
            file=sys.stderr,
        )
        raise SystemExit(2)
    env = {**os.environ, NETNS_ENV: NETNS_ADDRESS}
    argv = ["unshare", "--net", "--", "sh", "-c", NETNS_SETUP, sys.executable, *sys.argv[1:]]
    os.execvpe("unshare", argv, env)


async def run_janus(setting: str, subscribers: int, seconds: float) -> PointResult:
    server = JanusServer(event_loops(setting), NETNS_ADDRESS)
    clients = MediaConfig(
        ice_host_addresses=(NETNS_ADDRESS,), ice_allowed_networks=(f"{NETNS_ADDRESS}/32",)
    )
    try:
        await server.start()
        return await measure_point(server, f"janus-{setting}", subscribers, seconds, clients)
    finally:
        await server.quit()


def per_received(result: PointResult) -> PointResult:
    """The point with its packets counted at the subscribers (as for Janus)."""
    return replace(result, packets=result.received)


def ratios(results: list[PointResult]) -> str:
    """Per N: each Janus setting's CPU per sent packet over mentorcall's, and the best.

    The project's target is mentorcall at half of Janus's best: janus / mentorcall >= 2.
    """
    lines = [
        "| N | forward µs / packet | Janus setting | Janus µs / packet "
        "| janus / mentorcall, CPU per sent packet | mentorcall / janus |",
        "|---:|---:|---|---:|---:|---:|",
    ]
    for n in sorted({r.subscribers for r in results}):
        at_n = [r for r in results if r.subscribers == n]
        forward = [r.us_per_packet for r in at_n if r.mode == "forward"]
        settings = sorted({r.mode for r in at_n if r.mode.startswith("janus-")})
        if not forward or not settings:
            continue
        ours = statistics.mean(forward)
        costs = {
            s: statistics.mean(r.us_per_packet for r in at_n if r.mode == s) for s in settings
        }
        best = min(costs, key=lambda s: costs[s])
        for setting in settings:
            label = f"**{setting}** (best)" if setting == best and len(settings) > 1 else setting
            lines.append(
                f"| {n} | {ours:.1f} | {label} | {costs[setting]:.1f} "
                f"| {costs[setting] / ours:.2f}x | {ours / costs[setting]:.2f}x |"
            )
    return "\n".join(lines)


async def main_async(counts: list[int], seconds: float, settings: list[str]) -> None:
    cap_vp8_bitrate(TARGET_BITRATE)
    results: list[PointResult] = []
    order = ["forward", *(f"janus-{s}" for s in settings)]
    for index, n in enumerate(counts):
        for mode in order if index % 2 == 0 else reversed(order):
            started = time.monotonic()
            if mode == "forward":
                result = per_received(await run_point("forward", n, seconds))
            else:
                result = await run_janus(mode.removeprefix("janus-"), n, seconds)
            results.append(result)
            print_point(f"{mode:14s}", n, result, started,
                        f"{result.packets / result.wall_s:6.0f} packets/s  ")
    results.sort(key=lambda r: (order.index(r.mode), r.subscribers))
    print(table(results))
    print()
    print(ratios(results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    point_arguments(parser)
    parser.add_argument(
        "--janus",
        default=DEFAULT_SETTINGS,
        help="Janus settings to run: threads (a thread per handle) and/or loops<K> "
        "(event_loops = K), comma-separated",
    )
    args = parser.parse_args()
    counts = [int(x) for x in args.n.split(",") if x]
    settings = [s for s in args.janus.split(",") if s]
    for setting in settings:
        event_loops(setting)  # reject a bad one before starting anything
    enter_namespace()
    asyncio.run(main_async(counts, args.seconds, settings))


if __name__ == "__main__":
    main()
