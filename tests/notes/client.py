"""A notes test client: a pycrdt document per notes document, synced over the `notes`
event with y-protocols messages through a real server, recording everything it got."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import socketio
from pycrdt import Array, Doc, Map, Text

from signaling.notes_awareness import parse_awareness
from signaling.notes_wire import (
    MESSAGE_AWARENESS,
    SyncStep,
    decode,
    encode,
    sync_message,
    uint,
)


def awareness_update(client: int, clock: int, state: Any) -> bytes:
    """An awareness update of one client's state (None: it left)."""
    raw = json.dumps(state).encode()
    return uint(1) + uint(client) + uint(clock) + uint(len(raw)) + raw


def awareness_states(received: list[tuple[str, bytes]]) -> list[tuple[int, Any]]:
    """(client id, state) of every awareness entry in ``received``, in order."""
    found = []
    for _, raw in received:
        message = decode(raw)
        if message.kind == MESSAGE_AWARENESS:
            found += [(e.client, e.state) for e in parse_awareness(message.payload)]
    return found


async def eventually(check: Any, timeout: float = 10, step: float = 0.01) -> None:
    """Wait until ``check()`` holds (AssertionError after ``timeout`` seconds)."""
    for _ in range(int(timeout / step)):
        if check():
            return
        await asyncio.sleep(step)
    assert check(), "the condition never held"


class NotesClient:
    """One participant's Socket.IO connection, joined to a call, editing its notes."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.base_url = self.token = ""
        self.docs: dict[str, Doc] = {"shared": Doc(), "private": Doc()}
        self.received: list[tuple[str, bytes]] = []  # every notes message, as received
        self.refusals: list[str] = []
        self.online = True
        self.outbox: list[tuple[str, bytes]] = []  # edits made while offline
        self.sio.on("notes", self._on_notes)
        self.synced: dict[str, asyncio.Event] = {"shared": asyncio.Event(),
                                                 "private": asyncio.Event()}
        self.changed = asyncio.Event()

    async def connect(self, base_url: str, token: str) -> NotesClient:
        self.base_url, self.token = base_url, token
        await self.sio.connect(base_url, transports=["websocket"], wait_timeout=10)
        ack = await self.sio.call("join", {"token": token}, timeout=20)
        assert ack["ok"], ack
        return self

    async def _on_notes(self, data: dict[str, Any]) -> None:
        doc_name, raw = data["doc"], bytes(data["message"])
        self.received.append((doc_name, raw))
        message = decode(raw)
        if message.kind == MESSAGE_AWARENESS:
            return
        doc = self.docs[doc_name]
        if message.step is SyncStep.STEP1:  # the server's step 1: send what it lacks
            await self.send(doc_name, sync_message(SyncStep.STEP2,
                                                   doc.get_update(message.payload)))
            self.synced[doc_name].set()
            return
        doc.apply_update(message.payload)
        self.changed.set()

    async def send(self, doc_name: str, message: bytes, room: str | None = None) -> Any:
        data: dict[str, Any] = {"doc": doc_name, "message": message}
        if room is not None:
            data["room"] = room
        ack = await self.sio.call("notes", data, timeout=20)
        if not ack.get("ok"):
            self.refusals.append(ack["error"]["code"])
        return ack

    async def sync(self, doc_name: str = "shared") -> None:
        """Sync step 1, then wait for the server's step 1 (our step 2 answered it)."""
        self.synced[doc_name].clear()
        ack = await self.send(doc_name, sync_message(SyncStep.STEP1,
                                                      self.docs[doc_name].get_state()))
        assert ack["ok"], ack
        async with asyncio.timeout(10):
            await self.synced[doc_name].wait()

    def text(self, doc_name: str = "shared") -> str:
        return str(self.docs[doc_name].get("notes", type=Text))

    def items(self) -> list[dict[str, Any]]:
        value: list[dict[str, Any]] = self.docs["shared"].get("actions", type=Array).to_py()
        return value

    async def edit(self, change: Any, doc_name: str = "shared") -> Any:
        """Run ``change(doc)`` locally and send the update (kept for later if offline)."""
        doc = self.docs[doc_name]
        before = doc.get_state()
        change(doc)
        update = doc.get_update(before)
        if not self.online:
            self.outbox.append((doc_name, update))
            return None
        return await self.send(doc_name, sync_message(SyncStep.UPDATE, update))

    async def type_at(self, index: int, text: str, doc_name: str = "shared") -> Any:
        def change(doc: Doc) -> None:
            notes = doc.get("notes", type=Text)
            notes.insert(min(index, len(notes)), text)

        return await self.edit(change, doc_name)

    async def add_item(self, item: dict[str, Any]) -> Any:
        return await self.edit(lambda doc: doc.get("actions", type=Array).append(Map(item)))

    async def set_done(self, item_id: str, done: bool = True) -> Any:
        def change(doc: Doc) -> None:
            for entry in doc.get("actions", type=Array):
                if entry["id"] == item_id:
                    entry["done"] = done

        return await self.edit(change)

    async def awareness(self, doc_name: str, update: bytes) -> Any:
        return await self.send(doc_name, encode(MESSAGE_AWARENESS, update))

    async def go_offline(self) -> None:
        """The connection drops; edits go on locally."""
        self.online = False
        await self.sio.disconnect()

    async def come_back(self) -> None:
        """A new connection, joined again, synced: the server sends what we missed and
        our step 2 (the answer to its step 1) carries every offline edit."""
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("notes", self._on_notes)
        await self.connect(self.base_url, self.token)
        self.online = True
        self.outbox.clear()
        await self.sync("shared")

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()
