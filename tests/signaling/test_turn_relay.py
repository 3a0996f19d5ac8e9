"""A client that can reach only a TURN server calls through it (real coturn).

The test makes a network namespace joined to this host by a veth pair
(tests/netns.py) and starts Debian's coturn on the host end of the pair
(tests/turn_server.py, the REST-API shared-secret scheme). An aiortc client runs inside
the namespace (tests/signaling/turn_peer.py): the only address it can reach is coturn's,
not the server's ICE address (127.0.0.1 in there is the namespace's own, down). Its
signaling stays in the test, on loopback. With the join ack's TURN credential it
publishes to and receives from the server through coturn's relay, and a participant on
loopback sees its frames. coturn relays from the host end's address, so the server's
MENTORCALL_ICE_ALLOWED_NETWORKS includes it (docs/operations.md, "TURN").

Needs root (``ip netns``), as CI runs; coturn checks the credentials, so a wrong or
expired one gets no relay.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from signaling.turn import turn_password, turn_username
from tests.live_server import live_server, token_of
from tests.netns import NetNamespace
from tests.turn_server import TurnServer

from .client import SignalClient
from .subscribing import connect

SECRET = "turn-relay-test-secret-0123456789abcdef"
ROOT = Path(__file__).resolve().parents[2]


class NamespacedClient:
    """The child process of tests/signaling/turn_peer.py inside ``ns``."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self._proc = proc

    @classmethod
    async def start(cls, ns: NetNamespace) -> NamespacedClient:
        proc = await asyncio.create_subprocess_exec(
            *ns.command(sys.executable, "-m", "tests.signaling.turn_peer"),
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        return cls(proc)

    async def ask(self, op: str, timeout: float = 45.0, **fields: Any) -> dict[str, Any]:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write((json.dumps({"op": op, **fields}) + "\n").encode())
        await self._proc.stdin.drain()
        line = await asyncio.wait_for(self._proc.stdout.readline(), timeout)
        assert line, f"the namespaced client exited ({self._proc.returncode})"
        reply: dict[str, Any] = json.loads(line)
        assert "error" not in reply, reply["error"]
        return reply

    async def close(self) -> None:
        if self._proc.returncode is None:
            try:
                await self.ask("quit", timeout=10)
                await asyncio.wait_for(self._proc.wait(), 10)
            except (AssertionError, TimeoutError, OSError):
                pass
        if self._proc.returncode is None:
            self._proc.kill()
            await self._proc.wait()


@pytest.fixture
def namespace() -> Iterator[NetNamespace]:
    ns = NetNamespace()
    try:
        yield ns.create()
    finally:
        ns.delete()


@pytest.fixture
def coturn(namespace: NetNamespace) -> Iterator[TurnServer]:
    with TurnServer(namespace.host_address, SECRET) as server:
        yield server


@pytest.fixture
async def client(namespace: NetNamespace) -> AsyncIterator[NamespacedClient]:
    peer = await NamespacedClient.start(namespace)
    try:
        yield peer
    finally:
        await peer.close()


async def test_a_client_reaching_only_turn_calls_through_the_relay(
        namespace: NetNamespace, coturn: TurnServer, client: NamespacedClient) -> None:
    allowed = ("127.0.0.0/8", f"{namespace.host_address}/32")  # coturn's relay address
    async with (live_server(turn_urls=(coturn.url,), turn_secret=SECRET,
                            ice_allowed_networks=allowed) as server,
                AsyncExitStack() as stack):
        port = int(server.base_url.rsplit(":", 1)[1])
        assert (await client.ask("probe", host="127.0.0.1", port=port)) == {"reachable": False}
        room = await server.create_room("Ada", "Grace")
        ada = await connect(server, stack, seed=1)  # on loopback, as any participant
        await ada.join(token_of(room["links"]["mentor"]))
        await ada.publish()

        grace = SignalClient()  # Grace's signaling, in the test
        offers: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        grace.sio.on("subscriber_offer", offers.put)
        await grace.connect(server.base_url)
        stack.push_async_callback(grace.close)
        ack = await grace.call("join", {"token": token_of(room["links"]["mentee"])})
        assert ack["ok"], ack
        ice_servers = ack["ice_servers"]
        assert [s["urls"] for s in ice_servers] == [[coturn.url]]

        # Grace receives Ada through the relay: every offer on her subscribe connection
        offer = ack["subscriber_offer"]
        while True:
            answer = await client.ask("subscriber_offer", ice_servers=ice_servers,
                                      sdp=offer["sdp"])
            done = await grace.call("subscriber_answer", {
                "subscription_id": offer["subscription_id"], "version": offer["version"],
                "sdp": answer["answer"]})
            assert done == {"ok": True}, done
            if any(t["identity"] == ada.identity for t in offer["tracks"]):
                break
            offer = await asyncio.wait_for(offers.get(), 20)

        # and publishes to the server through it
        offer_sdp = (await client.ask("publish", ice_servers=ice_servers))["offer"]
        assert " typ relay " in offer_sdp
        published = await grace.call("publish", {"sdp": offer_sdp})
        assert published["ok"], published
        reply = await client.ask("publish_answer", sdp=published["sdp"])
        assert reply["state"] == "connected", reply
        local, remote, address = reply["pair"]
        assert local == "relay", reply["pair"]  # Grace's side: coturn's relayed address
        assert remote == "host" and address.startswith("127.0.0.1:"), reply["pair"]

        # Ada, on loopback, decodes Grace's video and hears her
        await ada.wait_carrying({_identity(ack)})
        ada_sees = ada.media(_identity(ack), "video")
        await asyncio.wait_for(_frames(lambda: len(ada_sees.sizes), 10), 20)
        assert (192, 96) in ada_sees.sizes

        # Grace's subscribe connection is on the relay too, and Ada's frames arrive
        async def grace_receives() -> dict[str, Any]:
            while True:
                got = await client.ask("received")
                if got["frames"].get("video", 0) >= 10 and got["frames"].get("audio", 0) >= 10:
                    return got
                await asyncio.sleep(0.2)

        got = await asyncio.wait_for(grace_receives(), 20)
        assert got["state"] == "connected" and got["pair"][0] == "relay", got


async def test_coturn_refuses_a_wrong_or_expired_credential(
        coturn: TurnServer, client: NamespacedClient) -> None:
    now = int(time.time())

    async def candidates(username: str, credential: str) -> list[str]:
        servers = [{"urls": [coturn.url], "username": username, "credential": credential}]
        reply = await client.ask("gather", ice_servers=servers)
        return list(reply["candidates"])

    valid = turn_username(now + 600, "u_grace")
    assert "relay" in await candidates(valid, turn_password(SECRET, valid))
    assert "relay" not in await candidates(valid, turn_password(SECRET + "x", valid))
    expired = turn_username(now - 60, "u_grace")  # the right HMAC, a past expiry
    assert "relay" not in await candidates(expired, turn_password(SECRET, expired))
    assert "401" in coturn.log or "Unauthorized" in coturn.log


def _identity(ack: dict[str, Any]) -> str:
    return str(ack["you"]["identity"])


async def _frames(count: Any, at_least: int) -> None:
    while count() < at_least:  # noqa: ASYNC110 (decoded frames)
        await asyncio.sleep(0.05)
