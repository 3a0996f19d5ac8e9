"""Late joiners' first video frame: the keyframe-request policy against the fixed 0.5 s limit.

One publisher (640x360 VP8 at 30 fps, ~1 Mbit/s, synthetic moving content, encoded in
the bench process; it obeys every PLI) sends to a server in its own process. Late
joiners then subscribe at random (exponential gaps, ``--gap-ms`` on average), each with
a client that never decodes. For every joiner the bench records:

* join -> first frame: from the subscribe request to the last packet of the first
  video frame (the marker bit; the server forwards nothing before a keyframe);
* connected -> first frame: the same, from the moment the joiner's ICE/DTLS
  connection is up (the part the keyframe policy decides).

Both policies run in the same invocation, rounds interleaved (a fresh server process
per round): ``new`` is :class:`media.keyframes.KeyframePolicy` as configured by
default, ``old`` is ``KeyframePolicy(fixed_interval_s=0.5)`` (one PLI per 0.5 s, a
request inside the interval deferred to its end). It also prints the PLIs the publisher
received (per joiner).

Run from the repository root::

    .venv/bin/python -m bench.first_frame --rounds 4 --joiners 12 --gap-ms 150
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, cast

from aiortc.rtp import RTCP_PSFB_PLI, AnyRtcpPacket, RtcpPsfbPacket, RtpPacket

from bench.forward import TARGET_BITRATE, ServerProcess, cap_vp8_bitrate
from media import MediaConfig, Sfu
from media.keyframes import KeyframePolicy
from media.peer import ForwardingPeerConnection
from media.receiver import ForwardingReceiver
from tests.media.peers import LoopbackPeer, MovingVideoTrack

POLICIES = {"old": KeyframePolicy(fixed_interval_s=0.5), "new": KeyframePolicy()}
SETTLE_S = 1.5  # after the publisher connects: its first keyframe is long gone
TIMEOUT_S = 20.0


# -- the server (its own process) -------------------------------------------------------


async def serve(policy: str, conn: Connection) -> None:
    sfu = Sfu(MediaConfig(keyframes=POLICIES[policy]))
    loop = asyncio.get_running_loop()
    try:
        while True:
            command, *args = await loop.run_in_executor(None, conn.recv)
            if command == "publish":
                conn.send(await sfu.publish("publisher", args[0]))
            elif command == "subscribe":
                conn.send(await sfu.subscribe(args[0], "publisher"))
            elif command == "answer":
                await sfu.accept_answer(args[0], args[1])
                conn.send(None)
            elif command == "stats":
                stats = sfu.stats()
                conn.send((stats.keyframe_requests_sent, stats.decoders_created))
            elif command == "quit":
                conn.send(None)
                return
    finally:
        await sfu.close()


def server_main(policy: str, conn: Connection) -> None:
    asyncio.run(serve(policy, conn))


# -- the joiners (this process) ---------------------------------------------------------


@dataclass
class Joiner:
    """One late joiner: when it asked, connected, and completed its first frame."""

    requested: float = 0.0
    source: ForwardingReceiver | None = None  # the receiver feeding it (see forward)
    connected: float | None = None
    first_frame: float | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)

    # what a ForwardingReceiver calls on its fan-out
    def forward(self, packet: RtpPacket, now: float | None = None) -> None:
        if self.first_frame is None and packet.marker:
            self.first_frame = time.monotonic()
            self.done.set()

    def clear_source(self, receiver: ForwardingReceiver) -> None:
        pass

    def sender_report(self, ssrc: int, rtp_timestamp: int, ntp: int, now: float) -> None:
        pass


async def join(server: ServerProcess, name: str, pcs: list[ForwardingPeerConnection]) -> Joiner:
    joiner = Joiner(requested=time.monotonic())
    subscription_id, offer = await server.call("subscribe", name)
    pc = ForwardingPeerConnection(MediaConfig())
    pcs.append(pc)

    @pc.on("connectionstatechange")
    def on_state() -> None:
        if pc.connectionState == "connected" and joiner.connected is None:
            joiner.connected = time.monotonic()

    await pc.apply_remote(offer, "offer")
    answer = await pc.apply_local()
    for receiver in pc.forwarding_receivers():
        joiner.source = receiver
        receiver.attach(cast(Any, joiner))
    await server.call("answer", subscription_id, answer)
    await asyncio.wait_for(joiner.done.wait(), TIMEOUT_S)
    return joiner


@dataclass
class RoundResult:
    joiners: list[Joiner]
    plis: int  # received by the publisher
    seconds: float  # from the first join to the last first frame


async def run_round(policy: str, gaps: list[float]) -> RoundResult:
    server = ServerProcess(server_main, policy)
    publisher = LoopbackPeer()
    pcs: list[ForwardingPeerConnection] = []
    plis = 0
    try:
        offer = await publisher.offer_to_publish(MovingVideoTrack())
        client_sender = publisher.pc.getSenders()[0]
        handle_rtcp = client_sender._handle_rtcp_packet

        async def count_plis(packet: AnyRtcpPacket) -> None:
            nonlocal plis
            if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_PLI:
                plis += 1
            await handle_rtcp(packet)

        client_sender._handle_rtcp_packet = count_plis  # type: ignore[method-assign]
        await publisher.accept_answer(await server.call("publish", offer))
        await publisher.wait_connected(TIMEOUT_S)
        await asyncio.sleep(SETTLE_S)
        plis = 0
        started = time.monotonic()
        tasks = []
        for i, gap in enumerate(gaps):
            tasks.append(asyncio.ensure_future(join(server, f"late{i}", pcs)))
            await asyncio.sleep(gap)
        done = await asyncio.gather(*tasks)
        seconds = time.monotonic() - started
        assert (await server.call("stats"))[1] == 0, "the server created a codec"
        return RoundResult(list(done), plis, seconds)
    finally:
        for pc in pcs:
            await pc.close()
        await publisher.close()
        await server.quit()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def summary(policy: str, rounds: list[RoundResult]) -> str:
    joiners = [j for r in rounds for j in r.joiners]
    total = [1000 * (j.first_frame or 0) - 1000 * j.requested for j in joiners]
    after = [
        1000 * ((j.first_frame or 0) - j.connected) for j in joiners if j.connected is not None
    ]
    setup = [1000 * (j.connected - j.requested) for j in joiners if j.connected is not None]
    plis = sum(r.plis for r in rounds)
    return (
        f"| {policy} | {len(joiners)} "
        f"| {percentile(total, 0.5):.0f} | {percentile(total, 0.95):.0f} "
        f"| {percentile(setup, 0.5):.0f} | {percentile(setup, 0.95):.0f} "
        f"| {percentile(after, 0.5):.0f} | {percentile(after, 0.95):.0f} | {max(after):.0f} "
        f"| {plis} | {plis / len(joiners):.2f} |"
    )


async def main_async(rounds: int, joiners: int, gap_ms: float, seed: int) -> None:
    cap_vp8_bitrate(TARGET_BITRATE)
    rng = random.Random(seed)
    results: dict[str, list[RoundResult]] = {policy: [] for policy in POLICIES}
    for index in range(rounds):
        # the same join times for both policies
        gaps = [rng.expovariate(1000 / gap_ms) if gap_ms > 0 else 0.0 for _ in range(joiners)]
        for policy in POLICIES:
            result = await run_round(policy, gaps)
            results[policy].append(result)
            waits = [1000 * ((j.first_frame or 0) - j.requested) for j in result.joiners]
            print(
                f"round {index + 1} {policy}: join->first frame median "
                f"{statistics.median(waits):.0f} ms, {result.plis} PLIs in {result.seconds:.1f} s",
                file=sys.stderr,
                flush=True,
            )
    print(
        "| policy | joiners | join → first frame p50 ms | p95 ms "
        "| join → connected p50 ms | p95 ms "
        "| connected → first frame p50 ms | p95 ms | max ms "
        "| PLIs at the publisher | PLIs per joiner |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for policy, policy_rounds in results.items():
        print(summary(policy, policy_rounds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=4, help="rounds per policy (interleaved)")
    parser.add_argument("--joiners", type=int, default=12, help="late joiners per round")
    parser.add_argument("--gap-ms", type=float, default=150.0, help="mean gap between joins")
    parser.add_argument("--seed", type=int, default=1, help="seed of the join times")
    args = parser.parse_args()
    asyncio.run(main_async(args.rounds, args.joiners, args.gap_ms, args.seed))


if __name__ == "__main__":
    main()
