"""Roundtable host controls, lobby, bans and hands over real Socket.IO (no media)."""

from __future__ import annotations

import asyncio
from typing import Any

from rooms.grants import JoinGrant
from tests.live_server import live_server

from .roundtable import Member, create_roundtable

PEOPLE = [("Pat", "participant"), ("Obi", "observer"), ("Tia", "participant"),
          ("Cole", "co-host")]
ROOM_EVENTS = {"participant_joined", "participant_left", "track_published", "track_muted",
               "roundtable_state", "lobby", "active_speaker"}


def host_actions(target: str, host: str) -> list[tuple[str, dict[str, Any]]]:
    """Every host control, aimed at ``target`` (or the host where that is the point)."""
    return [
        ("promote", {"identity": target}), ("demote", {"identity": target}),
        ("hand_over", {"identity": target}), ("set_lobby", {"on": True}),
        ("admit", {"identity": target}), ("deny", {"identity": target}),
        ("set_locked", {"locked": True}),
        ("hard_mute", {"identity": target, "kind": "audio", "muted": True}),
        ("hard_mute", {"identity": host, "kind": "video", "muted": False}),
        ("mute_all", {"kind": "audio"}), ("remove", {"identity": target}),
        ("end_room", {}), ("lower_hand", {"identity": target}),
        ("call_on", {"identity": target, "seconds": 30}),
        ("start_timer", {"identity": target, "seconds": 30}), ("stop_timer", {}),
    ]


async def test_participants_and_observers_get_not_host_and_change_nothing() -> None:
    async with live_server() as server:
        room = await create_roundtable(server.base_url, PEOPLE)
        tables = server.services.service.roundtables
        people = {name: await Member.connect(server.base_url) for name in
                  ("host", "Pat", "Obi", "Tia")}
        try:
            for name, member in people.items():
                await member.join(room["tokens"][name])
            host, target = people["host"], people["Tia"]
            await target.ok("raise_hand")
            await host.ok("hard_mute", {"identity": people["Pat"].identity, "kind": "video",
                                        "muted": True})
            before = await tables.state(room["room_id"])
            for who in ("Pat", "Obi"):
                for event, data in host_actions(target.identity, host.identity):
                    ack = await people[who].call(event, data)
                    assert ack["ok"] is False, (who, event, ack)
                    assert ack["error"]["code"] == "not_host", (who, event, ack)
            after = await tables.state(room["room_id"])
            assert after == before
            # and the room is still alive: the host's controls work
            await host.ok("set_locked", {"locked": True})
            assert (await tables.state(room["room_id"])).locked
            # a participant may not lift their own hard mute
            ack = await people["Pat"].call("mute", {"kind": "video", "muted": False})
            assert ack["error"]["code"] == "hard_muted"
            ack = await people["Pat"].call("hard_mute", {"identity": people["Pat"].identity,
                                                         "kind": "video", "muted": False})
            assert ack["error"]["code"] == "not_host"
            assert (await tables.state(room["room_id"])).is_muted(
                people["Pat"].identity, "video")  # type: ignore[arg-type]
        finally:
            for member in people.values():
                await member.close()


async def test_an_observer_cannot_publish() -> None:
    async with live_server() as server:
        room = await create_roundtable(server.base_url, PEOPLE)
        observer = await Member.connect(server.base_url)
        try:
            ack = await observer.join(room["tokens"]["Obi"])
            assert ack["you"]["role"] == "observer"
            refused = await observer.call("publish", {"sdp": "v=0\r\n"})
            assert refused["error"]["code"] == "forbidden"
        finally:
            await observer.close()


