"""Roundtable helpers for signaling tests: create one over HTTP, join its people."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp

from tests.live_server import ADMIN_KEY, token_of

from .client import SignalClient


async def create_roundtable(base_url: str, people: list[tuple[str, str]],
                            **options: Any) -> dict[str, Any]:
    """POST /api/rooms for a roundtable: ``people`` are (name, role); returns the body
    with ``tokens``: the host's under "host" and each person's under their name."""
    body = {"kind": "roundtable", "host_name": "Host",
            "participants": [{"name": n, "role": r} for n, r in people], **options}
    async with aiohttp.ClientSession() as http, http.post(
            f"{base_url}/api/rooms", json=body,
            headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as response:
        created: dict[str, Any] = await response.json()
        assert response.status == 201, created
    links = created["links"]
    created["tokens"] = {"host": token_of(links["host"])} | {
        p["name"]: token_of(p["link"]) for p in links["participants"]}
    return created


class Member:
    """One person's signaling connection in a roundtable."""

    def __init__(self, signal: SignalClient) -> None:
        self.signal = signal
        self.identity = ""
        self.ack: dict[str, Any] = {}

    @classmethod
    async def connect(cls, base_url: str) -> Member:
        return cls(await SignalClient().connect(base_url))

    async def join(self, token: str, **fields: Any) -> dict[str, Any]:
        ack: dict[str, Any] = await self.signal.call("join", {"token": token, **fields})
        assert ack["ok"], ack
        self.identity = ack["identity"] if ack.get("waiting") else ack["you"]["identity"]
        self.ack = ack
        return ack

    async def call(self, event: str, data: Any = None) -> Any:
        return await self.signal.call(event, {} if data is None else data)

    async def ok(self, event: str, data: Any = None) -> None:
        ack = await self.call(event, data)
        assert ack == {"ok": True}, (event, data, ack)

    async def state(self) -> dict[str, Any]:
        """The next `roundtable_state` this connection receives."""
        state: dict[str, Any] = await self.signal.next_event("roundtable_state")
        return state

    async def event_where(self, name: str, check: Callable[[Any], bool],
                          timeout: float = 10) -> Any:
        """The next `name` event for which ``check`` holds (earlier ones are skipped)."""
        async with asyncio.timeout(timeout):
            while not check(data := await self.signal.next_event(name)):
                pass
            return data

    async def close(self) -> None:
        await self.signal.close()
