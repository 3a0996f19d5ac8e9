"""Server CPU per forwarded packet: the forwarding SFU against aiortc's MediaRelay.

One publisher (640x360 VP8 at 30 fps, ~1 Mbit/s, synthetic moving content, encoded in
the client process) and N subscribers that receive without decoding: they count frames
(distinct RTP timestamps) and losses (sequence gaps left after NACK recovery). The
server runs in its own process and measures its own CPU time over a steady window.

The same invocation runs both servers at every N:

* ``forward``: :class:`media.Sfu` (RTP forwarded, never decoded);
* ``relay``: the baseline - aiortc's ``MediaRelay``, i.e. one decode of the publisher
  and one VP8 encoder per subscriber (``buffered=False``, so an overloaded server
  drops frames instead of queueing them).

Run from the repository root::

    .venv/bin/python -m bench.forward --n 1,5,10,20 --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import multiprocessing
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Protocol, cast

import aiortc.codecs.vpx
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtp import RtpPacket

from media import MediaConfig, Sfu
from media.ice import restrict_gathering, rtc_configuration
from media.peer import ForwardingPeerConnection
from media.receiver import ForwardingReceiver
from media.sdp import codec_preferences
from tests.media.peers import LoopbackPeer, MovingVideoTrack

LOOPBACK = ("127.0.0.1",)
TARGET_BITRATE = 1_000_000
WARMUP_S = 2.0
CONNECT_TIMEOUT_S = 20.0


def cap_vp8_bitrate(bitrate: int) -> None:
    """Make aiortc's VP8 encoders in this process start at and never exceed ``bitrate``.

    On loopback REMB would push them to 1.5 Mbit/s; both the publisher and the relay
    baseline's per-subscriber encoders are held to the same ~1 Mbit/s.
    """
    aiortc.codecs.vpx.DEFAULT_BITRATE = bitrate
    aiortc.codecs.vpx.MAX_BITRATE = bitrate


# -- servers (run in the server process) ------------------------------------------------


class ForwardServer:
    """The system under test: media.Sfu."""

    def __init__(self) -> None:
        self.sfu = Sfu(MediaConfig())

    async def publish(self, offer: str) -> str:
        return await self.sfu.publish("publisher", offer)

    async def subscribe(self, name: str) -> tuple[str, str]:
        return await self.sfu.subscribe(name, "publisher")

    async def accept_answer(self, subscription_id: str, answer: str) -> None:
        await self.sfu.accept_answer(subscription_id, answer)

    async def packets_sent(self) -> int:
        return self.sfu.stats().packets_forwarded

    def codecs(self) -> int:
        return self.sfu.stats().decoders_created

    async def close(self) -> None:
        await self.sfu.close()


class RelayServer:
    """The baseline: aiortc's MediaRelay - one decoder, one encoder per subscriber."""

    def __init__(self) -> None:
        cap_vp8_bitrate(TARGET_BITRATE)
        self.relay = MediaRelay()
        self.source: MediaStreamTrack | None = None
        self.pcs: dict[str, RTCPeerConnection] = {}

    async def _local(self, pc: RTCPeerConnection, description: RTCSessionDescription) -> str:
        restrict_gathering(pc, LOOPBACK)
        await pc.setLocalDescription(description)
        return str(pc.localDescription.sdp)

    async def publish(self, offer: str) -> str:
        pc = RTCPeerConnection(rtc_configuration([]))
        self.pcs["publisher"] = pc
        pc.addTransceiver("video", direction="recvonly").setCodecPreferences(
            codec_preferences("video")
        )

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self.source = track

        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        return await self._local(pc, await pc.createAnswer())

    async def subscribe(self, name: str) -> tuple[str, str]:
        assert self.source is not None
        pc = RTCPeerConnection(rtc_configuration([]))
        self.pcs[name] = pc
        transceiver = pc.addTransceiver(
            self.relay.subscribe(self.source, buffered=False), direction="sendonly"
        )
        transceiver.setCodecPreferences(codec_preferences("video"))
        return name, await self._local(pc, await pc.createOffer())

    async def accept_answer(self, subscription_id: str, answer: str) -> None:
        await self.pcs[subscription_id].setRemoteDescription(
            RTCSessionDescription(sdp=answer, type="answer")
        )

    async def packets_sent(self) -> int:
        total = 0
        for name, pc in self.pcs.items():
            if name != "publisher":
                for sender in pc.getSenders():
                    for report in (await sender.getStats()).values():
                        if report.type == "outbound-rtp":
                            total += report.packetsSent
        return total

    def codecs(self) -> int:
        return -1  # decodes once and encodes per subscriber by design

    async def close(self) -> None:
        for pc in self.pcs.values():
            await pc.close()


