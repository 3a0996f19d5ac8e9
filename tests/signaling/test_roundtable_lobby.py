"""The lobby beyond admit and deny: turning it off, removing someone who knocks."""

from __future__ import annotations

import asyncio

from tests.live_server import live_server

from .roundtable import Member, create_roundtable

PEOPLE = [("Pat", "participant"), ("Tia", "participant"), ("Obi", "observer")]


async def test_turning_the_lobby_off_lets_everyone_waiting_in() -> None:
    async with live_server() as server:
        room = await create_roundtable(server.base_url, PEOPLE, lobby=True)
        host, pat, obi = [await Member.connect(server.base_url) for _ in range(3)]
        try:
            await host.join(room["tokens"]["host"])
            assert (await pat.join(room["tokens"]["Pat"]))["waiting"]
            assert (await obi.join(room["tokens"]["Obi"]))["waiting"]
            await host.ok("set_lobby", {"on": False})
            for member in (pat, obi):
                await member.signal.next_event("admitted")
            assert (await pat.join(room["tokens"]["Pat"]))["you"]["role"] == "participant"
            assert (await obi.join(room["tokens"]["Obi"]))["you"]["role"] == "observer"
        finally:
            for member in (host, pat, obi):
                await member.close()


async def test_removing_someone_who_knocks_bans_them_and_closes_their_connection() -> None:
    async with live_server() as server:
        room = await create_roundtable(server.base_url, PEOPLE, lobby=True)
        host, tia, again = [await Member.connect(server.base_url) for _ in range(3)]
        try:
            await host.join(room["tokens"]["host"])
            assert (await tia.join(room["tokens"]["Tia"]))["waiting"]
            await host.ok("remove", {"identity": tia.identity})
            await tia.signal.next_event("removed")
            await asyncio.sleep(0.3)
            assert not tia.signal.sio.connected
            lobby = await host.event_where("lobby", lambda lobby: lobby["banned"])
            assert lobby == {"knocking": [], "banned": [tia.identity]}
            refused = await again.call("join", {"token": room["tokens"]["Tia"]})
            assert refused["error"]["code"] == "banned"
        finally:
            for member in (host, tia, again):
                await member.close()


async def test_a_knock_refused_on_a_second_try_is_withdrawn() -> None:
    async with live_server() as server:
        room = await create_roundtable(server.base_url, PEOPLE, lobby=True)
        host, pat = [await Member.connect(server.base_url) for _ in range(2)]
        try:
            await host.join(room["tokens"]["host"])
            assert (await pat.join(room["tokens"]["Pat"]))["waiting"]
            await host.event_where("lobby", lambda lobby: lobby["knocking"])
            await host.ok("set_locked", {"locked": True})
            refused = await pat.call("join", {"token": room["tokens"]["Pat"]})
            assert refused["error"]["code"] == "room_locked"
            await host.event_where("lobby", lambda lobby: not lobby["knocking"])
            assert (await pat.call("raise_hand"))["error"]["code"] == "not_joined"
        finally:
            for member in (host, pat):
                await member.close()
