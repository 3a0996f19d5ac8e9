"""Hypothesis fuzzing of every event, before and after `join`.

Always a documented error code (or success), never a crash, and after the fuzzing the
connection still takes part in the call.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests.live_server import LiveServer, ThreadedServer, token_of

from .client import SignalClient
from .roundtable import create_roundtable

PROTOCOL = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
CALL_EVENTS = ["join", "publish", "subscribe", "subscription_answer", "subscriber_answer",
               "subscriber_restart", "mute", "leave"]
ROUNDTABLE_EVENTS = ["promote", "demote", "hand_over", "set_lobby", "admit", "deny",
                     "set_locked", "hard_mute", "mute_all", "remove", "end_room", "raise_hand",
                     "lower_hand", "call_on", "start_timer", "stop_timer", "start_breakout",
                     "end_breakout", "visit_breakout", "pin_videos"]
NOTES_EVENTS = ["notes"]
RECORDING_EVENTS = ["start_recording", "stop_recording", "recording_consent"]
EVENTS = [*CALL_EVENTS, *ROUNDTABLE_EVENTS, *NOTES_EVENTS, *RECORDING_EVENTS, "unknown"]
FIELDS = ["token", "sdp", "publisher", "subscription_id", "kind", "muted", "x", "identity",
          "on", "locked", "seconds", "display_name", "version", "minutes", "pairs",
          "room_id", "doc", "message", "room", "identities", "accepted",
          "resume_token"]


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

# Stand-ins for the joined identities, so that fuzzed events also name real participants.
PEER, SELF = "<peer identity>", "<own identity>"
VALUES = (
    st.sampled_from(["audio", "video", "v=0\r\n", PEER, SELF])
    | st.booleans()
    | st.none()
    | st.text(max_size=40)
)
JOINED_JSON = st.recursive(
    VALUES | st.integers(),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(FIELDS), children, max_size=4),
    max_leaves=8,
)
# Each event's own fields, mostly with values its handler acts on.
NAMES = st.one_of(st.sampled_from([PEER, SELF]), st.text(max_size=40))
KINDS = st.one_of(st.sampled_from(["audio", "video"]), VALUES)
SECONDS = st.one_of(st.integers(min_value=-5, max_value=4000), VALUES)
EVENT_FIELDS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "join": {"token": VALUES},
    "publish": {"sdp": VALUES},
    "subscribe": {"publisher": st.one_of(st.sampled_from([PEER, SELF]), st.text(max_size=40))},
    "subscription_answer": {"subscription_id": VALUES, "sdp": VALUES},
    "subscriber_answer": {"subscription_id": VALUES, "version": SECONDS, "sdp": VALUES},
    "mute": {"kind": st.one_of(st.sampled_from(["audio", "video"]), VALUES), "muted": VALUES},
    "subscriber_restart": {},
    "leave": {},
    "unknown": {"x": VALUES},
    **{event: {"identity": NAMES} for event in ("promote", "demote", "hand_over", "admit",
                                                 "deny", "remove", "lower_hand")},
    "set_lobby": {"on": VALUES},
    "set_locked": {"locked": VALUES},
    "hard_mute": {"identity": NAMES, "kind": KINDS, "muted": VALUES},
    "mute_all": {"kind": KINDS},
    "end_room": {},
    "raise_hand": {},
    "call_on": {"identity": NAMES, "seconds": SECONDS},
    "start_timer": {"identity": NAMES, "seconds": SECONDS},
    "stop_timer": {},
    "start_breakout": {"minutes": st.one_of(st.floats(-5, 200, allow_nan=False), VALUES),
                       "pairs": st.one_of(st.lists(st.lists(NAMES, max_size=3), max_size=3),
                                          VALUES)},
    "end_breakout": {},
    "visit_breakout": {"room_id": st.one_of(st.text(max_size=70), VALUES)},
    # the notes' own fuzzing (y-protocols shaped messages) is tests/notes/test_notes_fuzz.py
    "notes": {"doc": st.one_of(st.sampled_from(["shared", "private"]), VALUES),
              "message": st.one_of(st.binary(max_size=64), VALUES), "room": VALUES},
    "pin_videos": {"identities": st.one_of(st.lists(NAMES, max_size=5), VALUES)},
    "start_recording": {},
    "stop_recording": {},
    "recording_consent": {"accepted": VALUES},
}


def joined_call(event: str) -> st.SearchStrategy[tuple[str, Any]]:
    """An event with its own fields (so that handlers run), or now and then any JSON."""
    shaped = st.fixed_dictionaries(EVENT_FIELDS[event])
    return st.tuples(st.just(event), st.one_of(shaped, shaped, JOINED_JSON))


def naming(data: Any, names: dict[str, str]) -> Any:
    """`data` with the identity stand-ins replaced by real identities."""
    if isinstance(data, str):
        return names.get(data, data)
    if isinstance(data, list):
        return [naming(item, names) for item in data]
    if isinstance(data, dict):
        return {key: naming(value, names) for key, value in data.items()}
    return data


@pytest.fixture(scope="module")
def threaded() -> Iterator[LiveServer]:
    with ThreadedServer() as server:
        yield server


def test_every_event_of_the_namespace_is_fuzzed(threaded: LiveServer) -> None:
    table = set(threaded.services.namespace.events)
    assert table == set(EVENTS) - {"unknown"}
    protocol = PROTOCOL.read_text()
    assert all(f"`{event}`" in protocol for event in table)


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


# Every handler, on every run, past the not_joined guard; the fuzzing explores around them.
EVERY_HANDLER = [
    ("subscribe", {"publisher": SELF}),
    ("subscribe", {"publisher": PEER}),
    ("subscription_answer", {"subscription_id": "x", "sdp": "v=0\r\n"}),
    ("subscriber_answer", {"subscription_id": "x", "version": 1, "sdp": "v=0\r\n"}),
    ("subscriber_restart", {}),
    ("publish", {"sdp": "v=0\r\n"}),
    ("mute", {"kind": "audio", "muted": True}),
    ("join", {"token": "x"}),
    ("leave", {}),
    ("leave", {}),
    ("mute", {"kind": "video", "muted": False}),
]


@settings(max_examples=60, deadline=None)
@given(calls=st.lists(st.sampled_from(EVENTS).flatmap(joined_call), min_size=1, max_size=5))
@example(calls=EVERY_HANDLER)
def test_fuzzed_events_after_join_get_documented_answers(
    threaded: LiveServer, calls: list[Any]
) -> None:
    codes = documented_codes() - {"internal_error"}

    async def run() -> None:
        room = await threaded.create_room("Ada", "Grace")
        tokens = {role: token_of(room["links"][role]) for role in ("mentor", "mentee")}
        mentor = await SignalClient().connect(threaded.base_url)
        mentee = await SignalClient().connect(threaded.base_url)
        try:
            ada = await mentor.call("join", {"token": tokens["mentor"]})
            grace = await mentee.call("join", {"token": tokens["mentee"]})
            assert ada["ok"] and grace["ok"], (ada, grace)
            names = {PEER: ada["you"]["identity"], SELF: grace["you"]["identity"]}
            for event, data in calls:
                ack = await mentee.call(event, naming(data, names))
                assert isinstance(ack, dict), (event, data, ack)
                assert ack["ok"] is True or ack["error"]["code"] in codes, (event, data, ack)
            # Whatever the fuzzing did, leaving and joining again puts Grace back in the call.
            left = await mentee.call("leave", {})
            assert left == {"ok": True} or left["error"]["code"] == "not_joined", left
            assert (await mentee.call("join", {"token": tokens["mentee"]}))["ok"]
            assert await mentee.call("mute", {"kind": "video", "muted": True}) == {"ok": True}
            assert await mentor.call("leave", {}) == {"ok": True}
            left = await mentee.next_event("participant_left")  # Grace hears the room again
            assert left == {"identity": names[PEER], "reason": "left"}, left
        finally:
            await mentor.close()
            await mentee.close()

    asyncio.run(run())


@settings(max_examples=40, deadline=None)
@given(calls=st.lists(st.sampled_from([*ROUNDTABLE_EVENTS, "mute", "leave", "join"]).flatmap(
    joined_call), min_size=1, max_size=6))
def test_fuzzed_roundtable_events_by_the_host_get_documented_answers(
    threaded: LiveServer, calls: list[Any]
) -> None:
    codes = documented_codes() - {"internal_error"}

    async def run() -> None:
        room = await create_roundtable(threaded.base_url, [("Pat", "participant")])
        host = await SignalClient().connect(threaded.base_url)
        pat = await SignalClient().connect(threaded.base_url)
        try:
            me = await host.call("join", {"token": room["tokens"]["host"]})
            them = await pat.call("join", {"token": room["tokens"]["Pat"]})
            assert me["ok"] and them["ok"], (me, them)
            names = {PEER: them["you"]["identity"], SELF: me["you"]["identity"]}
            for event, data in calls:
                ack = await host.call(event, naming(data, names))
                assert isinstance(ack, dict), (event, data, ack)
                assert ack["ok"] is True or ack["error"]["code"] in codes, (event, data, ack)
            # the host can always come back and act, unless they ended the room
            await host.call("leave", {})
            again = await host.call("join", {"token": room["tokens"]["host"]})
            if again["ok"]:
                assert await host.call("set_locked", {"locked": False}) == {"ok": True}
            else:
                assert again["error"]["code"] == "room_not_found", again
        finally:
            await host.close()
            await pat.close()

    asyncio.run(run())
