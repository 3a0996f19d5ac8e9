"""Where recording's CPU goes: bench/record.py's server, with what each window woke.

The same call as ``bench.record`` (one publisher, N subscribers, windows alternating
forwarding only / forwarding while recording, A B B A ...), and per window, in the
server process: the CPU of each of its threads (``/proc/self/task/*/schedstat``), the
event loop's wake-ups (calls of its selector), the garbage collections, the keyframe
requests sent, and the CPU of the recorder's own code on the event loop (its batches,
sender reports and reorder timers, timed with ``time.thread_time``). With ``--sink``
the recorder is replaced by a sink that does nothing (``null``) or holds each packet
for 200 ms and drops it (``hold``): what the hand-off alone costs.

Run from the repository root::

    .venv/bin/python -m bench.record_profile --n 1 --seconds 5 --rounds 6

For the C side, ``perf record -F 4999 -p <server pid>`` over a window of each kind and
``perf report --sort dso,sym`` compare them (see docs/benchmarks.md, "Recording").
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from aiortc.rtp import RtpPacket

from bench.forward import (
    TARGET_BITRATE,
    ServerProcess,
    cap_vp8_bitrate,
)
from bench.record import WARMUP_S, open_call
from media import MediaConfig, Sfu
from media.recording.batches import Batches
from media.recording.recorder import KINDS, Recorder
from media.recording.track import TrackRecording
from tests.media.peers import LoopbackPeer

HOLD_S = 0.2


class Counters:
    """What the server process did, counted since it started."""

    def __init__(self) -> None:
        self.recorder_s = 0.0  # thread CPU in the recorder's own code
        self.collections = 0
        self.wakeups = 0
        self._depth = 0
        gc.callbacks.append(self._collected)

    def _collected(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "stop":
            self.collections += 1

    def time(self, cls: type, name: str) -> None:
        """Add the thread CPU of ``cls.name`` (outermost calls) to :attr:`recorder_s`."""
        original: Callable[..., Any] = getattr(cls, name)

        def timed(*args: Any) -> Any:
            if self._depth:
                return original(*args)
            self._depth += 1
            started = time.thread_time()
            try:
                return original(*args)
            finally:
                self.recorder_s += time.thread_time() - started
                self._depth -= 1

        setattr(cls, name, timed)

    def count_wakeups(self, loop: asyncio.AbstractEventLoop) -> None:
        selector = loop._selector  # type: ignore[attr-defined]
        select = selector.select

        def counted(timeout: float | None = None) -> Any:
            self.wakeups += 1
            return select(timeout)

        selector.select = counted


def thread_cpu() -> dict[str, float]:
    """CPU seconds of each thread of this process, by name."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    out: dict[str, float] = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/schedstat") as stat:
                ns = int(stat.read().split()[0])
        except OSError:  # the thread ended meanwhile
            continue
        name = names.get(int(tid), "other")
        out[name] = out.get(name, 0.0) + ns / 1e9
    return out