async def serve(mode: str, conn: Connection, profile_to: str | None) -> None:
    """Answer the bench's requests over ``conn`` until told to stop."""
    server: ForwardServer | RelayServer = ForwardServer() if mode == "forward" else RelayServer()
    # CPU time, not wall time: a sendto that wakes the subscriber's process can be
    # preempted by it, which a wall-clock profile would charge to the sendto
    profiler = cProfile.Profile(time.thread_time) if profile_to else None
    loop = asyncio.get_running_loop()
    window: tuple[float, float, int] = (0.0, 0.0, 0)
    while True:
        request = await loop.run_in_executor(None, conn.recv)
        command, args = request[0], request[1:]
        if command == "publish":
            conn.send(await server.publish(*args))
        elif command == "subscribe":
            conn.send(await server.subscribe(*args))
        elif command == "answer":
            await server.accept_answer(*args)
            conn.send(None)
        elif command == "start":
            window = (time.process_time(), time.monotonic(), await server.packets_sent())
            if profiler is not None:
                profiler.enable()
            conn.send(None)
        elif command == "stop":
            if profiler is not None and profile_to:
                profiler.disable()
                profiler.dump_stats(profile_to)
            cpu0, wall0, packets0 = window
            packets = await server.packets_sent() - packets0
            conn.send((time.process_time() - cpu0, time.monotonic() - wall0, packets))
        elif command == "codecs":
            conn.send(server.codecs())
        elif command == "quit":
            await server.close()
            conn.send(None)
            return


def server_main(mode: str, profile_to: str | None, conn: Connection) -> None:
    asyncio.run(serve(mode, conn, profile_to))


class Server(Protocol):
    """Anything that answers the requests :func:`serve` answers (publish, subscribe,
    answer, start, stop, codecs, quit), one ``call`` each."""

    async def call(self, *request: Any) -> Any: ...


