"""Guests of a roundtable's shareable link are bounded (review 2, finding 1): the link
mints at most capacity x MENTORCALL_SHARE_GUESTS_PER_SEAT identities, and
`roundtable_state` carries the roles of the people present only (and the hosts')."""

from __future__ import annotations

from typing import Any

import pytest

from media.errors import MediaError
from media.sfu import Sfu
from rooms.roundtables.service import DEFAULT_GUESTS_PER_SEAT
from tests.live_server import live_server

from .roundtable import Member, create_roundtable

CAPACITY = 3


async def test_a_shareable_link_lets_in_a_bounded_number_of_guests() -> None:
    async with live_server() as server:
        room = await create_roundtable(server.base_url, [], shareable=True, capacity=CAPACITY)
        shared = room["links"]["shareable"].split("#token=", 1)[1]
        limit = CAPACITY * DEFAULT_GUESTS_PER_SEAT
        host = await Member.connect(server.base_url)
        first_token = ""
        try:
            await host.join(room["tokens"]["host"])
            for n in range(limit):  # each comes, is seen, and goes
                guest = await Member.connect(server.base_url)
                try:
                    ack = await guest.join(shared, display_name=f"Guest {n}")
                    first_token = first_token or ack["token"]
                    await guest.ok("leave")
                finally:
                    await guest.close()
            late = await Member.connect(server.base_url)
            try:
                refused = await late.call("join", {"token": shared, "display_name": "Late"})
                assert refused["ok"] is False and refused["error"]["code"] == "link_used_up"
                # ... while a guest who came in comes back with their personal link
                back = await late.join(first_token)
                assert back["you"]["display_name"] == "Guest 0"
                await late.ok("leave")
            finally:
                await late.close()
            state = await server.services.service.roundtables.state(room["room_id"])
            assert len(state.guests) == limit
            # and the ones who left are not in every roundtable_state any more
            await host.ok("set_locked", {"locked": True})
            told = await host.event_where("roundtable_state", lambda s: s["locked"])
            assert told["roles"] == {host.identity: "host"}, told["roles"]
        finally:
            await host.close()


async def test_roles_are_those_of_the_people_present_and_the_hosts() -> None:
    async with live_server() as server:
        people = [("Pat", "participant"), ("Obi", "observer"), ("Cole", "co-host")]
        room = await create_roundtable(server.base_url, people)
        members = {name: await Member.connect(server.base_url)
                   for name in ("host", "Pat", "Obi", "Cole")}
        try:
            for name, member in members.items():
                await member.join(room["tokens"][name])
            host, pat, obi, cole = members.values()

            await obi.ok("leave")
            await cole.ok("leave")  # a co-host keeps their role while away
            await host.ok("set_locked", {"locked": True})  # a new state for everyone
            told = await host.event_where("roundtable_state", lambda s: s["locked"])
            assert told["roles"] == {host.identity: "host", pat.identity: "participant",
                                     cole.identity: "co-host"}, told["roles"]
            back = await obi.join(room["tokens"]["Obi"])  # back in: their role again
            assert back["roundtable"]["roles"][obi.identity] == "observer"
        finally:
            for member in members.values():
                await member.close()


async def test_guest_joins_rolled_back_before_their_ack_spend_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Review 3, finding 1: a guest who never learnt their identity (the join failed
    after the seat was taken) still counted against the link."""
    async with live_server() as server:
        room = await create_roundtable(server.base_url, [], shareable=True, capacity=2)
        shared = room["links"]["shareable"].split("#token=", 1)[1]
        sfu: Sfu = server.services.sfu
        opened = sfu.open_subscriber

        async def fail(peer_id: str, sources: Any = ()) -> Any:
            raise MediaError("media_failed", "The media server could not set that up.")

        host, guest = (await Member.connect(server.base_url),
                       await Member.connect(server.base_url))
        try:
            await host.join(room["tokens"]["host"])
            monkeypatch.setattr(sfu, "open_subscriber", fail)
            for _ in range(3 * 2 * DEFAULT_GUESTS_PER_SEAT):  # each as someone new
                one = await Member.connect(server.base_url)
                try:
                    refused = await one.call("join", {"token": shared})
                    assert refused["error"]["code"] == "media_failed", refused
                finally:
                    await one.close()
            monkeypatch.setattr(sfu, "open_subscriber", opened)
            state = await server.services.service.roundtables.state(room["room_id"])
            assert (state.guests, list(state.members)) == ([], [host.identity])
            ack = await guest.join(shared)  # the link still lets someone in
            assert (await server.services.service.roundtables.state(
                room["room_id"])).guests == [ack["you"]["identity"]]
        finally:
            await host.close()
            await guest.close()
