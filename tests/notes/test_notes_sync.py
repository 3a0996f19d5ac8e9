"""Notes over Socket.IO through a real server: sync, relaying, permissions, bad input."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from signaling.notes_wire import SyncStep, decode, sync_message, uint
from tests.live_server import LiveServer, live_server, token_of
from tests.signaling.roundtable import create_roundtable

from .client import NotesClient, eventually


@dataclass
class Coffee:
    server: LiveServer
    room_id: str
    mentor: NotesClient
    mentee: NotesClient


@pytest.fixture
async def coffee() -> AsyncIterator[Coffee]:
    async with live_server(notes_max_bytes=4096) as server:
        room = await server.create_room("Ada", "Grace")
        mentor = await NotesClient().connect(server.base_url, token_of(room["links"]["mentor"]))
        mentee = await NotesClient().connect(server.base_url, token_of(room["links"]["mentee"]))
        try:
            yield Coffee(server, room["room_id"], mentor, mentee)
        finally:
            await mentor.close()
            await mentee.close()


async def test_edits_reach_the_other_and_a_late_joiner_gets_everything(
        coffee: Coffee) -> None:
    await coffee.mentor.sync()
    await coffee.mentee.sync()
    await coffee.mentor.type_at(0, "Goals: ")
    await coffee.mentee.type_at(100, "ship the portfolio")
    await eventually(lambda: coffee.mentor.text() == coffee.mentee.text()
                     and "portfolio" in coffee.mentor.text())
    assert coffee.mentor.text() == "Goals: ship the portfolio"
    await coffee.mentee.close()
    room = coffee.server.services.namespace.participants.sessions_in(coffee.room_id)
    assert room  # the mentor is still in
    late = NotesClient()
    await late.connect(coffee.server.base_url, coffee.mentee.token)
    try:
        await late.sync()
        assert late.text() == "Goals: ship the portfolio"
    finally:
        await late.close()


async def test_private_notes_reach_only_their_owner(coffee: Coffee) -> None:
    await coffee.mentor.sync("private")
    await coffee.mentee.sync("private")
    second_tab = await NotesClient().connect(coffee.server.base_url, coffee.mentee.token)
    # the second tab replaced the first as the mentee's connection; the mentor's other
    # connection is absent, so: the mentor writes privately, nothing reaches the mentee
    try:
        await second_tab.sync("private")
        await coffee.mentor.type_at(0, "SECRET-mentor-thoughts", "private")
        await coffee.mentor.type_at(0, "shared words ", "shared")
        await eventually(lambda: "shared words" in second_tab.text("shared"))
        for client in (coffee.mentee, second_tab):
            assert client.text("private") == ""
            assert all(b"SECRET" not in raw for _, raw in client.received)
        mentee_private = await coffee.server.services.notes.text(
            _private_key(coffee, "mentee"))
        assert mentee_private == ""
    finally:
        await second_tab.close()


def _private_key(coffee: Coffee, who: str) -> Any:
    from rooms.notes.model import DocKey

    sessions = coffee.server.services.namespace.participants.sessions_in(coffee.room_id)
    identity = next(s.identity for s in sessions if s.grant.role.value == who)
    return DocKey(coffee.room_id, identity)


async def test_observer_reads_but_cannot_write() -> None:
    async with live_server() as server:
        table = await create_roundtable(server.base_url, [("Pat", "participant"),
                                                          ("Obi", "observer")])
        host = await NotesClient().connect(server.base_url, table["tokens"]["host"])
        observer = await NotesClient().connect(server.base_url, table["tokens"]["Obi"])
        try:
            await host.sync()
            await host.type_at(0, "agenda")
            await observer.sync()
            assert observer.text() == "agenda"
            ack = await observer.type_at(0, "OBSERVER-WAS-HERE ")
            assert ack["ok"] is False and ack["error"]["code"] == "notes_read_only"
            await host.type_at(6, " done")
            # its own refused edit stays only in its own local copy
            await eventually(lambda: observer.text() == "OBSERVER-WAS-HERE agenda done")
            assert await server.services.notes.text(_shared(table)) == "agenda done"
            assert all(b"OBSERVER" not in raw for _, raw in host.received)
            assert host.text() == "agenda done"
        finally:
            await host.close()
            await observer.close()


def _shared(table: dict[str, Any]) -> Any:
    from rooms.notes.model import DocKey

    return DocKey(table["room_id"])


async def test_cap_refuses_and_keeps_the_document(coffee: Coffee) -> None:
    await coffee.mentor.sync()
    assert (await coffee.mentor.type_at(0, "x" * 3000))["ok"]
    ack = await coffee.mentor.type_at(0, "y" * 2000)
    assert ack["error"]["code"] == "notes_too_large"
    late = NotesClient()
    await late.connect(coffee.server.base_url, coffee.mentee.token)
    try:
        await late.sync()
        assert late.text() == "x" * 3000
    finally:
        await late.close()


async def test_bad_input_gets_codes_and_the_document_carries_on(coffee: Coffee) -> None:
    await coffee.mentor.sync()
    await coffee.mentor.type_at(0, "intact")
    bad_update = sync_message(SyncStep.UPDATE, b"\x05\x07garbage")
    cases: list[tuple[Any, str]] = [
        ({"doc": "shared", "message": b"\x07"}, "invalid_update"),
        ({"doc": "shared", "message": bad_update}, "invalid_update"),
        ({"doc": "shared", "message": sync_message(SyncStep.STEP1, b"\xff\xff")},
         "invalid_update"),
        ({"doc": "shared", "message": b"\x01" + uint(3) + b"\x01\x01\x01"}, "invalid_update"),
        ({"doc": "shared", "message": sync_message(SyncStep.STEP1, b"\x00"),
          "room": "coffee-elsewhere-0"}, "notes_wrong_room"),
        ({"doc": "theirs", "message": b"\x00"}, "invalid_payload"),
        ({"doc": "shared", "message": b"\x00\x02" + uint(70_000) + b"a" * 70_000},
         "payload_too_large"),
    ]
    for payload, code in cases:
        ack = await coffee.mentor.sio.call("notes", payload, timeout=20)
        assert ack["ok"] is False and ack["error"]["code"] == code, (payload, ack)
    await coffee.mentee.sync()
    assert coffee.mentee.text() == "intact"
    await coffee.mentor.type_at(6, "!")
    await eventually(lambda: coffee.mentee.text() == "intact!")


async def test_notes_floods_are_rate_limited(coffee: Coffee) -> None:
    await coffee.mentor.sync()
    acks = await asyncio.gather(*(coffee.mentor.type_at(0, "z") for _ in range(400)),
                                return_exceptions=True)
    codes = {a["error"]["code"] for a in acks if isinstance(a, dict) and not a["ok"]}
    assert codes & {"rate_limited", "busy"}
    await coffee.mentee.sync()
    assert coffee.mentee.text() == await coffee.server.services.notes.text(_coffee_key(coffee))


def _coffee_key(coffee: Coffee) -> Any:
    from rooms.notes.model import DocKey

    return DocKey(coffee.room_id)


async def test_awareness_is_relayed_and_cleared_on_disconnect(coffee: Coffee) -> None:
    state = b'{"user":{"name":"Ada"}}'
    update = uint(1) + uint(42) + uint(1) + uint(len(state)) + state
    assert (await coffee.mentor.awareness("shared", update))["ok"]
    await eventually(lambda: any(decode(raw).kind == 1 for _, raw in coffee.mentee.received))
    await coffee.mentor.close()
    await eventually(lambda: any(b"null" in raw for _, raw in coffee.mentee.received))


async def test_a_participant_of_another_room_neither_reads_nor_writes(coffee: Coffee) -> None:
    await coffee.mentor.sync()
    await coffee.mentee.sync()
    await coffee.mentor.type_at(0, "ROOM-A-ONLY")
    other = await coffee.server.create_room("Eve", "Mallory")
    eve = await NotesClient().connect(coffee.server.base_url, token_of(other["links"]["mentor"]))
    try:
        ack = await eve.send("shared", sync_message(SyncStep.STEP1, b"\x00"),
                             room=coffee.room_id)
        assert ack["error"]["code"] == "notes_wrong_room"
        await eve.sync()  # her own room's notes: empty
        assert eve.text() == ""
        assert (await eve.type_at(0, "ROOM-B"))["ok"]
        await coffee.mentor.type_at(0, "more ")
        await eventually(lambda: coffee.mentee.text() == "more ROOM-A-ONLY"
                         or "ROOM-B" in coffee.mentee.text())
        assert all(b"ROOM-A" not in raw for _, raw in eve.received)
        assert all(b"ROOM-B" not in raw for _, raw in coffee.mentee.received)
    finally:
        await eve.close()
