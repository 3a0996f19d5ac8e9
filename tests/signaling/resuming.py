"""A test client that survives a dropped connection the way the browser client does.

:class:`ResumingClient` holds one :class:`~tests.signaling.subscribing.SubscribingParticipant`
per connection. When its Socket.IO connection drops (a network cut noticed by the
Engine.IO heartbeat, or the server process gone) it keeps that connection's peer
connections and reconnects to the *entry* URL with back-off, follows a ``moved`` answer
to the node it names, and joins with its join token, its resume token and
``ice_restart``: resumed on the node that still holds its media connections, the ack
says ``ice_restart`` and its subscribe connection's offer restarts ICE: it answers that
on the kept subscribe connection and restarts ICE on its kept publish connection (a
``publish`` with new credentials), media/ice_restart.py on both. Resumed elsewhere (the
node is gone), after the grace period (``resume_expired``) or with a refused token
(``resume_invalid``) it closes them, publishes on a new connection and answers its new
subscribe connection, as before.

Run as a program (``python -m tests.signaling.resuming URL TOKEN ADDRESS``), e.g. inside
a network namespace, it prints one JSON object per line for each thing that happened
(``joined`` with ``resumed`` and ``ice_restart``, ``published``, ``ice_restarted``,
``disconnected``) and stops on SIGTERM, when
stdin closes, or after ``--lifetime-s``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Callable
from typing import Any

from media.ice_restart import restarted
from tests.media.peers import LOOPBACK, LoopbackPeer

from .client import SignalClient
from .subscribing import SubscribingParticipant

CONNECT_TIMEOUT_S = 3.0
BACKOFF_S = (0.25, 0.5, 1.0, 2.0)
Report = Callable[[dict[str, Any]], None]


class ResumingClient:
    """One participant across as many connections as it takes (see the module)."""

    def __init__(self, entry_url: str, token: str, addresses: tuple[str, ...] = LOOPBACK,
                 seed: int = 1, report: Report | None = None) -> None:
        self.entry_url = entry_url
        self.token = token
        self.addresses = addresses
        self.seed = seed
        self.report: Report = report or (lambda _: None)
        self.resume_token: str | None = None
        self.identity = ""
        self.current: SubscribingParticipant | None = None
        self.joins: list[dict[str, Any]] = []  # every join ack, in order
        self.connected = asyncio.Event()
        self.kept: SubscribingParticipant | None = None  # its peer connections, kept
        self.restart_ice = True  # resume with an ICE restart of the kept connections
        self._closed = False
        self._reconnecting: asyncio.Task[None] | None = None
        self._restarts: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._connect_and_join()

    async def _connect_and_join(self) -> None:
        """Connect (to the entry URL, or where ``moved`` sends it), join, publish."""
        url = self.entry_url
        for attempt in range(1000):
            if self._closed:
                return
            if attempt:
                await asyncio.sleep(BACKOFF_S[min(attempt - 1, len(BACKOFF_S) - 1)])
            who = await self._connect(url)
            if who is None:
                url = self.entry_url
                continue
            ack = await self._join(who)
            error = {} if ack.get("ok") else ack.get("error", {})
            if error.get("code") == "moved" and isinstance(error.get("url"), str):
                await who.close()
                url = error["url"]  # the room lives on another node: go there at once
                continue
            if not ack.get("ok"):
                await who.close()
                raise RuntimeError(f"join refused: {ack}")
            self.current = who
            kept, self.kept = self.kept, None
            if ack.get("ice_restart"):
                await who.restart_publish_ice()  # (the subscribe side answered already)
                self.report({"event": "published", "ice_restart": True})
                self._restarts = asyncio.create_task(self._report_restarts(who))
            else:
                if kept is not None:  # the server holds them no more: new ones
                    await kept.publisher.close()
                    await kept.subscriber.close()
                    if who.publisher is kept.publisher:
                        who.publisher = LoopbackPeer(self.addresses)
                await who.publish()
                self.report({"event": "published"})
            self.connected.set()
            return
        raise RuntimeError("gave up reconnecting")

    async def _connect(self, url: str) -> SubscribingParticipant | None:
        signal_client = SignalClient()
        try:
            await asyncio.wait_for(signal_client.connect(url), CONNECT_TIMEOUT_S)
        except Exception:  # unreachable for now (the cut is still on): back off
            await signal_client.close()
            return None
        signal_client.sio.on("disconnect", self._disconnected(signal_client))
        return SubscribingParticipant(signal_client, self.seed, self.addresses)

    async def _join(self, who: SubscribingParticipant) -> dict[str, Any]:
        payload: dict[str, Any] = {"token": self.token}
        if self.resume_token is not None:
            payload["resume_token"] = self.resume_token
        kept = self.kept
        if kept is not None and self.resume_token is not None and all(
                pc.connectionState not in ("closed", "failed")
                for pc in (kept.publisher.pc, kept.subscriber.pc)):
            who.take_media_of(kept)  # before the ack's offer is answered
            payload["ice_restart"] = True
        ack = await who.signal.call("join", payload)
        if not ack.get("ok") and ack.get("error", {}).get("code") in (
                "resume_expired", "resume_invalid"):
            self.report({"event": "resume_refused", "code": ack["error"]["code"]})
            self.resume_token = None
            ack = await who.signal.call("join", {"token": self.token})
        if ack.get("ok"):
            self.joins.append(ack)
            self.identity = ack["you"]["identity"]
            self.resume_token = ack["resume_token"]
            who.identity = self.identity
            self.report({"event": "joined", "identity": self.identity,
                         "resumed": ack["resumed"],
                         "ice_restart": ack.get("ice_restart", False)})
            if ack.get("subscriber_offer"):
                await who.answer(ack["subscriber_offer"])
        return dict(ack)

    def _disconnected(self, signal_client: SignalClient) -> Callable[..., Any]:
        async def gone(*_: Any) -> None:
            who = self.current
            if self._closed or who is None or who.signal is not signal_client:
                return
            self.current = None
            self.connected.clear()
            self.report({"event": "disconnected"})
            # not from here: this handler runs in the connection's read loop
            self._reconnecting = asyncio.create_task(self._recover(who))

        return gone

    async def _recover(self, who: SubscribingParticipant) -> None:
        """Keep the dropped connection's peer connections (to restart their ICE if the
        server still holds its side; else they close), then connect and join again."""
        who.closed = True
        if self.restart_ice:
            self.kept = who
        else:
            await who.publisher.close()
            await who.subscriber.close()
        await self._connect_and_join()

    async def _report_restarts(self, who: SubscribingParticipant) -> None:
        """Report when both connections' ICE restarts are through (or failed)."""
        publish, subscribe = await asyncio.gather(
            restarted(who.publisher.pc), restarted(who.subscriber.pc))
        self.report({"event": "ice_restarted", "publish": publish, "subscribe": subscribe,
                     "states": [who.publisher.pc.connectionState,
                                who.subscriber.pc.connectionState]})

    async def close(self) -> None:
        self._closed = True
        if self._reconnecting is not None:
            self._reconnecting.cancel()
        if self.current is not None:
            await self.current.close()


async def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("address", help="the address its peer connections gather on")
    parser.add_argument("--lifetime-s", type=float, default=120.0)
    parser.add_argument("--new-connections", action="store_true",
                        help="close its peer connections on a drop (no ICE restart)")
    args = parser.parse_args(argv)

    def report(line: dict[str, Any]) -> None:
        print(json.dumps(line), flush=True)

    client = ResumingClient(args.url, args.token, (args.address,), seed=2, report=report)
    client.restart_ice = not args.new_connections
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)

    def stdin_readable() -> None:
        if not sys.stdin.read(1):  # closed: the test is over
            stop.set()

    loop.add_reader(sys.stdin.fileno(), stdin_readable)
    try:
        await client.start()
        await asyncio.wait_for(stop.wait(), args.lifetime_s)
    except TimeoutError:
        pass
    finally:
        await client.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
