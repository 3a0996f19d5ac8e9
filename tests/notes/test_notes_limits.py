"""Notes message sizes and awareness identity, through a real server.

* A client back from more than 64 KiB of offline edits is taken whole: `notes` messages
  may be as large as the document cap (MENTORCALL_NOTES_MAX_BYTES); every other event
  keeps its 64 KiB.
* Awareness states are stamped with the sender's identity and name: nobody appears as
  someone else, and nobody speaks for another person's awareness client id.
* Awareness states nest at most a few levels (a deep one is refused, not a crash), and a
  connection speaks for a few awareness client ids per document, not any number.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from signaling.notes_wire import (
    MAX_AWARENESS_DEPTH,
    MAX_AWARENESS_IDS,
    SyncStep,
    sync_message,
    uint,
)
from tests.live_server import LiveServer, live_server, token_of

from .client import NotesClient, awareness_states, awareness_update, eventually

CAP = 512 * 1024


@pytest.fixture
async def pair() -> AsyncIterator[tuple[LiveServer, NotesClient, NotesClient]]:
    async with live_server(notes_max_bytes=CAP) as server:
        room = await server.create_room("Ada", "Grace")
        mentor = await NotesClient().connect(server.base_url, token_of(room["links"]["mentor"]))
        mentee = await NotesClient().connect(server.base_url, token_of(room["links"]["mentee"]))
        try:
            yield server, mentor, mentee
        finally:
            await mentor.close()
            await mentee.close()


async def test_offline_edits_over_64_kib_merge_on_reconnect(
        pair: tuple[LiveServer, NotesClient, NotesClient]) -> None:
    _, mentor, mentee = pair
    await mentor.sync()
    await mentee.sync()
    await mentor.type_at(0, "online words. ")
    await eventually(lambda: mentee.text() == "online words. ")
    await mentee.go_offline()
    offline = "".join(f"offline line {n:05d} of the mentee\n" for n in range(3000))
    assert len(offline) > 96 * 1024
    for start in range(0, len(offline), 8 * 1024):  # typed in many edits while away
        await mentee.type_at(10**9, offline[start:start + 8 * 1024])
    await mentor.type_at(0, "meanwhile. ")
    await mentee.come_back()  # its step 2 carries the whole offline part at once
    assert mentee.refusals == []
    expected = "meanwhile. online words. " + offline
    await eventually(lambda: mentor.text() == expected and mentee.text() == expected)


async def test_other_events_keep_64_kib_and_notes_keep_the_cap(
        pair: tuple[LiveServer, NotesClient, NotesClient]) -> None:
    _, mentor, mentee = pair
    await mentor.sync()
    big_mute = {"kind": "audio", "muted": True, "x": "a" * 70_000}
    ack = await mentor.sio.call("mute", big_mute, timeout=20)
    assert ack["error"]["code"] == "payload_too_large"
    over_cap = sync_message(SyncStep.UPDATE, b"a" * (CAP + 4096))
    ack = await mentor.sio.call("notes", {"doc": "shared", "message": over_cap}, timeout=20)
    assert ack["error"]["code"] == "payload_too_large"
    await mentor.type_at(0, "still fine")
    await mentee.sync()
    assert mentee.text() == "still fine"


async def test_awareness_says_who_really_sent_it(
        pair: tuple[LiveServer, NotesClient, NotesClient]) -> None:
    _, mentor, mentee = pair
    ada = {"user": {"name": "Ada", "color": "#30bced"}, "cursor": None}
    assert (await mentor.awareness("shared", awareness_update(7, 1, ada)))["ok"]
    await eventually(lambda: any(c == 7 for c, _ in awareness_states(mentee.received)))
    # Grace claims to be Ada, with Ada's colour and a made-up id
    fake = {"user": {"name": "Ada", "id": "mentor-identity", "color": "red;x"}, "cursor": 3}
    assert (await mentee.awareness("shared", awareness_update(9, 1, fake)))["ok"]
    await eventually(lambda: any(c == 9 for c, _ in awareness_states(mentor.received)))
    state = next(s for c, s in awareness_states(mentor.received) if c == 9)
    assert state["user"]["name"] == "Grace"
    assert state["user"]["id"] != "mentor-identity" and "color" not in state["user"]
    assert state["cursor"] == 3
    real = next(s for c, s in awareness_states(mentee.received) if c == 7)
    assert real["user"]["name"] == "Ada" and real["user"]["color"] == "#30bced"
    # nor may Grace speak for Ada's client id (clear or move her cursor)
    ack = await mentee.awareness("shared", awareness_update(7, 2, None))
    assert ack["error"]["code"] == "invalid_update"
    ack = await mentee.awareness("shared", awareness_update(7, 5, fake))
    assert ack["error"]["code"] == "invalid_update"
    seen = awareness_states(mentor.received) + awareness_states(mentee.received)
    assert all(s is not None and s["user"]["name"] == "Ada" for c, s in seen if c == 7)


async def test_a_deeply_nested_awareness_state_is_refused_with_a_code(
        pair: tuple[LiveServer, NotesClient, NotesClient]) -> None:
    _, mentor, mentee = pair
    raw = b'{"cursor":' + b"[" * 2000 + b"]" * 2000 + b"}"
    assert len(raw) < 4096
    update = uint(1) + uint(7) + uint(1) + uint(len(raw)) + raw
    ack = await mentor.awareness("shared", update)  # past the recursion limit
    assert ack["error"]["code"] == "invalid_update", ack
    nested: object = 1
    for _ in range(MAX_AWARENESS_DEPTH):  # within it, but deeper than a state needs
        nested = [nested]
    ack = await mentor.awareness("shared", awareness_update(7, 1, {"cursor": nested}))
    assert ack["error"]["code"] == "invalid_update", ack
    ok = {"user": {"name": "Ada"}, "cursor": {"anchor": {"type": {"client": 1, "clock": 2}}}}
    assert (await mentor.awareness("shared", awareness_update(7, 1, ok)))["ok"]
    await eventually(lambda: [c for c, _ in awareness_states(mentee.received)] == [7])


async def test_a_connection_speaks_for_a_few_awareness_client_ids_only(
        pair: tuple[LiveServer, NotesClient, NotesClient]) -> None:
    _, mentor, mentee = pair
    me = {"user": {"name": "Ada"}}
    for client in range(1, MAX_AWARENESS_IDS + 1):
        assert (await mentor.awareness("shared", awareness_update(client, 1, me)))["ok"]
    again = await mentor.awareness("shared", awareness_update(1, 2, me))  # one it has: fine
    assert again["ok"], again
    more = await mentor.awareness("shared", awareness_update(100, 1, me))
    assert more["error"]["code"] == "invalid_update", more
    assert "at most" in more["error"]["message"]
    many = b"".join(uint(c) + uint(1) + uint(2) + b"{}" for c in range(200, 216))
    ack = await mentor.awareness("shared", uint(16) + many)  # 16 new ids in one update
    assert ack["error"]["code"] == "invalid_update", ack
    # a state that left lets go of its id: the connection may take another, and the id
    # is nobody's any more (anyone may use it)
    assert (await mentor.awareness("shared", awareness_update(1, 3, None)))["ok"]
    assert (await mentor.awareness("shared", awareness_update(100, 1, me)))["ok"]
    assert (await mentee.awareness("shared", awareness_update(1, 4, me)))["ok"]
    # the private document counts on its own
    assert (await mentor.awareness("private", awareness_update(300, 1, me)))["ok"]
    await eventually(lambda: {2, 3, 4, 100} <= {c for c, _ in awareness_states(mentee.received)})
    assert not {c for c, _ in awareness_states(mentee.received)} & set(range(200, 216))
