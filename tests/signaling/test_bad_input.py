"""Bad input at the signaling boundary: each gets its error code; the room carries on."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from rooms.clock import ManualClock
from rooms.grants import JoinGrant, TokenSigner
from rooms.models import Role
from tests.live_server import SECRET, LiveServer, live_server, token_of

from .client import SignalClient


@dataclass
class Call:
    server: LiveServer
    room: dict[str, Any]
    mentor: SignalClient
    mentee: SignalClient


@pytest.fixture
async def call() -> AsyncIterator[Call]:
    """A coffee room with both participants joined over real Socket.IO."""
    async with live_server() as server:
        room = await server.create_room("Ada", "Grace")
        mentor = await SignalClient().connect(server.base_url)
        mentee = await SignalClient().connect(server.base_url)
        assert (await mentor.call("join", {"token": token_of(room["links"]["mentor"])}))["ok"]
        assert (await mentee.call("join", {"token": token_of(room["links"]["mentee"])}))["ok"]
        await mentor.next_event("participant_joined")
        call = Call(server, room, mentor, mentee)
        try:
            yield call
        finally:
            await call.mentor.close()
            await call.mentee.close()


async def assert_room_carries_on(call: Call) -> None:
    """Both participants are still in the room and still hear from each other."""
    snapshot = await call.server.services.service.snapshot(call.room["room_id"])
    assert sorted(p.display_name for p in snapshot.participants) == ["Ada", "Grace"]
    ack = await call.mentor.call("mute", {"kind": "audio", "muted": True})
    assert ack == {"ok": True}
    event = await call.mentee.next_event("track_muted")
    assert event["kind"] == "audio" and event["muted"] is True


def error_code(ack: Any) -> str:
    assert isinstance(ack, dict) and ack.get("ok") is False, ack
    assert isinstance(ack["error"]["message"], str) and ack["error"]["message"]
    return str(ack["error"]["code"])


def forged_token(
    room_id: str,
    identity: str = "intruder",
    role: Role = Role.MENTEE,
    secret: str = SECRET,
    ttl_s: int = 600,
    clock: ManualClock | None = None,
) -> str:
    signer = TokenSigner(secret, clock or ManualClock(__import__("time").time()))
    grant = JoinGrant(
        room_id=room_id,
        identity=identity,
        display_name="Eve",
        role=role,
        publish=True,
        subscribe=True,
    )
    return signer.issue(grant, ttl_s=ttl_s)


GARBAGE: list[tuple[str, Any, str]] = [
    ("join", "just a string", "invalid_payload"),
    ("join", ["a", "list"], "invalid_payload"),
    ("join", 42, "invalid_payload"),
    ("join", {"token": 123}, "invalid_payload"),
    ("join", {"token": "x", "extra": 1}, "invalid_payload"),
    ("join", ({"token": "x"}, {"token": "y"}), "invalid_payload"),
    ("join", {"token": "x" * 5000}, "invalid_payload"),
    ("publish", {"sdp": None}, "invalid_payload"),
    ("mute", {"kind": "smell", "muted": True}, "invalid_payload"),
    ("mute", {"kind": "audio", "muted": "yes"}, "invalid_payload"),
    ("subscribe", {}, "invalid_payload"),
    ("no_such_event", {"a": 1}, "unknown_event"),
    ("join", {"token": "x" * 1_000_000}, "payload_too_large"),
    ("publish", {"sdp": "v=0\r\n" * 200_000}, "payload_too_large"),
    ("publish", b"\x00" * 1_000_000, "payload_too_large"),
]


async def test_garbage_events_get_error_codes_and_room_carries_on(call: Call) -> None:
    stranger = await SignalClient().connect(call.server.base_url)
    try:
        for event, data, code in GARBAGE:
            assert error_code(await stranger.call(event, data)) == code, (event, code)
        # The joined participants get the same treatment, and stay in the call.
        for event, data, code in GARBAGE:
            assert error_code(await call.mentee.call(event, data)) == code, (event, code)
        assert stranger.sio.connected and call.mentee.sio.connected
    finally:
        await stranger.close()
    await assert_room_carries_on(call)


async def test_token_errors(call: Call) -> None:
    room_id = call.room["room_id"]
    stranger = await SignalClient().connect(call.server.base_url)
    valid = token_of(call.room["links"]["mentee"])
    head, payload, signature = valid.split(".")
    tampered_payload = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    cases = {
        "": "token_missing",
        "not-a-jwt": "token_invalid",
        f"{head}.{tampered_payload}.{signature}": "token_invalid",
        f"{head}.{payload}.{signature[::-1]}": "token_invalid",
        forged_token(room_id, secret="another-secret-0123456789abcdef-012345"): "token_invalid",
        forged_token(room_id, clock=ManualClock(1_000_000.0)): "token_expired",
        forged_token("no-such-room"): "room_not_found",
    }
    try:
        assert error_code(await stranger.call("join", {})) == "token_missing"
        for token, code in cases.items():
            assert error_code(await stranger.call("join", {"token": token})) == code, token
        for event in ("publish", "subscribe", "mute", "leave"):
            data = {
                "publish": {"sdp": "v=0"},
                "subscribe": {"publisher": "x"},
                "mute": {"kind": "video", "muted": True},
                "leave": {},
            }[event]
            assert error_code(await stranger.call(event, data)) == "not_joined"
    finally:
        await stranger.close()
    await assert_room_carries_on(call)


async def test_third_person_in_full_coffee_room_is_refused(call: Call) -> None:
    third = await SignalClient().connect(call.server.base_url)
    try:
        token = forged_token(call.room["room_id"], identity="third-person")
        assert error_code(await third.call("join", {"token": token})) == "room_full"
        assert error_code(await call.mentor.call("join", {"token": token})) == "already_joined"
    finally:
        await third.close()
    await assert_room_carries_on(call)


async def test_invalid_sdp_is_refused(call: Call) -> None:
    for sdp in ("v=0", "garbage\r\nmore garbage", "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n"):
        code = error_code(await call.mentee.call("publish", {"sdp": sdp}))
        assert code in {"invalid_sdp", "unsupported_codec"}, (sdp, code)
    assert error_code(await call.mentee.call("subscribe", {"publisher": "nobody"})) == "not_in_room"
    ack = await call.mentee.call("subscription_answer", {"subscription_id": "x", "sdp": "v=0"})
    assert error_code(ack) == "unknown_subscription"
    await assert_room_carries_on(call)


async def test_rejoin_with_same_link_replaces_old_connection(call: Call) -> None:
    again = await SignalClient().connect(call.server.base_url)
    try:
        ack = await again.call("join", {"token": token_of(call.room["links"]["mentee"])})
        assert ack["ok"] and len(ack["room"]["participants"]) == 2
        replaced = await call.mentee.next_event("replaced")
        assert "another window" in replaced["message"]
        await call.mentee.close()
        call.mentee = again
    finally:
        pass
    await assert_room_carries_on(call)


async def test_leave_and_disconnect_tell_the_room(call: Call) -> None:
    assert await call.mentee.call("leave", {}) == {"ok": True}
    left = await call.mentor.next_event("participant_left")
    assert left["reason"] == "left"
    ack = await call.mentee.call("join", {"token": token_of(call.room["links"]["mentee"])})
    assert ack["ok"]
    await call.mentor.next_event("participant_joined")
    await call.mentee.close()  # no leave: the grace period (1 s in tests) runs out
    withdrawn = await call.mentor.next_event("track_published")
    assert withdrawn["tracks"] == []
    left = await call.mentor.next_event("participant_left", timeout=10)
    assert left["reason"] == "disconnected"
    snapshot = await call.server.services.service.snapshot(call.room["room_id"])
    assert [p.display_name for p in snapshot.participants] == ["Ada"]
