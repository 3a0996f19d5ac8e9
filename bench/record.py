"""Server CPU of forwarding a stream while recording it, against forwarding alone.

One publisher (640x360 VP8 at 30 fps, ~1 Mbit/s, synthetic moving content, plus a tone
as Opus, both encoded in the client process) and N subscribers that receive without
decoding, through :class:`media.Sfu` in a server process of its own that measures its
own CPU time (every thread: the recorder's disk thread included). In one run, windows
alternate: forwarding only, then forwarding while media/recording's Recorder writes
the publisher's audio and video to WebM files (started a warm-up before its window,
stopped and finalised after it), in the order A B B A A B ... so that a drift in the
machine's load favours neither. The ratio of the means is the recording's cost; the
ratio of CPU per received packet is also given, as the publisher's rate (and with it
the forwarding's CPU) drifts from window to window on a loaded machine.

Run from the repository root::

    .venv/bin/python -m bench.record --n 1,5 --seconds 5 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bench.forward import (
    CONNECT_TIMEOUT_S,
    TARGET_BITRATE,
    ServerProcess,
    cap_vp8_bitrate,
    counting_subscriber,
)
from media import MediaConfig, Sfu
from media.recording.recorder import Recorder
from tests.media.peers import LoopbackPeer, MovingVideoTrack, ToneAudioTrack

WARMUP_S = 2.0


async def serve(conn: Connection, folder: Path) -> None:
    """The SFU, and a recorder started and stopped on request."""
    sfu = Sfu(MediaConfig())
    loop = asyncio.get_running_loop()
    takes = 0
    recorder: Recorder | None = None
    window = (0.0, 0.0, 0)
    sizes = 0
    while True:
        command, *args = await loop.run_in_executor(None, conn.recv)
        if command == "publish":
            conn.send(await sfu.publish("publisher", *args))
        elif command == "subscribe":
            conn.send(await sfu.subscribe(args[0], "publisher"))
        elif command == "answer":
            await sfu.accept_answer(*args)
            conn.send(None)
        elif command == "record":
            takes += 1
            recorder = Recorder(sfu, folder / f"take{takes}")
            conn.send(recorder.start("publisher"))
        elif command == "unrecord":
            assert recorder is not None
            files = await recorder.close()
            sizes = sum(p.stat().st_size for p in files)
            recorder = None
            conn.send((len(files), sizes))
        elif command == "start":
            window = (time.process_time(), time.monotonic(), sfu.stats().packets_received)
            conn.send(None)
        elif command == "stop":
            cpu0, wall0, packets0 = window
            received = sfu.stats().packets_received - packets0
            conn.send((time.process_time() - cpu0, time.monotonic() - wall0, received))
        elif command == "codecs":
            conn.send(sfu.stats().decoders_created)
        elif command == "quit":
            await sfu.close()
            conn.send(None)
            return


def server_main(conn: Connection) -> None:
    folder = Path(tempfile.mkdtemp(prefix="mentorcall-bench-record-"))
    try:
        asyncio.run(serve(conn, folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def measure(server: ServerProcess, seconds: float) -> tuple[float, float]:
    """Server CPU seconds per second, and packets received per second, over one window."""
    await server.call("start")
    await asyncio.sleep(seconds)
    cpu_s, wall_s, received = await server.call("stop")
    return float(cpu_s / wall_s), float(received / wall_s)


async def open_call(server: ServerProcess, publisher: LoopbackPeer, subscribers: int,
                    pcs: list[Any]) -> None:
    """``publisher`` publishes moving video and a tone to the server, ``subscribers``
    counting subscribers (added to ``pcs``, for closing) receive it; after the warm-up."""
    offer = await publisher.offer_to_publish(MovingVideoTrack(), ToneAudioTrack())
    await publisher.accept_answer(await server.call("publish", offer))
    await publisher.wait_connected(CONNECT_TIMEOUT_S)
    counters = []
    for i in range(subscribers):
        pc, counter = await counting_subscriber(server, f"sub{i}")
        pcs.append(pc)
        counters.append(counter)
    await asyncio.wait_for(
        asyncio.gather(*(c.first_packet.wait() for c in counters)), CONNECT_TIMEOUT_S
    )
    await asyncio.sleep(WARMUP_S)


async def run_point(subscribers: int, seconds: float, rounds: int) -> dict[str, Any]:
    server = ServerProcess(server_main)
    publisher = LoopbackPeer()
    pcs: list[Any] = []
    forward: list[tuple[float, float]] = []  # (CPU s/s, packets/s) of each window
    record: list[tuple[float, float]] = []
    written: list[tuple[int, int]] = []
    try:
        await open_call(server, publisher, subscribers, pcs)
        for round_ in range(rounds):  # A B B A ...: a drift in the load favours neither
            if round_ % 2 == 0:
                forward.append(await measure(server, seconds))
            assert sorted(await server.call("record")) == ["audio", "video"]
            await asyncio.sleep(WARMUP_S)
            record.append(await measure(server, seconds))
            written.append(await server.call("unrecord"))
            await asyncio.sleep(1.0)  # finalising is not in any window
            if round_ % 2 == 1:
                forward.append(await measure(server, seconds))
        assert await server.call("codecs") == 0, "the server created a codec"
    finally:
        for pc in pcs:
            await pc.close()
        await publisher.close()
        await server.quit()
    return {"n": subscribers, "forward": forward, "record": record, "written": written}


def ratio(point: dict[str, Any]) -> float:
    """Mean CPU per second while recording over mean CPU per second forwarding only."""
    return statistics.mean(c for c, _ in point["record"]) / statistics.mean(
        c for c, _ in point["forward"])


def ratio_per_packet(point: dict[str, Any]) -> float:
    """The same per packet received: the publisher's rate drifts with the machine's load
    (its encoder adapts), and the server's CPU follows it, window to window."""
    return statistics.mean(c / p for c, p in point["record"]) / statistics.mean(
        c / p for c, p in point["forward"])


