"""Roundtable host controls across two real server processes on one Redis.

The host's connection is held by one process, the person the action aims at by the
other. Without process notices the target's process never learns of the action: the
removed stay connected, the hard-muted are not told and their track keeps flowing,
a denied knocker stays connected, a new host on the other process never hears the
lobby, and ending the room leaves the other process's connections open.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from tests.server_process import ServerProcess
from tests.signaling.client import SignalClient
from tests.signaling.participant import Participant
from tests.signaling.roundtable import Member, create_roundtable
from tests.signaling.test_roundtable_media import grows, stays_still

# room_placement off: every process serves every room (the sticky-proxy setup), so
# one room's connections can be held by both processes, which is what is tested here.
SETTINGS: dict[str, Any] = {"disconnect_grace_s": 1.0, "presence_interval_s": 0.3,
                            "room_placement": False}
PEOPLE = [("Pat", "participant"), ("Tia", "participant"), ("Obi", "observer")]


@pytest.fixture
def two_servers(redis_url: str) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    with ServerProcess(redis_url=redis_url, **SETTINGS) as one, \
            ServerProcess(redis_url=redis_url, **SETTINGS) as two:
        yield one, two


async def closed(member: Member, within: float = 10.0) -> None:
    """Wait until the server closed the member's connection."""
    async with asyncio.timeout(within):
        while member.signal.sio.connected:  # noqa: ASYNC110 (no event to wait on)
            await asyncio.sleep(0.05)


async def test_host_actions_reach_people_whose_connection_the_other_process_holds(
        two_servers: tuple[ServerProcess, ServerProcess]) -> None:
    one, two = two_servers
    room = await create_roundtable(one.base_url, PEOPLE)
    tokens = room["tokens"]
    host = await Member.connect(one.base_url)
    pat, tia = await Member.connect(two.base_url), await Member.connect(two.base_url)
    obi, again = await Member.connect(one.base_url), await Member.connect(two.base_url)
    try:
        await host.join(tokens["host"])
        await pat.join(tokens["Pat"])
        await tia.join(tokens["Tia"])

        # a hard mute: the person on the other process is told
        await host.ok("hard_mute", {"identity": pat.identity, "kind": "audio", "muted": True})
        told = await pat.signal.next_event("hard_muted")
        assert told["kind"] == "audio" and told["muted"] is True and told["message"]

        # a removal: told, disconnected, cannot rejoin through either process
        await host.ok("remove", {"identity": tia.identity})
        assert (await tia.signal.next_event("removed"))["message"]
        await closed(tia)
        left = await pat.event_where("participant_left",
                                     lambda e: e["identity"] == tia.identity)
        assert left["reason"] == "removed"
        refused = await again.call("join", {"token": tokens["Tia"]})
        assert refused["error"]["code"] == "banned"

        # a handover: the new host, on the other process, hears the lobby from now on
        await host.ok("set_lobby", {"on": True})
        await host.ok("hand_over", {"identity": pat.identity})
        await pat.event_where("roundtable_state", lambda s: s["host"] == pat.identity)
        assert (await obi.join(tokens["Obi"]))["waiting"] is True  # knocks on process one
        await pat.event_where("lobby", lambda lobby: [k["identity"] for k in
                                                      lobby["knocking"]] == [obi.identity])
        # a denial by the host on process two closes the knocker on process one
        await pat.ok("deny", {"identity": obi.identity})
        assert (await obi.signal.next_event("denied"))["message"]
        await closed(obi)

        # ending the room closes every connection, on both processes
        await pat.ok("end_room")
        assert (await host.signal.next_event("room_ended"))["message"]
        await closed(host)
    finally:
        for member in (host, pat, tia, obi, again):
            await member.close()


async def test_a_hard_mute_from_the_other_process_stops_the_track_where_it_is_forwarded(
        two_servers: tuple[ServerProcess, ServerProcess]) -> None:
    one, two = two_servers
    room = await create_roundtable(one.base_url, PEOPLE)
    host = await Member.connect(one.base_url)
    speaker = Participant("Pat", await SignalClient().connect(two.base_url))
    listener = Participant("Obi", await SignalClient().connect(two.base_url))
    try:
        await host.join(room["tokens"]["host"])
        for who in (speaker, listener):
            await who.join(room["tokens"][who.name])
        await speaker.publish()
        await listener.subscribe(speaker.identity)
        await grows(listener.received["audio"])

        hard = {"identity": speaker.identity, "kind": "audio", "muted": True}
        await host.ok("hard_mute", hard)
        await stays_still(listener.received["audio"])
        await grows(listener.received["video"])  # the other kind flows on

        await host.ok("hard_mute", hard | {"muted": False})
        await grows(listener.received["audio"])
    finally:
        await host.close()
        for who in (speaker, listener):
            await who.close()