class TestSink:
    """A packet sink standing in for the recorder: ``null`` or ``hold``."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self._held: list[tuple[RtpPacket, float]] = []
        self._due = 0.0

    def packet(self, packet: RtpPacket, keyframe_start: bool, now: float) -> None:
        if self.mode == "null":
            return
        self._held.append((packet, now))
        if now >= self._due:
            self._due = now + HOLD_S
            self._held = []

    def sender_report(self, ssrc: int, rtp_timestamp: int, ntp: int, now: float) -> None:
        pass

    def source_ended(self) -> None:
        pass


async def serve(conn: Connection, folder: Path, sink: str | None) -> None:
    counters = Counters()
    counters.time(Batches, "run")
    counters.time(TrackRecording, "sender_report")
    counters.time(TrackRecording, "_release")
    counters.count_wakeups(asyncio.get_running_loop())
    sfu = Sfu(MediaConfig())
    loop = asyncio.get_running_loop()
    recorder: Recorder | None = None
    sinks: list[TestSink] = []
    start: tuple[float, float, int, dict[str, float], float, int, int, int] | None = None
    while True:
        command, *args = await loop.run_in_executor(None, conn.recv)
        if command == "publish":
            conn.send(await sfu.publish("publisher", *args))
        elif command == "subscribe":
            conn.send(await sfu.subscribe(args[0], "publisher"))
        elif command == "answer":
            await sfu.accept_answer(*args)
            conn.send(None)
        elif command == "record" and sink is not None:
            sinks = [TestSink(sink) for _ in KINDS]
            for kind, each in zip(KINDS, sinks, strict=True):
                sfu.add_track_sink("publisher", kind, each)
            conn.send(None)
        elif command == "record":
            recorder = Recorder(sfu, folder / f"take{time.monotonic_ns()}")
            recorder.start("publisher")
            conn.send(None)
        elif command == "unrecord":
            for kind, each in zip(KINDS, sinks, strict=False):
                sfu.remove_track_sink("publisher", kind, each)
            sinks = []
            if recorder is not None:
                await recorder.close()
                recorder = None
            conn.send(None)
        elif command == "start":
            stats = sfu.stats()
            start = (time.process_time(), time.monotonic(), stats.packets_received, thread_cpu(),
                     counters.recorder_s, counters.collections, counters.wakeups,
                     stats.keyframe_requests_sent)  # fmt: skip
            conn.send(None)
        elif command == "stop":
            assert start is not None
            cpu0, wall0, packets0, threads0, own0, gc0, wakeups0, plis0 = start
            wall = time.monotonic() - wall0
            stats = sfu.stats()
            threads = {name: (cpu - threads0.get(name, 0.0)) / wall * 1e3
                       for name, cpu in thread_cpu().items()}  # fmt: skip
            conn.send({
                "cpu": (time.process_time() - cpu0) / wall * 1e3,
                "packets": (stats.packets_received - packets0) / wall,
                "main": threads.get("MainThread", 0.0),
                "disk": threads.get("recording-disk", 0.0),
                "recorder": (counters.recorder_s - own0) / wall * 1e3,
                "wakeups": (counters.wakeups - wakeups0) / wall,
                "collections": counters.collections - gc0,
                "plis": stats.keyframe_requests_sent - plis0,
            })
        elif command == "quit":
            await sfu.close()
            conn.send(None)
            return


def server_main(sink: str | None, conn: Connection) -> None:
    folder = Path(tempfile.mkdtemp(prefix="mentorcall-bench-record-profile-"))
    try:
        asyncio.run(serve(conn, folder, sink))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def run(subscribers: int, seconds: float, rounds: int, sink: str | None) -> None:
    cap_vp8_bitrate(TARGET_BITRATE)
    server = ServerProcess(server_main, sink)
    publisher = LoopbackPeer()
    pcs: list[Any] = []
    windows: dict[str, list[dict[str, float]]] = {"forward": [], "record": []}

    async def measure(kind: str) -> None:
        await server.call("start")
        await asyncio.sleep(seconds)
        window = await server.call("stop")
        windows[kind].append(window)
        print(kind, " ".join(f"{k}={v:.2f}" for k, v in window.items()), flush=True)

    try:
        await open_call(server, publisher, subscribers, pcs)
        for round_ in range(rounds):  # A B B A ...
            if round_ % 2 == 0:
                await measure("forward")
            await server.call("record")
            await asyncio.sleep(WARMUP_S)
            await measure("record")
            await server.call("unrecord")
            await asyncio.sleep(1.0)
            if round_ % 2 == 1:
                await measure("forward")
    finally:
        for pc in pcs:
            await pc.close()
        await publisher.close()
        await server.quit()
    print("means (ms/s; wake-ups/s):")
    for kind, found in windows.items():
        print(kind, " ".join(f"{key}={statistics.mean(w[key] for w in found):.2f}"
                             for key in found[0]))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1, help="subscribers")
    parser.add_argument("--seconds", type=float, default=5.0, help="measured window")
    parser.add_argument("--rounds", type=int, default=6, help="window pairs")
    parser.add_argument("--sink", choices=("null", "hold"), help="a stand-in for the recorder")
    args = parser.parse_args()
    asyncio.run(run(args.n, args.seconds, args.rounds, args.sink))


if __name__ == "__main__":
    main()