def table(points: list[dict[str, Any]], seconds: float) -> str:
    lines = [
        "| N | forward CPU ms/s (each window) | forward + record CPU ms/s (each window) "
        "| packets/s in (forward / record, means) | ratio of means "
        "| ratio per packet | files / MB per window |",
        "|---:|---|---|---|---:|---:|---|",
    ]
    for p in points:
        rates = (statistics.mean(r for _, r in p[key]) for key in ("forward", "record"))
        lines.append(
            f"| {p['n']} | {' / '.join(f'{1000 * c:.1f}' for c, _ in p['forward'])} "
            f"| {' / '.join(f'{1000 * c:.1f}' for c, _ in p['record'])} "
            f"| {' / '.join(f'{r:.0f}' for r in rates)} | {ratio(p):.2f}x "
            f"| {ratio_per_packet(p):.2f}x "
            f"| {' / '.join(f'{n} / {b / 1e6:.2f}' for n, b in p['written'])} |"
        )
    return "\n".join(lines)


async def main_async(counts: list[int], seconds: float, rounds: int) -> None:
    cap_vp8_bitrate(TARGET_BITRATE)
    points = []
    for n in counts:
        started = time.monotonic()
        point = await run_point(n, seconds, rounds)
        points.append(point)
        print(f"N={n}: {ratio(point):.2f}x, per packet {ratio_per_packet(point):.2f}x "
              f"({time.monotonic() - started:.0f} s)", file=sys.stderr)
    print(table(points, seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", default="1,5", help="subscriber counts (comma-separated)")
    parser.add_argument("--seconds", type=float, default=5.0, help="measured window")
    parser.add_argument("--rounds", type=int, default=3, help="window pairs per point")
    args = parser.parse_args()
    counts = [int(x) for x in args.n.split(",") if x]
    asyncio.run(main_async(counts, args.seconds, args.rounds))


if __name__ == "__main__":
    main()
