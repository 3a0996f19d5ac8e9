"""A roundtable: R participants, everyone receiving everyone, then late joiners.

R participants each publish a pre-encoded Opus tone and VP8 video (320x180, 30 fps;
tests/media/encoded.py, so the clients never encode). The video answers keyframe
requests as a browser's encoder does (:class:`KeyframeOnRequestTrack`: a keyframe on
PLI, otherwise one every 2 s). Everyone receives every other participant's audio and
video with clients that never decode (forwarding receivers count frames by RTP
timestamp and loss by sequence number, after NACK recovery). The server runs in its
own process (as in bench/forward.py and bench/subscribe.py, whose server and clients
this reuses) and measures its own CPU time over a steady window. Then, in the full
room, ``--rounds`` late joiners one after another each subscribe to all R participants
and the time from the join request to the first complete video frame of each
publisher is recorded (the server forwards nothing before a keyframe); each joiner
leaves before the next comes, after a random pause. The joiners run in a process of
their own with their own pipe to the server (a joiner is a browser of its own: its
set-up must not queue behind the room's R publishers and R x (R - 1) x 2 receiving
streams in the bench process, whose CPU the table also prints).

The designs run in the same invocation at every R, a fresh server process each:

* ``pairs``: the baseline, one peer connection per (subscriber, publisher) pair
  (``Sfu.subscribe``); a late joiner opens its R connections at once;
* ``subconn``: one subscribe connection per participant (``Sfu.open_subscriber``),
  last-N off: everyone receives every video;
* ``lastn``: the same with last-N video on (``Sfu.set_last_n``, ``--last-n`` N, default
  6): each subscribe connection carries min(N, R - 1) video slots and every audio, so
  R = 8 and 12 forward fewer videos. Nobody speaks (the pre-encoded audio has no level),
  so the slots hold the first N others in join order; the rows are the steady cost and
  a late joiner's first frame on its N slots.

Run from the repository root::

    .venv/bin/python -m bench.roundtable --r 4,8,12 --seconds 5 --rounds 5 --last-n 6
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import statistics
import sys
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from aiortc.mediastreams import MediaStreamTrack

from bench.first_frame import percentile
from bench.forward import Channel
from bench.subscribe import (
    WARMUP_S,
    Server,
    everyone_receives,
    publish_all,
    receive,
    subscribe_requests,
)
from media.last_n import DEFAULT_LAST_N
from tests.media.encoded import (
    EncodedTrack,
    KeyframeOnRequestTrack,
    answer_keyframe_requests,
    opus_packets,
)

JOIN_TIMEOUT_S = 20.0
DESIGNS = ("pairs", "subconn", "lastn")


def roundtable_tracks(index: int) -> list[MediaStreamTrack]:
    return [
        EncodedTrack("audio", opus_packets(300 + 50 * index)),
        KeyframeOnRequestTrack(320, 180, seed=index),
    ]


@dataclass
class PointResult:
    design: str
    participants: int
    connections: int
    transports: int
    cpu_s: float
    wall_s: float
    packets: int
    clients_cpu_s: float  # the bench process (the room's clients) over the same window
    fps: list[float]  # every received video stream
    video_loss: list[float]
    audio_loss: list[float]
    first_frames_ms: list[float]  # every (late joiner, publisher) video stream
    connect_ms: list[float]  # the same streams: join -> their connection is up
    after_connect_ms: list[float]  # the same streams: connection up -> first frame
    all_videos_ms: list[float]  # per late joiner: until every publisher's first frame
    keyframe_requests: int  # sent by the server during the late joins
    keyframes_sent: int  # by the publishers during the late joins

    @property
    def us_per_packet(self) -> float:
        return self.cpu_s / self.packets * 1e6 if self.packets else float("inf")


@dataclass
class LateJoin:
    """One late joiner: per publisher's video stream, ms from the join request."""

    first_frame: list[float]
    connected: list[float]  # when the connection carrying the stream was up


async def late_join(server: Channel, design: str, joiner: str, peers: list[str]) -> LateJoin:
    """One late joiner receiving every peer, until each publisher's first video frame."""
    started = time.monotonic()
    joined = await asyncio.gather(
        *(receive(server, request) for request in subscribe_requests(design, joiner, peers))
    )
    counters = [counter for _, found in joined for counter in found]
    try:
        await asyncio.wait_for(
            asyncio.gather(*(c.first_frame.wait() for c in counters)), JOIN_TIMEOUT_S
        )
        return LateJoin(
            [1000 * ((c.first_frame_at or 0.0) - started) for c in counters],
            [1000 * ((c.connected_at or 0.0) - started) for c in counters],
        )
    finally:
        for pc, _ in joined:
            await pc.close()
        await server.call("remove", joiner)