class Channel:
    """Requests to the server process over one pipe, one at a time."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()

    async def call(self, *request: Any) -> Any:
        async with self._lock:
            self._conn.send(request)
            loop = asyncio.get_running_loop()
            return await asyncio.wait_for(loop.run_in_executor(None, self._conn.recv), 60)


class ServerProcess(Channel):
    """A server in a child process, driven by request/response over a pipe.

    The child runs ``main(*args, conn)`` (a picklable module-level function), e.g.
    ``ServerProcess(server_main, mode, profile_to)`` for this bench's servers.
    """

    def __init__(self, main: Callable[..., None], *args: Any) -> None:
        context = multiprocessing.get_context("spawn")
        conn, child = context.Pipe()
        super().__init__(conn)
        self._process = context.Process(target=main, args=(*args, child), daemon=True)
        self._process.start()

    async def quit(self) -> None:
        try:
            await asyncio.wait_for(self.call("quit"), 15)
        finally:
            self._process.join(5)
            if self._process.is_alive():
                self._process.terminate()
                self._process.join(5)


# -- clients (run in the bench process) -------------------------------------------------


@dataclass
class StreamCounter:
    """Counts what one subscriber receives: frames by RTP timestamp, loss by sequence."""

    source: ForwardingReceiver | None = None
    kind: str = "video"
    counting: bool = False
    first_packet: asyncio.Event = field(default_factory=asyncio.Event)
    first_frame: asyncio.Event = field(default_factory=asyncio.Event)  # a marker packet
    first_frame_at: float | None = None  # time.monotonic() of it
    connected_at: float | None = None  # when its connection was up, if recorded
    timestamps: set[int] = field(default_factory=set)
    sequences: set[int] = field(default_factory=set)
    highest: int | None = None  # extended sequence number
    lowest: int | None = None

    def forward(self, packet: RtpPacket, now: float | None = None) -> None:
        self.first_packet.set()
        if packet.marker and self.first_frame_at is None:
            self.first_frame_at = time.monotonic()
            self.first_frame.set()
        if not self.counting:
            return
        seq = packet.sequence_number
        if self.highest is None:
            extended = seq
        else:
            delta = (seq - self.highest) & 0xFFFF
            extended = self.highest + delta if delta < 0x8000 else self.highest - (0x10000 - delta)
        self.sequences.add(extended)
        self.timestamps.add(packet.timestamp)
        if self.highest is None or extended > self.highest:
            self.highest = extended
        if self.lowest is None or extended < self.lowest:
            self.lowest = extended

    def clear_source(self, receiver: ForwardingReceiver) -> None:
        self.source = None

    def sender_report(self, ssrc: int, rtp_timestamp: int, ntp: int, now: float) -> None:
        pass  # the server's sender reports: not counted

    def start(self) -> None:
        self.counting = True

    def result(self, seconds: float) -> tuple[float, float]:
        """(frames per second, fraction of packets lost) over the window."""
        self.counting = False
        if self.highest is None or self.lowest is None:
            return 0.0, 1.0
        expected = self.highest - self.lowest + 1
        return len(self.timestamps) / seconds, 1.0 - len(self.sequences) / expected


async def counting_subscriber(
    server: Server, name: str, config: MediaConfig | None = None
) -> tuple[Any, StreamCounter]:
    """A subscriber that never decodes: forwarding receivers feeding a counter.

    ``config`` sets its ICE addresses (default: 127.0.0.1, servers on loopback).
    """
    subscription_id, offer = await server.call("subscribe", name)
    pc = ForwardingPeerConnection(config or MediaConfig())
    await pc.apply_remote(offer, "offer")
    answer = await pc.apply_local()
    counter = StreamCounter()
    for receiver in pc.forwarding_receivers():
        counter.source = receiver
        receiver.attach(cast(Any, counter))
    await server.call("answer", subscription_id, answer)
    return pc, counter


@dataclass
class PointResult:
    mode: str
    subscribers: int
    cpu_s: float
    wall_s: float
    packets: int
    fps: list[float]
    loss: list[float]
    received: int = 0  # RTP packets the subscribers counted in the window

    @property
    def us_per_packet(self) -> float:
        return self.cpu_s / self.packets * 1e6 if self.packets else float("inf")

    @property
    def cpu_ms_per_subscriber_s(self) -> float:
        return self.cpu_s / self.wall_s / self.subscribers * 1e3


async def run_point(
    mode: str, subscribers: int, seconds: float, profile_dir: str | None = None
) -> PointResult:
    profile_to = f"{profile_dir}/{mode}-{subscribers}.prof" if profile_dir else None
    server = ServerProcess(server_main, mode, profile_to)
    try:
        return await measure_point(server, mode, subscribers, seconds)
    finally:
        await server.quit()


async def measure_point(
    server: Server,
    mode: str,
    subscribers: int,
    seconds: float,
    client_config: MediaConfig | None = None,
) -> PointResult:
    """One publisher and ``subscribers`` counting subscribers through ``server`` (which
    answers the requests :func:`serve` answers), measured over ``seconds``.

    The server's "stop" reply may carry ``None`` packets (a server that does not count
    what it sends): the packets the subscribers received in the window are used then.
    ``client_config`` sets the clients' ICE addresses (default: 127.0.0.1).
    """
    config = client_config or MediaConfig()
    publisher = LoopbackPeer(config.ice_host_addresses)
    pcs: list[Any] = []
    counters: list[StreamCounter] = []
    try:
        offer = await publisher.offer_to_publish(MovingVideoTrack())
        await publisher.accept_answer(await server.call("publish", offer))
        await publisher.wait_connected(CONNECT_TIMEOUT_S)
        if mode == "relay":
            await asyncio.sleep(0.5)  # the relay needs the publisher's track first
        for i in range(subscribers):
            pc, counter = await counting_subscriber(server, f"sub{i}", config)
            pcs.append(pc)
            counters.append(counter)
        await asyncio.wait_for(
            asyncio.gather(*(c.first_packet.wait() for c in counters)), CONNECT_TIMEOUT_S
        )
        await asyncio.sleep(WARMUP_S)

        await server.call("start")
        for counter in counters:
            counter.start()
        started = time.monotonic()
        await asyncio.sleep(seconds)
        cpu_s, wall_s, packets = await server.call("stop")
        elapsed = time.monotonic() - started
        received = sum(len(c.sequences) for c in counters)
        results = [c.result(elapsed) for c in counters]
        if mode == "forward":
            assert await server.call("codecs") == 0, "the forwarding server created a codec"
        return PointResult(
            mode,
            subscribers,
            cpu_s,
            wall_s,
            received if packets is None else packets,
            [fps for fps, _ in results],
            [loss for _, loss in results],
            received,
        )
    finally:
        for pc in pcs:
            await pc.close()
        await publisher.close()


def table(results: list[PointResult]) -> str:
    """One row per point. "marginal" is the CPU per packet each extra subscriber adds
    (against the previous N of the same server): the fixed cost of receiving the
    publisher, shared by all subscribers, is left out of it."""
    lines = [
        "| N | server | CPU % | µs CPU / sent packet | marginal µs / packet "
        "| CPU ms / subscriber·s | packets/s sent | fps min / mean | max loss |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    previous: dict[str, PointResult] = {}
    for r in results:
        before = previous.get(r.mode)
        marginal = "-"
        if before is not None and r.packets / r.wall_s > before.packets / before.wall_s:
            extra_cpu = r.cpu_s / r.wall_s - before.cpu_s / before.wall_s
            extra_packets = r.packets / r.wall_s - before.packets / before.wall_s
            marginal = f"{extra_cpu / extra_packets * 1e6:.1f}"
        previous[r.mode] = r
        lines.append(
            f"| {r.subscribers} | {r.mode} | {100 * r.cpu_s / r.wall_s:.0f} "
            f"| {r.us_per_packet:.1f} | {marginal} | {r.cpu_ms_per_subscriber_s:.1f} "
            f"| {r.packets / r.wall_s:.0f} | {min(r.fps):.1f} / {statistics.mean(r.fps):.1f} "
            f"| {100 * max(r.loss):.2f} % |"
        )
    return "\n".join(lines)


def ratios(results: list[PointResult]) -> str:
    by_point = {(r.mode, r.subscribers): r for r in results}
    lines = [
        "| N | relay / forward, CPU per subscriber | relay / forward, CPU per sent packet |",
        "|---:|---:|---:|",
    ]
    for n in sorted({r.subscribers for r in results}):
        forward, relay = by_point.get(("forward", n)), by_point.get(("relay", n))
        if forward and relay:
            lines.append(
                f"| {n} | {relay.cpu_ms_per_subscriber_s / forward.cpu_ms_per_subscriber_s:.1f}x "
                f"| {relay.us_per_packet / forward.us_per_packet:.1f}x |"
            )
    return "\n".join(lines)


async def main_async(
    counts: list[int], seconds: float, modes: list[str], profile_dir: str | None
) -> None:
    cap_vp8_bitrate(TARGET_BITRATE)
    results = []
    for mode in modes:
        for n in counts:
            started = time.monotonic()
            result = await run_point(mode, n, seconds, profile_dir)
            results.append(result)
            print_point(f"{mode:8s}", n, result, started)
    print(table(results))
    print()
    print(ratios(results))


def print_point(label: str, n: int, result: PointResult, started: float,
                extra: str = "") -> None:
    """One measured point's progress line on stderr (``started``: ``time.monotonic()``
    when the point began; ``extra``: more figures after the CPU cost)."""
    print(
        f"{label} N={n:<3d} {result.us_per_packet:8.1f} µs/packet  {extra}"
        f"fps min {min(result.fps):.1f}  max loss {100 * max(result.loss):.2f} %  "
        f"({time.monotonic() - started:.0f} s)",
        file=sys.stderr,
        flush=True,
    )


def point_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every forwarding bench takes: the subscriber counts and the window."""
    parser.add_argument("--n", default="1,5,10,20", help="subscriber counts (comma-separated)")
    parser.add_argument("--seconds", type=float, default=5.0, help="measured window per point")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    point_arguments(parser)
    parser.add_argument("--modes", default="forward,relay", help="forward, relay or both")
    parser.add_argument(
        "--profile", metavar="DIR", help="cProfile the server (CPU time) over each window into DIR"
    )
    args = parser.parse_args()
    counts = [int(x) for x in args.n.split(",") if x]
    modes = [m for m in args.modes.split(",") if m]
    asyncio.run(main_async(counts, args.seconds, modes, args.profile))


if __name__ == "__main__":
    main()
