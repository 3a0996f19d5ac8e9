"""Concurrent host actions end in one consistent state, in the store and in media."""

from __future__ import annotations

import asyncio

from rooms.models import TrackKind
from signaling.session import peer_id_for
from tests.live_server import live_server

from .client import SignalClient
from .participant import Participant
from .roundtable import Member, create_roundtable


async def test_admit_and_deny_of_one_knock_at_once_one_wins() -> None:
    async with live_server() as server:
        room = await create_roundtable(server.base_url, [("Pat", "participant"),
                                                         ("Cole", "co-host")], lobby=True)
        host, cole, pat = [await Member.connect(server.base_url) for _ in range(3)]
        try:
            await host.join(room["tokens"]["host"])
            await cole.join(room["tokens"]["Cole"])
            await pat.join(room["tokens"]["Pat"])
            acks = await asyncio.gather(host.call("admit", {"identity": pat.identity}),
                                        cole.call("deny", {"identity": pat.identity}))
            oks = [a for a in acks if a["ok"]]
            assert len(oks) == 1, acks
            assert [a["error"]["code"] for a in acks if not a["ok"]] == ["not_knocking"]
            state = await server.services.service.roundtables.state(room["room_id"])
            assert state.knocking == []
            assert (state.role_of(pat.identity) is not None) == acks[0]["ok"]
        finally:
            for member in (host, cole, pat):
                await member.close()


async def test_two_hosts_muting_and_unmuting_at_once_leave_media_matching_the_state() -> None:
    async with live_server() as server:
        room = await create_roundtable(server.base_url, [("Pat", "participant"),
                                                         ("Cole", "co-host")])
        host, cole = [await Member.connect(server.base_url) for _ in range(2)]
        pat = Participant("Pat", await SignalClient().connect(server.base_url))
        try:
            await host.join(room["tokens"]["host"])
            await cole.join(room["tokens"]["Cole"])
            await pat.join(room["tokens"]["Pat"])
            await pat.publish()
            target = {"identity": pat.identity, "kind": "audio"}
            for _ in range(3):
                acks = await asyncio.gather(
                    *(host.call("hard_mute", target | {"muted": i % 2 == 0}) for i in range(5)),
                    *(cole.call("hard_mute", target | {"muted": i % 2 == 1}) for i in range(5)))
                assert all(a == {"ok": True} for a in acks), acks
                state = await server.services.service.roundtables.state(room["room_id"])
                muted = state.is_muted(pat.identity, TrackKind.AUDIO)
                sfu = server.services.sfu
                assert sfu.forwarding(peer_id_for(room["room_id"], pat.identity),
                                      "audio") is not muted
        finally:
            for member in (host, cole):
                await member.close()
            await pat.close()
