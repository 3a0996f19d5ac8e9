"""GET/PUT /api/rooms/{room_id}/recording-policy over a real server: who may record a
room, validated against its kind, admin key only, audited."""

from __future__ import annotations

from typing import Any

import aiohttp

from rooms.clock import ManualClock
from rooms.grants import JoinGrant
from rooms.models import Role
from rooms.recordings.audit import AuditOutcome
from rooms.recordings.policy import CoffeeRecorders
from tests.live_server import LiveServer, live_server, token_of
from tests.signaling.client import SignalClient
from tests.signaling.roundtable import create_roundtable
from web.recordings.setup import RECORDINGS

START = 1_800_000_000.0


async def call(server: LiveServer, method: str, room_id: str, body: Any = None,
               key: str | None = "admin") -> tuple[int, Any]:
    headers = {}
    if key == "admin":
        headers["Authorization"] = f"Bearer {server.admin_key}"
    elif key is not None:
        headers["Authorization"] = f"Bearer {key}"
    async with aiohttp.ClientSession() as http, http.request(
            method, f"{server.base_url}/api/rooms/{room_id}/recording-policy",
            json=body, headers=headers) as response:
        return response.status, await response.json()


async def test_an_admin_lets_either_person_of_a_coffee_room_record() -> None:
    clock = ManualClock(START)
    async with live_server(clock) as server:
        room_id = (await server.create_room("Ada", "Kenji"))["room_id"]
        assert await call(server, "GET", room_id) == (200, {
            "room_id": room_id, "kind": "coffee", "who_may_record": "mentor"})
        status, body = await call(server, "PUT", room_id, {"who_may_record": "either"})
        assert (status, body["who_may_record"]) == (200, "either")
        assert (await call(server, "GET", room_id))[1]["who_may_record"] == "either"
        recordings = server.app[RECORDINGS]
        policy = await recordings.store.policy(room_id)
        assert policy.coffee_recorders is CoffeeRecorders.EITHER
        room = await server.services.store.get_room(room_id)
        assert room is not None  # the mentee may start now
        made = await recordings.service.start(room, "mentee-1", Role.MENTEE, True)
        assert made.started_by == "mentee-1"
        await call(server, "PUT", room_id, {"who_may_record": "mentor"})
        assert (await recordings.store.policy(room_id)).coffee_recorders is \
            CoffeeRecorders.MENTOR

        for bad in ({"who_may_record": "hosts"}, {"who_may_record": "anyone"},
                    {"who_may_record": "either", "extra": 1}, {}, [1]):
            status, body = await call(server, "PUT", room_id, bad)
            assert status == 400, bad
            assert body["error"]["code"] in ("invalid_policy", "invalid_body"), body
        assert (await call(server, "PUT", room_id, {"who_may_record": "hosts"}))[1][
            "error"]["code"] == "invalid_policy"
        assert (await call(server, "GET", "no-such-room"))[1]["error"]["code"] == \
            "room_not_found"

        clock.advance(31 * 60)  # the room has ended: its setting ends with it
        status, body = await call(server, "PUT", room_id, {"who_may_record": "either"})
        assert (status, body["error"]["code"]) == (409, "room_closed")

        entries = await recordings.store.audit_log()
        policy_entries = [e for e in entries if e.action == "policy"]
        assert [e.outcome for e in policy_entries].count(AuditOutcome.REFUSED) == 8
        assert any("set room" in e.detail and "either" in e.detail for e in policy_entries)


async def test_a_roundtable_has_one_rule_and_only_the_admin_key_reaches_it() -> None:
    async with live_server() as server:
        created = await create_roundtable(server.base_url, [("Cole", "co-host")])
        room_id = created["room_id"]
        assert (await call(server, "GET", room_id))[1]["who_may_record"] == "hosts"
        assert (await call(server, "PUT", room_id, {"who_may_record": "hosts"}))[0] == 200
        status, body = await call(server, "PUT", room_id, {"who_may_record": "either"})
        assert (status, body["error"]["code"]) == (400, "invalid_policy")
        # the host's token carries the admin grant for its room, yet the key only may
        grant = JoinGrant(room_id=room_id, identity="h", display_name="Host",
                          role=Role.HOST, publish=True, subscribe=True, admin=True)
        token = server.services.signer.issue(grant, 600)
        assert (await call(server, "GET", room_id, key=token))[0] == 403
        assert (await call(server, "PUT", room_id, {"who_may_record": "hosts"},
                           key=token))[0] == 403
        assert (await call(server, "GET", room_id, key=None))[0] == 401


async def test_the_join_ack_carries_the_rule_and_a_change_reaches_the_call() -> None:
    """A page shows its Record button by the room's rule: the join ack says it, and an
    admin's change is sent to everyone in the call (`recording_policy`)."""
    async with live_server() as server:
        room = await server.create_room("Ada", "Kenji")
        mentee = await SignalClient().connect(server.base_url)
        try:
            ack = await mentee.call("join", {"token": token_of(room["links"]["mentee"])})
            assert (ack["ok"], ack["who_may_record"]) == (True, "mentor")
            assert (await call(server, "PUT", room["room_id"],
                               {"who_may_record": "either"}))[0] == 200
            assert await mentee.next_event("recording_policy") == {"who_may_record": "either"}
            await call(server, "PUT", room["room_id"], {"who_may_record": "mentor"})
            assert await mentee.next_event("recording_policy") == {"who_may_record": "mentor"}
        finally:
            await mentee.close()
        created = await create_roundtable(server.base_url, [("Cole", "observer")])
        observer = await SignalClient().connect(server.base_url)
        try:
            ack = await observer.call("join", {"token": created["tokens"]["Cole"]})
            assert (ack["ok"], ack["who_may_record"]) == (True, "hosts"), ack
        finally:
            await observer.close()
