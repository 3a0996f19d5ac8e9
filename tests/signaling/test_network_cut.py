"""A network path cut in the middle of a call, for real: the client runs in a network
namespace of the test's own (tests/netns.py), the test takes the veth down, so packets
stop both ways, then brings it back. The client (tests/signaling/resuming.py, as the
browser client does) notices through the heartbeat, reconnects when it can, resumes its
seat with its resume token and publishes again: the other participant counts its video
frames before the cut and again after, and the roster never holds it twice. The server
node lived through the cut, so it kept the client's media connections: the client
restarts their ICE and the same server peer connections and DTLS transports carry its
media again, with new ICE credentials."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from contextlib import AsyncExitStack
from typing import Any

from media.ice_restart import ice_credentials, restart_count
from signaling.session import peer_id_for
from tests.live_server import LiveServer, live_server, token_of
from tests.netns import NetNamespace

from .subscribing import SubscribingParticipant, connect

GRACE_S = 20.0
# the heartbeat, short so the cut is noticed soon, not so short that a loaded machine's
# stalls (server and observer share this event loop) drop healthy connections
PING_S = 2.5
FRAMES = 20
NS_VIDEO_SIZE = (192, 96)  # the namespaced client publishes with seed 2


class NamespacedClient:
    """tests/signaling/resuming.py run inside the namespace; its report lines."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.seen: list[dict[str, Any]] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for raw in self.process.stdout:
            line = json.loads(raw)
            self.seen.append(line)
            await self.lines.put(line)

    async def next(self, event: str, timeout: float = 20.0) -> dict[str, Any]:
        async with asyncio.timeout(timeout):
            while True:
                line = await self.lines.get()
                if line["event"] == event:
                    return line

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        self._reader.cancel()


async def start_client(ns: NetNamespace, server: LiveServer, token: str) -> NamespacedClient:
    process = await asyncio.create_subprocess_exec(
        *ns.command(sys.executable, "-m", "tests.signaling.resuming", server.base_url, token,
                    ns.inside_address, "--lifetime-s", "90"),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    return NamespacedClient(process)


def video_frames(observer: SubscribingParticipant, identity: str) -> int:
    """Frames of the namespaced client's video on the mid that carries it now."""
    try:
        sizes = observer.media(identity, "video").sizes
    except (KeyError, StopIteration):
        return 0
    return sizes.count(NS_VIDEO_SIZE)


async def frames_grow(observer: SubscribingParticipant, identity: str, by: int,
                      timeout: float = 20.0) -> None:
    start = video_frames(observer, identity)

    async def poll() -> None:
        # a new subscribe mid starts from 0 again: count from whichever is lower
        low = start
        while video_frames(observer, identity) < low + by:
            low = min(low, video_frames(observer, identity))
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout)


async def watch_roster(server: LiveServer, room_id: str, counts: list[dict[str, int]],
                       ) -> None:
    while True:
        snapshot = await server.services.service.snapshot(room_id)
        tally: dict[str, int] = {}
        for p in snapshot.participants:
            tally[p.identity] = tally.get(p.identity, 0) + 1
        counts.append(tally)
        await asyncio.sleep(0.1)


async def test_a_client_cut_off_mid_call_resumes_and_its_video_flows_again() -> None:
    with NetNamespace() as ns:
        async with live_server(
                listen_host=ns.host_address, disconnect_grace_s=GRACE_S, presence_interval_s=1.0,
                socket_ping_interval_s=PING_S, socket_ping_timeout_s=PING_S,
                ice_hosts=(ns.host_address, "127.0.0.1"),
                ice_allowed_networks=(ns.network, "127.0.0.0/8")) as server, \
                AsyncExitStack() as stack:
            room = await server.create_room("Ada", "Grace")
            observer = await connect(server, stack, seed=1)
            await observer.join(token_of(room["links"]["mentor"]))
            await observer.publish()
            client = await start_client(ns, server, token_of(room["links"]["mentee"]))
            stack.push_async_callback(client.stop)
            joined = await client.next("joined")
            assert joined["resumed"] is False
            identity = joined["identity"]
            counts: list[dict[str, int]] = []
            watcher = asyncio.create_task(watch_roster(server, room["room_id"], counts))
            stack.callback(watcher.cancel)
            await observer.wait_carrying({identity})
            await frames_grow(observer, identity, FRAMES)
            observer.signal.drain()
            sfu = server.services.sfu
            peer_id = peer_id_for(room["room_id"], identity)
            publish_pc = sfu._publications[peer_id].pc
            subscribe_pc = sfu._subscribers[peer_id].pc
            dtls = [publish_pc.dtls_transports(), subscribe_pc.dtls_transports()]
            credentials = [ice_credentials(publish_pc.remoteDescription.sdp),
                           ice_credentials(subscribe_pc.localDescription.sdp)]

            ns.cut()
            try:
                await client.next("disconnected", timeout=20)
                gone = await observer.signal.next_event("track_published", timeout=20)
                assert gone == {"identity": identity, "tracks": []}  # the server noticed
                await asyncio.sleep(1.5)  # reconnect attempts fail meanwhile
            finally:
                ns.restore()
            restored = time.monotonic()

            resumed = await client.next("joined", timeout=15)
            back = time.monotonic()
            # the node still held its media connections: it restarts their ICE
            assert resumed == {"event": "joined", "identity": identity, "resumed": True,
                               "ice_restart": True}
            assert (await client.next("published"))["ice_restart"] is True
            restarted = await client.next("ice_restarted", timeout=15)
            assert restarted == {"event": "ice_restarted", "publish": [True],
                                 "subscribe": [True], "states": ["connected", "connected"]}
            await observer.wait_carrying({identity})
            await frames_grow(observer, identity, FRAMES)
            print(f"restore -> resumed {back - restored:.2f} s, "
                  f"-> {FRAMES} frames again {time.monotonic() - restored:.2f} s")
            # the same server connections and DTLS transports (no new handshake), with
            # new ICE credentials, carried those frames
            assert sfu._publications[peer_id].pc is publish_pc
            assert sfu._subscribers[peer_id].pc is subscribe_pc
            assert [publish_pc.dtls_transports(), subscribe_pc.dtls_transports()] == dtls
            assert all(d.state == "connected" for pair in dtls for d in pair)
            assert restart_count(publish_pc) == 1 and restart_count(subscribe_pc) == 1
            now = [ice_credentials(publish_pc.remoteDescription.sdp),
                   ice_credentials(subscribe_pc.localDescription.sdp)]
            assert now[0] != credentials[0] and now[1] != credentials[1]

            names = [name for name, _ in observer.signal.drain()]
            assert "participant_left" not in names and "participant_joined" not in names
            assert counts and all(max(t.values()) == 1 for t in counts)  # never twice
            assert all(len(t) == 2 for t in counts)  # and never gone
            assert [line["event"] for line in client.seen].count("resume_refused") == 0