async def test_lobby_admit_and_deny_and_the_waiting_hear_nothing() -> None:
    async with live_server() as server:
        room = await create_roundtable(server.base_url, PEOPLE, lobby=True)
        host, pat, tia, obi = [await Member.connect(server.base_url) for _ in range(4)]
        try:
            joined = await host.join(room["tokens"]["host"])
            assert joined["roundtable"]["lobby"] is True and joined["lobby"]["knocking"] == []
            await asyncio.sleep(0.2)
            host.signal.drain()  # the state its own join sent
            waiting = await pat.join(room["tokens"]["Pat"])
            assert waiting["waiting"] is True
            lobby = await host.signal.next_event("lobby")
            assert [k["identity"] for k in lobby["knocking"]] == [pat.identity]
            assert (await pat.call("raise_hand"))["error"]["code"] == "lobby_waiting"
            assert (await pat.call("publish", {"sdp": "v=0\r\n"}))["error"]["code"] == \
                "lobby_waiting"
            await tia.join(room["tokens"]["Tia"])
            await host.signal.next_event("lobby")
            # the room goes on meanwhile: the waiting hear none of it
            await host.ok("set_locked", {"locked": False})
            await host.ok("start_timer", {"identity": host.identity, "seconds": 60})
            await host.ok("admit", {"identity": pat.identity})
            assert (await host.call("deny", {"identity": pat.identity}))["error"]["code"] == \
                "not_knocking"
            await pat.signal.next_event("admitted")
            assert not [e for e, _ in pat.signal.drain() if e in ROOM_EVENTS]
            inside = await pat.join(room["tokens"]["Pat"])
            assert inside["you"]["role"] == "participant"
            assert inside["roundtable"]["timer"]["identity"] == host.identity
            await host.ok("deny", {"identity": tia.identity})
            denied = await tia.signal.next_event("denied")
            assert denied["message"]
            await asyncio.sleep(0.3)
            assert not tia.signal.sio.connected
            assert not [e for e, _ in tia.signal.drain() if e in ROOM_EVENTS]
            roster = await server.services.service.snapshot(room["room_id"])
            assert {p.identity for p in roster.participants} == {host.identity, pat.identity}
            # a knock goes when its connection does
            await asyncio.sleep(0.2)
            host.signal.drain()
            await obi.join(room["tokens"]["Obi"])
            lobby = await host.signal.next_event("lobby")
            assert [k["identity"] for k in lobby["knocking"]] == [obi.identity]
            await obi.close()
            lobby = await host.signal.next_event("lobby")
            assert lobby["knocking"] == []
        finally:
            for member in (host, pat, tia, obi):
                await member.close()


async def test_a_removed_identity_cannot_rejoin_with_any_token() -> None:
    async with live_server() as server:
        room = await create_roundtable(server.base_url, PEOPLE)
        host, pat, other = [await Member.connect(server.base_url) for _ in range(3)]
        try:
            await host.join(room["tokens"]["host"])
            await pat.join(room["tokens"]["Pat"])
            await host.ok("remove", {"identity": pat.identity})
            removed = await pat.signal.next_event("removed")
            assert removed["message"]
            await host.event_where("lobby", lambda lobby: pat.identity in lobby["banned"])
            left = await host.signal.next_event("participant_left")
            assert left == {"identity": pat.identity, "reason": "removed"}
            await asyncio.sleep(0.3)
            assert not pat.signal.sio.connected
            again = await Member.connect(server.base_url)
            refused = await again.call("join", {"token": room["tokens"]["Pat"]})
            assert refused["error"]["code"] == "banned"
            signer = server.services.signer
            grant = signer.verify(room["tokens"]["Pat"])
            fresh = signer.issue(JoinGrant.model_validate(grant.model_dump()), 600)
            refused = await other.call("join", {"token": fresh})
            assert refused["error"]["code"] == "banned"
            await again.close()
        finally:
            for member in (host, pat, other):
                await member.close()


async def test_the_hand_queue_keeps_the_order_of_concurrent_raises() -> None:
    async with live_server() as server:
        names = [f"P{i}" for i in range(8)]
        room = await create_roundtable(server.base_url, [(n, "participant") for n in names])
        host = await Member.connect(server.base_url)
        people = [await Member.connect(server.base_url) for _ in names]
        try:
            await host.join(room["tokens"]["host"])
            for name, member in zip(names, people, strict=True):
                await member.join(room["tokens"][name])
            acks = await asyncio.gather(*(m.call("raise_hand") for m in people))
            assert all(a == {"ok": True} for a in acks)
            state = await server.services.service.roundtables.state(room["room_id"])
            queue = state.hand_queue()
            assert sorted(queue) == sorted(m.identity for m in people)
            times = [h.raised_at for h in state.hands]
            assert times == sorted(times)
            # raising again keeps one's place; lowering one's own, and calling on, keep the rest
            await people[0].ok("raise_hand")
            await people[3].ok("lower_hand")
            await host.ok("call_on", {"identity": queue[1], "seconds": 90})
            expected = [i for i in queue if i not in (people[3].identity, queue[1])]
            state = await server.services.service.roundtables.state(room["room_id"])
            assert state.hand_queue() == expected
            assert state.called_on == queue[1] and state.timer is not None
            last = await host.event_where("roundtable_state",
                                          lambda s: s["called_on"] == queue[1])
            assert [h["identity"] for h in last["hands"]] == expected
            assert last["timer"]["ends_at"] - last["timer"]["started_at"] == 90
            assert (await people[2].call("lower_hand", {"identity": queue[4]}))["error"][
                "code"] == "not_host"
        finally:
            for member in (host, *people):
                await member.close()