async def run_joiners(
    server: Channel, design: str, peers: list[str], rounds: int, seed: int
) -> list[LateJoin]:
    rng = random.Random(seed)
    joins = []
    for index in range(rounds):
        await asyncio.sleep(rng.uniform(0.3, 1.0))
        joins.append(await late_join(server, design, f"late{index}", peers))
    return joins


def joiner_main(
    conn: Connection, results: Connection, design: str, peers: list[str], rounds: int, seed: int
) -> None:
    """The late joiners' own process (a joiner is a browser of its own, not queued behind
    the room's clients): joins over ``conn`` to the server, the results over ``results``."""
    results.send(asyncio.run(run_joiners(Channel(conn), design, peers, rounds, seed)))


async def late_joiners(
    server: Server, design: str, peers: list[str], rounds: int, seed: int
) -> list[LateJoin]:
    """Run :func:`run_joiners` in a process of its own and wait for its results."""
    context = multiprocessing.get_context("spawn")
    results, child = context.Pipe()
    process = context.Process(
        target=joiner_main,
        args=(server.extra[0], child, design, peers, rounds, seed),
        daemon=True,
    )
    process.start()
    try:
        loop = asyncio.get_running_loop()
        joins: list[LateJoin] = await asyncio.wait_for(
            loop.run_in_executor(None, results.recv), 60 + rounds * JOIN_TIMEOUT_S
        )
        return joins
    finally:
        process.join(10)
        if process.is_alive():
            process.terminate()


async def run_point(
    design: str, participants: int, seconds: float, rounds: int, rng: random.Random,
    last_n: int,
) -> PointResult:
    server = Server(extra=1)
    peers = [f"p{i}" for i in range(participants)]
    clients: list[Any] = []
    try:
        publishers = await publish_all(server, peers, roundtable_tracks)
        clients += publishers
        for publisher in publishers:
            answer_keyframe_requests(publisher.pc)
        if design == "lastn":
            await server.call("last_n", peers, last_n)
        pcs, counters = await everyone_receives(server, design, peers, ("audio", "video"))
        clients += pcs
        await asyncio.sleep(WARMUP_S)
        await server.call("start")
        for counter in counters:
            counter.start()
        clients_cpu = time.process_time()
        await asyncio.sleep(seconds)
        cpu_s, wall_s, packets, connections, transports = await server.call("stop")
        clients_cpu = time.process_time() - clients_cpu
        results = [(c.kind, c.result(wall_s)) for c in counters]

        tracks = [
            s.track
            for p in publishers
            for s in p.pc.getSenders()
            if isinstance(s.track, KeyframeOnRequestTrack)
        ]
        requests_before = await server.call("keyframe_requests")
        keyframes_before = sum(t.keyframes_sent for t in tracks)
        joins = await late_joiners(server, design, peers, rounds, rng.randrange(1 << 30))
        return PointResult(
            design,
            participants,
            connections,
            transports,
            cpu_s,
            wall_s,
            packets,
            clients_cpu,
            [fps for kind, (fps, _) in results if kind == "video"],
            [loss for kind, (_, loss) in results if kind == "video"],
            [loss for kind, (_, loss) in results if kind == "audio"],
            [ms for j in joins for ms in j.first_frame],
            [ms for j in joins for ms in j.connected],
            [f - c for j in joins for f, c in zip(j.first_frame, j.connected, strict=True)],
            [max(j.first_frame) for j in joins],
            await server.call("keyframe_requests") - requests_before,
            sum(t.keyframes_sent for t in tracks) - keyframes_before,
        )
    finally:
        for client in clients:
            await client.close()
        await server.quit()


