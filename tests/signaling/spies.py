"""Hooks on a live server's internals: hold a call, see a handler end, see SFU calls.

All wrap the real objects (the store still stores, the namespace still handles); they
only add a point the test controls or can wait for, so a race is reached every run
instead of by luck.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from media.sfu import Sfu
from signaling.namespace import CallNamespace


class Held:
    """The next call of `owner.name` completes, then waits for `release()` to return.

    Held on the store's `join`, the participant is in the roster while
    `RoomService.join` is still awaiting, as when a reply from Redis is in flight.
    Later calls are not held.
    """

    def __init__(self, owner: object, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.entered = asyncio.Event()
        self._release = asyncio.Event()
        self._call: Callable[..., Awaitable[Any]] = getattr(owner, name)
        self._armed = True
        monkeypatch.setattr(owner, name, self.call)

    async def call(self, *args: Any, **kwargs: Any) -> Any:
        result = await self._call(*args, **kwargs)
        if self._armed:
            self._armed = False
            self.entered.set()
            await self._release.wait()
        return result

    async def wait_entered(self, timeout: float = 10) -> None:
        await asyncio.wait_for(self.entered.wait(), timeout)

    def release(self) -> None:
        self._release.set()


class HandledEvents:
    """Records each event the namespace starts and the ack it returns when it ends."""

    def __init__(self, namespace: CallNamespace, monkeypatch: pytest.MonkeyPatch) -> None:
        self.started: Counter[str] = Counter()
        self.acks: dict[str, list[Any]] = {}
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []
        self._trigger = namespace.trigger_event
        monkeypatch.setattr(namespace, "trigger_event", self.trigger_event)

    async def trigger_event(self, event: str, *args: Any) -> Any:
        # No await between counting and the handler: a waiter woken by this count runs
        # only once the handler yields, so by then the connection's limits counted it.
        self.started[event] += 1
        self._wake()
        result = await self._trigger(event, *args)
        self.acks.setdefault(event, []).append(result)
        self._wake()
        return result

    def _wake(self) -> None:
        for ready, future in self._waiters:
            if not future.done() and ready():
                future.set_result(None)

    async def _until(self, ready: Callable[[], bool], timeout: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((ready, future))
        self._wake()
        try:
            await asyncio.wait_for(future, timeout)
        finally:
            self._waiters.remove((ready, future))

    async def wait_started(self, event: str, count: int, timeout: float = 10) -> None:
        await self._until(lambda: self.started[event] >= count, timeout)

    async def wait_handled(self, event: str, count: int = 1, timeout: float = 10) -> list[Any]:
        """The acks of the first `count` handled `event`s, once that many have ended."""
        await self._until(lambda: len(self.acks.get(event, [])) >= count, timeout)
        return self.acks[event][:count]


class SfuCalls:
    """Records the peer id of every `Sfu.publish` and `Sfu.subscribe` the namespace makes."""

    def __init__(self, sfu: Sfu, monkeypatch: pytest.MonkeyPatch) -> None:
        self.published: list[str] = []
        self.subscribed: list[str] = []
        publish, subscribe = sfu.publish, sfu.subscribe

        async def recorded_publish(peer_id: str, offer_sdp: str) -> str:
            self.published.append(peer_id)
            return await publish(peer_id, offer_sdp)

        async def recorded_subscribe(subscriber_id: str, publisher_id: str) -> tuple[str, str]:
            self.subscribed.append(subscriber_id)
            return await subscribe(subscriber_id, publisher_id)

        monkeypatch.setattr(sfu, "publish", recorded_publish)
        monkeypatch.setattr(sfu, "subscribe", recorded_subscribe)
