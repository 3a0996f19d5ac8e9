"""A participant of a deployment with several nodes, as the clients are meant to be.

It enters through an entry URL (a load balancer would pick one; here: a list of node
URLs tried in turn), follows `moved` to the room's node, and joins there. When its node
goes away (the connection drops: SIGKILL) it enters again through the entries; when its
node drains (the `moved` event) it goes to the URL given. Each time it publishes again
(with media) on fresh peer connections: one :class:`SubscribingParticipant` per visit.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import socketio

from .client import SignalClient
from .subscribing import SubscribingParticipant

logger = logging.getLogger(__name__)

MAX_MOVES = 3  # `moved` answers followed in a row
RETRY_S = 0.2  # between rounds of entry attempts
GIVE_UP_S = 30.0


class MovingCaller:
    """One participant: its token, entries, and each visit to a node (see above)."""

    def __init__(self, token: str, entries: list[str], seed: int, media: bool) -> None:
        self.token = token
        self.entries = entries
        self.seed = seed
        self.media = media
        self.visits: list[SubscribingParticipant] = []
        self.urls: list[str] = []  # the node of each visit
        self.moves = 0  # `moved` answers followed
        self.told_to_move = 0  # `moved` events (its node drains)
        self.identity = ""
        self.closed = False
        self._rejoin: asyncio.Task[None] | None = None

    @property
    def current(self) -> SubscribingParticipant:
        return self.visits[-1]

    @property
    def url(self) -> str:
        return self.urls[-1]

    async def enter(self, first: str | None = None) -> None:
        """Join through ``first`` (else the entries in turn), following `moved`; retried
        until it works or ``GIVE_UP_S``; then publish (with media)."""
        loop = asyncio.get_running_loop()
        ends = loop.time() + GIVE_UP_S
        order = [first] if first else []
        attempt = 0
        while loop.time() < ends:
            urls = order or [self.entries[attempt % len(self.entries)]]
            order = []
            attempt += 1
            for url in urls:
                if await self._join_through(url):
                    if self.media:
                        await self.current.publish()
                    return
            await asyncio.sleep(RETRY_S)
        raise AssertionError(f"{self.identity or 'a caller'} could not rejoin in {GIVE_UP_S} s")

    async def start_media(self) -> None:
        """A caller that joined without media publishes now and takes a fresh subscribe
        connection (whose offer it answers)."""
        self.media = True
        self.current.auto_answer = True
        await self.current.publish()
        ack = await self.current.signal.call("subscriber_restart", {})
        assert ack["ok"], ack

    async def _join_through(self, url: str) -> bool:
        for _ in range(MAX_MOVES + 1):
            signal = SignalClient()
            try:
                await signal.connect(url)
            except (socketio.exceptions.ConnectionError, OSError):
                http = signal.sio.eio.http
                if http is not None and not http.closed:
                    await http.close()  # a failed connect leaves its session open
                return False
            who = SubscribingParticipant(signal, self.seed)
            who.auto_answer = self.media
            try:
                ack: dict[str, Any] = await signal.call("join", {"token": self.token},
                                                        timeout=10)
            except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
                await who.close()
                return False
            if ack["ok"]:
                await self._arrived(who, url, ack)
                if ack.get("subscriber_offer"):
                    await who.offered(ack["subscriber_offer"])
                return True
            await who.close()
            code = ack["error"]["code"]
            if code != "moved":
                if code in ("unavailable", "no_node"):
                    return False
                raise AssertionError(ack)
            self.moves += 1
            url = ack["error"]["url"]
        return False

    async def _arrived(self, who: SubscribingParticipant, url: str, ack: dict[str, Any]) -> None:
        self.identity = who.identity = ack["you"]["identity"]
        old = self.visits[-1] if self.visits else None
        self.visits.append(who)
        self.urls.append(url)
        if old is not None:
            await old.close()

        @who.signal.sio.on("disconnect")
        def dropped(*_: Any) -> None:
            if not self.closed and self.visits[-1] is who and not who.closed:
                self._start_rejoin(None)

        @who.signal.sio.on("moved")
        def moved(data: dict[str, Any]) -> None:
            if not self.closed and self.visits[-1] is who:
                self.told_to_move += 1
                self._start_rejoin(str(data["url"]))

    def _start_rejoin(self, url: str | None) -> None:
        if self._rejoin is not None and not self._rejoin.done():
            return
        self._rejoin = asyncio.ensure_future(self.enter(url))

    async def settled(self, timeout: float) -> None:
        """Until a pending rejoin is done."""
        if self._rejoin is not None:
            await asyncio.wait_for(asyncio.shield(self._rejoin), timeout)

    async def close(self) -> None:
        self.closed = True
        if self._rejoin is not None:
            self._rejoin.cancel()
            await asyncio.gather(self._rejoin, return_exceptions=True)
        for who in self.visits:
            await who.close()