def table(results: list[PointResult], rounds: int) -> str:
    lines = [
        "| R | design | server PCs | DTLS | server CPU % | µs CPU / fwd packet | fwd packets/s "
        "| room clients CPU % "
        "| video fps min / mean | video loss mean / max | audio loss mean / max "
        "| late joiner first frame p50 / p95 ms | join → connected p50 / p95 "
        "| connected → first frame p50 / p95 | all R videos p95 ms "
        f"| PLIs sent / keyframes ({rounds} joins) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---|---|---|---|---|---|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.participants} | {r.design} | {r.connections} | {r.transports} "
            f"| {100 * r.cpu_s / r.wall_s:.0f} | {r.us_per_packet:.1f} "
            f"| {r.packets / r.wall_s:.0f} | {100 * r.clients_cpu_s / r.wall_s:.0f} "
            f"| {min(r.fps):.1f} / {statistics.mean(r.fps):.1f} "
            f"| {100 * statistics.mean(r.video_loss):.2f} / {100 * max(r.video_loss):.2f} % "
            f"| {100 * statistics.mean(r.audio_loss):.2f} / {100 * max(r.audio_loss):.2f} % "
            f"| {percentile(r.first_frames_ms, 0.5):.0f} / "
            f"{percentile(r.first_frames_ms, 0.95):.0f} "
            f"| {percentile(r.connect_ms, 0.5):.0f} / {percentile(r.connect_ms, 0.95):.0f} "
            f"| {percentile(r.after_connect_ms, 0.5):.0f} / "
            f"{percentile(r.after_connect_ms, 0.95):.0f} "
            f"| {percentile(r.all_videos_ms, 0.95):.0f} "
            f"| {r.keyframe_requests} / {r.keyframes_sent} |"
        )
    return "\n".join(lines)


def ratios(results: list[PointResult]) -> str:
    by_point = {(r.design, r.participants): r for r in results}
    lines = [
        "| R | pairs / subconn: server PCs | DTLS | µs CPU / fwd packet "
        "| first frame p50 | first frame p95 |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for n in sorted({r.participants for r in results}):
        pairs, sub = by_point.get(("pairs", n)), by_point.get(("subconn", n))
        if pairs and sub:
            first = [
                percentile(pairs.first_frames_ms, q) / percentile(sub.first_frames_ms, q)
                for q in (0.5, 0.95)
            ]
            lines.append(
                f"| {n} | {pairs.connections / sub.connections:.1f}x "
                f"| {pairs.transports / sub.transports:.1f}x "
                f"| {pairs.us_per_packet / sub.us_per_packet:.2f}x "
                f"| {first[0]:.2f}x | {first[1]:.2f}x |"
            )
    return "\n".join(lines)


def last_n_ratios(results: list[PointResult], last_n: int) -> str:
    """What last-N saves against everyone receiving every video (both subconn)."""
    by_point = {(r.design, r.participants): r for r in results}
    lines = [
        f"| R | last-N (N = {last_n}) videos per subscriber | server CPU off / on "
        "| fwd packets/s off / on | µs CPU / fwd packet off / on |",
        "|---:|---:|---:|---:|---:|",
    ]
    for n in sorted({r.participants for r in results}):
        off, on = by_point.get(("subconn", n)), by_point.get(("lastn", n))
        if off and on:
            lines.append(
                f"| {n} | {min(last_n, n - 1)} of {n - 1} "
                f"| {off.cpu_s / off.wall_s / (on.cpu_s / on.wall_s):.2f}x "
                f"| {off.packets / off.wall_s:.0f} / {on.packets / on.wall_s:.0f} "
                f"| {off.us_per_packet:.1f} / {on.us_per_packet:.1f} |"
            )
    return "\n".join(lines)


async def main_async(
    points: list[int], seconds: float, rounds: int, seed: int, last_n: int
) -> None:
    rng = random.Random(seed)
    results = []
    for participants in points:
        for design in DESIGNS:
            started = time.monotonic()
            result = await run_point(design, participants, seconds, rounds, rng, last_n)
            results.append(result)
            print(
                f"{design:8s} R={participants:<3d} {result.us_per_packet:6.1f} µs/packet  "
                f"fps min {min(result.fps):.1f}  "
                f"max loss {100 * max(result.video_loss + result.audio_loss):.2f} %  "
                f"first frame p95 {percentile(result.first_frames_ms, 0.95):.0f} ms  "
                f"({time.monotonic() - started:.0f} s)",
                file=sys.stderr,
                flush=True,
            )
    print(table(results, rounds))
    print()
    print(ratios(results))
    print()
    print(last_n_ratios(results, last_n))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--r", default="4,8,12", help="participant counts, comma-separated")
    parser.add_argument("--seconds", type=float, default=5.0, help="measured window per point")
    parser.add_argument("--rounds", type=int, default=5, help="late joiners per point")
    parser.add_argument("--seed", type=int, default=1, help="seed of the pauses between joins")
    parser.add_argument("--last-n", type=int, default=DEFAULT_LAST_N,
                        help="N of the lastn design")
    args = parser.parse_args()
    asyncio.run(main_async([int(n) for n in args.r.split(",")], args.seconds, args.rounds,
                           args.seed, args.last_n))


if __name__ == "__main__":
    main()
