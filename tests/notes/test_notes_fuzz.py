"""Hypothesis fuzzing of the `notes` payloads: y-protocols shaped messages with random or
mutated contents. Always `ok` or a documented code, never `internal_error`; afterwards
the document holds exactly the accepted edits and the call carries on."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pycrdt import Doc, Text

from signaling.notes_wire import MESSAGE_AWARENESS, SyncStep, encode, sync_message, uint
from tests.live_server import LiveServer, ThreadedServer, token_of
from tests.signaling.test_fuzz import documented_codes

from .client import NotesClient, eventually


def valid_update() -> bytes:
    doc: Doc = Doc(client_id=7)  # a fixed id: the same bytes on every run
    doc.get("notes", type=Text).insert(0, "some valid text")
    return doc.get_update()


VALID = valid_update()


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(VALID)
    for _ in range(draw(st.integers(1, 4))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


PAYLOADS = st.one_of(st.binary(max_size=80), mutated())
MESSAGES = st.one_of(
    st.builds(sync_message, st.sampled_from(list(SyncStep)), PAYLOADS),
    st.builds(lambda p: encode(MESSAGE_AWARENESS, p), PAYLOADS),
    st.builds(lambda n, s: encode(MESSAGE_AWARENESS, uint(1) + uint(n) + uint(0)
                                  + uint(len(s)) + s), st.integers(0, 2**40),
              st.binary(max_size=20)),
    st.binary(max_size=40),
)
NOTES_CALLS = st.fixed_dictionaries(
    {"doc": st.sampled_from(["shared", "private"]), "message": MESSAGES},
    optional={"room": st.text(max_size=10)})


@pytest.fixture(scope="module")
def threaded() -> Iterator[LiveServer]:
    with ThreadedServer() as server:
        yield server


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calls=st.lists(NOTES_CALLS, min_size=1, max_size=6))
def test_fuzzed_notes_messages_get_documented_answers(threaded: LiveServer,
                                                      calls: list[dict[str, Any]]) -> None:
    codes = documented_codes() - {"internal_error"}

    async def run() -> None:
        room = await threaded.create_room("Ada", "Grace")
        ada = await NotesClient().connect(threaded.base_url, token_of(room["links"]["mentor"]))
        grace = await NotesClient().connect(threaded.base_url, token_of(room["links"]["mentee"]))
        try:
            await ada.sync()
            await ada.type_at(0, "before")
            for call in calls:
                ack = await grace.sio.call("notes", call, timeout=20)
                assert ack["ok"] is True or ack["error"]["code"] in codes, (call, ack)
            # the call carries on: Ada's next edit reaches a fresh sync of Grace's, and
            # every accepted edit reached Ada
            await ada.type_at(0, "after ")
            late = NotesClient()
            await late.connect(threaded.base_url, grace.token)
            await late.sync()
            text = late.text()
            await late.close()
            assert text.startswith("after ") and "before" in text, text
            await eventually(lambda: ada.text() == text)  # the relayed edits reached Ada
        finally:
            await ada.close()
            await grace.close()

    asyncio.run(run())