async def test_a_shareable_link_gives_a_personal_token_that_a_reconnect_reuses() -> None:
    async with live_server() as server:
        room = await create_roundtable(server.base_url, [], shareable=True, lobby=True)
        shared = room["links"]["shareable"].split("#token=", 1)[1]
        host, guest, again = [await Member.connect(server.base_url) for _ in range(3)]
        try:
            await host.join(room["tokens"]["host"])
            waiting = await guest.join(shared, display_name="Guest One")
            assert waiting["waiting"] is True and waiting["token"]
            knock = await host.event_where("lobby", lambda lobby: lobby["knocking"])
            assert knock["knocking"][0]["display_name"] == "Guest One"
            await host.ok("admit", {"identity": guest.identity})
            await guest.signal.next_event("admitted")
            inside = await guest.join(waiting["token"])
            assert inside["you"]["identity"] == guest.identity
            assert inside["you"]["display_name"] == "Guest One"
            assert "token" not in inside  # a personal token is not redeemed again
            await guest.close()
            back = await again.join(waiting["token"])  # a reconnect: straight in, same person
            assert back["you"]["identity"] == guest.identity
        finally:
            for member in (host, guest, again):
                await member.close()


async def test_when_the_host_leaves_the_co_host_takes_over_and_everyone_is_told() -> None:
    async with live_server() as server:
        room = await create_roundtable(server.base_url, PEOPLE)
        host, cole, pat = [await Member.connect(server.base_url) for _ in range(3)]
        try:
            await host.join(room["tokens"]["host"])
            await cole.join(room["tokens"]["Cole"])
            await pat.join(room["tokens"]["Pat"])
            await host.ok("leave")
            state = await pat.event_where("roundtable_state",
                                          lambda s: s["host"] == cole.identity)
            assert state["roles"][host.identity] == "co-host"
            assert state["host_away"] is False
            await cole.event_where("lobby", lambda lobby: True)  # now in the hosts' room
            await cole.ok("set_locked", {"locked": True})
        finally:
            for member in (host, cole, pat):
                await member.close()


async def test_a_host_ends_the_roundtable_for_everyone() -> None:
    async with live_server() as server:
        room = await create_roundtable(server.base_url, PEOPLE, lobby=True)
        host, cole, pat, later = [await Member.connect(server.base_url) for _ in range(4)]
        try:
            await host.join(room["tokens"]["host"])
            await cole.join(room["tokens"]["Cole"])
            assert (await pat.join(room["tokens"]["Pat"]))["waiting"] is True
            await cole.ok("end_room")
            for member in (host, cole, pat):
                ended = await member.signal.next_event("room_ended")
                assert ended["message"]
            await asyncio.sleep(0.3)
            assert not any(m.signal.sio.connected for m in (host, pat))
            assert (await cole.call("raise_hand"))["error"]["code"] == "not_joined"
            refused = await later.call("join", {"token": room["tokens"]["host"]})
            assert refused["error"]["code"] == "room_not_found"
        finally:
            for member in (host, cole, pat, later):
                await member.close()


async def test_a_held_host_seat_goes_to_a_co_host_who_arrives_once_the_grace_is_over() -> None:
    async with live_server() as server:
        server.services.service.roundtables.host_grace_s = 1.0
        room = await create_roundtable(server.base_url, PEOPLE)
        host, pat, cole = [await Member.connect(server.base_url) for _ in range(3)]
        try:
            await host.join(room["tokens"]["host"])
            await pat.join(room["tokens"]["Pat"])
            await host.ok("leave")  # no co-host present: the seat is held
            held = await pat.event_where("roundtable_state", lambda s: s["host_away"])
            assert held["host"] == host.identity
            await asyncio.sleep(2.0)  # past the grace, with nobody to take over
            await cole.join(room["tokens"]["Cole"])
            state = await pat.event_where("roundtable_state",
                                          lambda s: s["host"] == cole.identity)
            assert state["host_away"] is False
        finally:
            for member in (host, pat, cole):
                await member.close()
