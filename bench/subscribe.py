"""Everyone sees everyone: one subscribe connection per participant against one per pair.

R participants each publish pre-encoded audio and video (tests/media/encoded.py: the
clients never encode) and receive every other participant's tracks without decoding
(forwarding receivers count frames by RTP timestamp and loss by sequence number). The
same invocation runs both designs at every R, the server in its own process measuring
its own CPU time over a steady window:

* ``pairs``: one peer connection per (subscriber, publisher) - ``Sfu.subscribe``;
* ``subconn``: one subscribe connection per participant - ``Sfu.open_subscriber``.

Run from the repository root::

    .venv/bin/python -m bench.subscribe --r 4,8 --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, cast

from aiortc.mediastreams import MediaStreamTrack

from bench.forward import Channel, StreamCounter
from media import MediaConfig, Sfu
from media.peer import ForwardingPeerConnection
from tests.media.encoded import encoded_tracks
from tests.media.peers import LoopbackPeer
from tests.media.subscribers import claim_ssrcs

WARMUP_S = 2.0
DESIGNS = ("pairs", "subconn")
ROOM = "room"  # the speaker group of last-N (bench/roundtable.py)


async def serve(conns: list[Connection]) -> None:
    """The server process: answer the bench's requests over ``conns`` (the first one
    controls; the others are further clients, e.g. another process) until told to stop."""
    sfu = Sfu(MediaConfig())
    others = [asyncio.ensure_future(answer(sfu, conn)) for conn in conns[1:]]
    try:
        await answer(sfu, conns[0])
    finally:
        for task in others:
            task.cancel()
        await sfu.close()


async def answer(sfu: Sfu, conn: Connection) -> None:
    """Answer the requests coming over ``conn`` until ``quit``."""
    loop = asyncio.get_running_loop()
    window = (0.0, 0.0, 0)
    while True:
        command, *args = await loop.run_in_executor(None, conn.recv)
        if command == "publish":
            conn.send(await sfu.publish(*args))
        elif command == "subscribe":  # one connection per pair
            conn.send(await sfu.subscribe(*args))
        elif command == "last_n":  # the peers are one room with last-N video (N)
            peers, n = args
            sfu.speakers.set_group(ROOM, peers)
            sfu.set_last_n(ROOM, n=n)
            conn.send(None)
        elif command == "open":  # one subscribe connection per participant
            if sfu.last_n(ROOM) is not None:  # a late joiner joins the room
                sfu.speakers.set_group(ROOM, [*sfu.speakers.members(ROOM), args[0]])
            offer = await sfu.open_subscriber(*args)
            conn.send((offer.subscription_id, offer.version, offer.sdp))
        elif command == "answer":
            await sfu.accept_answer(*args)
            conn.send(None)
        elif command == "remove":
            await sfu.remove_peer(*args)
            conn.send(None)
        elif command == "keyframe_requests":
            conn.send(sfu.stats().keyframe_requests_sent)
        elif command == "start":
            window = (time.process_time(), time.monotonic(), sfu.stats().packets_forwarded)
            conn.send(None)
        elif command == "stop":
            cpu0, wall0, packets0 = window
            counts = sfu.connection_counts()
            conn.send(
                (
                    time.process_time() - cpu0,
                    time.monotonic() - wall0,
                    sfu.stats().packets_forwarded - packets0,
                    counts.publish + counts.subscribe + counts.subscribe_pairs,
                    counts.dtls_transports,
                )
            )
        elif command == "quit":
            conn.send(None)
            return


def server_main(conns: list[Connection]) -> None:
    asyncio.run(serve(conns))


class Server(Channel):
    """The server in its own process; ``extra`` pipes (for other processes to wrap in a
    :class:`Channel`) reach the same server."""

    def __init__(self, extra: int = 0) -> None:
        context = multiprocessing.get_context("spawn")
        pipes = [context.Pipe() for _ in range(1 + extra)]
        super().__init__(pipes[0][0])
        self.extra = [parent for parent, _ in pipes[1:]]
        children = [child for _, child in pipes]
        self._process = context.Process(target=server_main, args=(children,), daemon=True)
        self._process.start()

    async def quit(self) -> None:
        try:
            await self.call("quit")
        finally:
            self._process.join(5)
            if self._process.is_alive():
                self._process.terminate()


async def receive(
    server: Channel, request: tuple[Any, ...], kinds: tuple[str, ...] = ("video",)
) -> tuple[Any, list[StreamCounter]]:
    """A receiving client connection (no decoding): one counter per m-line of ``kinds``."""
    reply = await server.call(*request)
    if request[0] == "open":
        subscription_id, version, offer = reply
    else:
        (subscription_id, offer), version = reply, None
    pc = ForwardingPeerConnection(MediaConfig())
    # a client takes every SSRC the server offers (a subscribe connection at R = 12
    # offers 33, beyond the server-side default meant for publish connections)
    pc.admission.signalled_limit = offer.count("\na=ssrc:")
    counters: list[StreamCounter] = []

    @pc.on("connectionstatechange")
    def on_state() -> None:
        if pc.connectionState == "connected":
            for counter in counters:
                counter.connected_at = counter.connected_at or time.monotonic()

    await pc.apply_remote(offer, "offer")
    answer = await pc.apply_local()
    claim_ssrcs(pc, offer)
    for transceiver in pc.getTransceivers():
        if transceiver.kind in kinds:
            counter = StreamCounter(kind=transceiver.kind)
            receiver = transceiver.receiver
            counter.source = cast(Any, receiver)
            receiver.attach(cast(Any, counter))  # type: ignore[attr-defined]
            counters.append(counter)
    await server.call("answer", subscription_id, answer, version)
    return pc, counters


def subscribe_requests(design: str, peer: str, sources: list[str]) -> list[tuple[Any, ...]]:
    """The server requests that make ``peer`` receive ``sources`` in ``design``."""
    if design in ("subconn", "lastn"):
        return [("open", peer, sources)]
    return [("subscribe", peer, source) for source in sources]


async def publish_all(
    server: Server, peers: list[str], tracks: Callable[[int], list[MediaStreamTrack]]
) -> list[LoopbackPeer]:
    """Every peer publishes ``tracks(index)`` to the server; returns the client peers."""
    publishers = []
    for index, peer in enumerate(peers):
        publisher = LoopbackPeer()
        publishers.append(publisher)
        offer = await publisher.offer_to_publish(*tracks(index))
        await publisher.accept_answer(await server.call("publish", peer, offer))
    return publishers


async def everyone_receives(
    server: Server, design: str, peers: list[str], kinds: tuple[str, ...] = ("video",)
) -> tuple[list[Any], list[StreamCounter]]:
    """Every peer receives every other; returns the client connections and counters."""
    pcs: list[Any] = []
    counters: list[StreamCounter] = []
    for peer in peers:
        for request in subscribe_requests(design, peer, [p for p in peers if p != peer]):
            pc, found = await receive(server, request, kinds)
            pcs.append(pc)
            counters += found
    await asyncio.wait_for(asyncio.gather(*(c.first_packet.wait() for c in counters)), 30)
    return pcs, counters


def pre_encoded(index: int) -> list[MediaStreamTrack]:
    return list(encoded_tracks(320, 180, seed=index, tone=300 + 50 * index))


async def run_point(design: str, participants: int, seconds: float) -> dict[str, Any]:
    server = Server()
    peers = [f"p{i}" for i in range(participants)]
    clients: list[Any] = []
    try:
        clients += await publish_all(server, peers, pre_encoded)
        pcs, counters = await everyone_receives(server, design, peers)
        clients += pcs
        await asyncio.sleep(WARMUP_S)
        await server.call("start")
        for counter in counters:
            counter.start()
        await asyncio.sleep(seconds)
        cpu, wall, packets, connections, transports = await server.call("stop")
        results = [counter.result(wall) for counter in counters]
        fps = [r[0] for r in results]
        loss = [r[1] for r in results]
        return {
            "design": design,
            "R": participants,
            "connections": connections,
            "transports": transports,
            "us_per_packet": cpu / packets * 1e6 if packets else float("inf"),
            "cpu_ms_per_s": cpu / wall * 1e3,
            "packets_per_s": packets / wall,
            "fps_min": min(fps),
            "fps_mean": statistics.mean(fps),
            "loss_max": max(loss),
        }
    finally:
        for client in clients:
            await client.close()
        await server.quit()


async def main(points: list[int], seconds: float) -> None:
    print(
        f"{'design':8} {'R':>3} {'conns':>6} {'DTLS':>5} {'us/pkt':>7} {'cpu ms/s':>9} "
        f"{'pkt/s':>7} {'fps min':>8} {'fps mean':>9} {'loss max':>9}"
    )
    for participants in points:
        for design in DESIGNS:
            r = await run_point(design, participants, seconds)
            print(
                f"{r['design']:8} {r['R']:>3} {r['connections']:>6} {r['transports']:>5} "
                f"{r['us_per_packet']:>7.1f} {r['cpu_ms_per_s']:>9.1f} "
                f"{r['packets_per_s']:>7.0f} {r['fps_min']:>8.1f} {r['fps_mean']:>9.1f} "
                f"{r['loss_max']:>9.2%}",
                flush=True,
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--r", default="4,8", help="participant counts, comma-separated")
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    asyncio.run(main([int(n) for n in args.r.split(",")], args.seconds))
