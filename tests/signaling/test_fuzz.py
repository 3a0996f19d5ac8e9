"""Hypothesis fuzzing of every event: always a documented error code, never a crash."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.live_server import LiveServer, ThreadedServer

from .client import SignalClient

PROTOCOL = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
EVENTS = ["join", "publish", "subscribe", "subscription_answer", "mute", "leave", "unknown"]
FIELDS = ["token", "sdp", "publisher", "subscription_id", "kind", "muted", "x"]


def documented_codes() -> set[str]:
    """The codes in the error table of docs/protocol.md."""
    table = PROTOCOL.read_text().split("## Error codes", 1)[1]
    return set(re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.MULTILINE))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(FIELDS), children, max_size=4)
    ),
    max_leaves=8,
)


@pytest.fixture(scope="module")
def threaded() -> Iterator[LiveServer]:
    with ThreadedServer() as server:
        yield server


def test_protocol_documents_the_codes() -> None:
    codes = documented_codes()
    assert {"invalid_payload", "room_full", "token_expired", "unknown_event"} <= codes


@settings(max_examples=60, deadline=None)
@given(calls=st.lists(st.tuples(st.sampled_from(EVENTS), JSON), min_size=1, max_size=5))
def test_fuzzed_events_get_documented_errors(threaded: LiveServer, calls: list[Any]) -> None:
    codes = documented_codes()

    async def run() -> None:
        client = await SignalClient().connect(threaded.base_url)
        try:
            for event, data in calls:
                ack = await client.call(event, data)
                assert isinstance(ack, dict) and ack["ok"] is False, (event, data, ack)
                assert ack["error"]["code"] in codes, ack
                assert ack["error"]["code"] != "internal_error", ack
        finally:
            await client.close()

    asyncio.run(run())
