"""A Socket.IO test client that records server events and returns acks."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import socketio

SERVER_EVENTS = (
    "participant_joined",
    "participant_left",
    "track_published",
    "track_muted",
    "replaced",
    "room_ended",
    "media_failed",
    "roundtable_state",
    "lobby",
    "admitted",
    "denied",
    "hard_muted",
    "removed",
    "active_speaker",
    "subscriber_closed",
    "video_slots",
    "breakout_started",
    "breakout_ended",
    "recording_state",
    "recording_error",
    "recording_policy",
)


class SignalClient:
    """One participant's signaling connection, as a browser would hold it."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        for name in SERVER_EVENTS:
            self.sio.on(name, self._recorder(name))

    def _recorder(self, name: str) -> Any:
        async def record(data: Any) -> None:
            await self.events.put((name, data))

        return record

    async def connect(self, base_url: str) -> SignalClient:
        await self.sio.connect(base_url, transports=["websocket"], wait_timeout=10)
        return self

    async def call(self, event: str, data: Any = None, timeout: float = 20) -> Any:
        """Emit with an ack and return it; a tuple is sent as several arguments."""
        return await self.sio.call(event, data, timeout=timeout)

    async def next_event(self, name: str, timeout: float = 10) -> Any:
        """Wait for the next server event called `name`, skipping others."""
        async with asyncio.timeout(timeout):
            while True:
                event, data = await self.events.get()
                if event == name:
                    return data

    def drain(self) -> list[tuple[str, Any]]:
        """Every event received and not yet read, in order (empties the queue)."""
        events = []
        while not self.events.empty():
            events.append(self.events.get_nowait())
        return events

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


async def send_raw_event(client: SignalClient, *data: Any) -> None:
    """Emit an event the way a hostile client could, reserved names included."""
    await client.sio.eio.send("2" + json.dumps(list(data), separators=(",", ":")))


async def join_once(base_url: str, token: str, **fields: Any) -> dict[str, Any]:
    """Connect, join with ``token`` (and ``fields``), disconnect: the join's ack."""
    client = await SignalClient().connect(base_url)
    try:
        ack: dict[str, Any] = await client.call("join", {"token": token, **fields})
        return ack
    finally:
        await client.close()
