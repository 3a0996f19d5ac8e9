"""The media side of a call participant, run as a child process inside a network
namespace (tests/netns.py), driven by the test over stdin/stdout.

The test keeps the participant's signaling (Socket.IO on loopback, which the namespace
cannot reach) and hands this process what a browser's page would hand its peer
connections: the join ack's ``ice_servers`` and the SDP to apply. One JSON object per
line each way; every request gets exactly one reply:

- ``{"op": "probe", "host", "port"}`` → ``{"reachable": bool}`` (a TCP connect);
- ``{"op": "gather", "ice_servers"}`` → ``{"candidates": [type, ...]}`` (an offer's);
- ``{"op": "publish", "ice_servers"}`` → ``{"offer": sdp}``, then
  ``{"op": "publish_answer", "sdp"}`` → ``{"state", "pair"}`` once connected (or not);
- ``{"op": "subscriber_offer", "ice_servers", "sdp"}`` → ``{"answer": sdp}``;
- ``{"op": "received"}`` → ``{"frames": {kind: count}, "state", "pair"}`` of the
  subscribe connection;
- ``{"op": "quit"}`` → ``{}``, and the process exits.

``pair`` is the selected candidate pair, ``[local type, remote type, remote address]``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcconfiguration import RTCBundlePolicy

from media.ice import ice_connections
from tests.media.encoded import encoded_tracks
from tests.media.subscribers import claim_ssrcs

CONNECT_TIMEOUT_S = 30.0


def peer_connection(ice_servers: list[dict[str, Any]]) -> RTCPeerConnection:
    """A peer connection configured as a browser would be from the join ack."""
    servers = [RTCIceServer(urls=s["urls"], username=s.get("username"),
                            credential=s.get("credential")) for s in ice_servers]
    return RTCPeerConnection(RTCConfiguration(iceServers=servers,
                                              bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))


def selected_pair(pc: RTCPeerConnection) -> list[str] | None:
    for connection in ice_connections(pc):
        pair = connection._nominated.get(1)
        if pair is not None:
            remote = pair.remote_candidate
            return [pair.local_candidate.type, remote.type, f"{remote.host}:{remote.port}"]
    return None


async def connected(pc: RTCPeerConnection) -> str:
    """The connection state once it is connected, failed or closed (or the timeout)."""
    try:
        async with asyncio.timeout(CONNECT_TIMEOUT_S):
            while pc.connectionState not in ("connected", "failed", "closed"):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    except TimeoutError:
        pass
    return str(pc.connectionState)


async def count_frames(track: MediaStreamTrack, frames: dict[str, int]) -> None:
    try:
        while True:
            await track.recv()
            frames[track.kind] = frames.get(track.kind, 0) + 1
    except MediaStreamError:
        pass


def candidate_types(sdp: str) -> list[str]:
    return [line.split(" typ ", 1)[1].split()[0] for line in sdp.splitlines()
            if line.startswith("a=candidate:")]


class NamespacedPeer:
    """A publish and a subscribe connection, as the browser client holds them."""

    def __init__(self) -> None:
        self.publisher: RTCPeerConnection | None = None
        self.subscriber: RTCPeerConnection | None = None
        self.frames: dict[str, int] = {}
        self.tasks: list[asyncio.Task[None]] = []

    async def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request["op"]
        if op == "probe":
            try:
                _, writer = await asyncio.wait_for(
                    asyncio.open_connection(request["host"], request["port"]), 2)
            except (OSError, TimeoutError):
                return {"reachable": False}
            writer.close()
            return {"reachable": True}
        if op == "gather":
            pc = peer_connection(request["ice_servers"])
            pc.addTransceiver("audio", direction="sendonly")
            await pc.setLocalDescription(await pc.createOffer())
            types = candidate_types(pc.localDescription.sdp)
            await pc.close()
            return {"candidates": types}
        if op == "publish":
            self.publisher = peer_connection(request["ice_servers"])
            for track in encoded_tracks(192, 96, 3, 440.0):
                self.publisher.addTransceiver(track, direction="sendonly")
            await self.publisher.setLocalDescription(await self.publisher.createOffer())
            return {"offer": self.publisher.localDescription.sdp}
        if op == "publish_answer":
            assert self.publisher is not None
            await self.publisher.setRemoteDescription(
                RTCSessionDescription(sdp=request["sdp"], type="answer"))
            state = await connected(self.publisher)
            return {"state": state, "pair": selected_pair(self.publisher)}
        if op == "subscriber_offer":
            return {"answer": await self.answer(request)}
        if op == "received":
            sub = self.subscriber
            return {"frames": dict(self.frames), "state": sub and sub.connectionState,
                    "pair": sub and selected_pair(sub)}
        raise ValueError(f"unknown op {op!r}")

    async def answer(self, request: dict[str, Any]) -> str:
        if self.subscriber is None:
            self.subscriber = peer_connection(request["ice_servers"])
            self.subscriber.on("track", lambda track: self.tasks.append(
                asyncio.ensure_future(count_frames(track, self.frames))))
        pc = self.subscriber
        await pc.setRemoteDescription(RTCSessionDescription(sdp=request["sdp"], type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        claim_ssrcs(pc, request["sdp"])
        return str(pc.localDescription.sdp)

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for pc in (self.publisher, self.subscriber):
            if pc is not None:
                await pc.close()


async def main() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    peer = NamespacedPeer()
    try:
        while line := await reader.readline():
            request = json.loads(line)
            if request["op"] == "quit":
                break
            try:
                reply = await peer.handle(request)
            except Exception as exc:  # reported to the test, which fails with it
                reply = {"error": f"{type(exc).__name__}: {exc}"}
            sys.stdout.write(json.dumps(reply) + "\n")
            sys.stdout.flush()
    finally:
        await peer.close()
    sys.stdout.write("{}\n")
    sys.stdout.flush()


if __name__ == "__main__":
    asyncio.run(main())
