"""Pair breakout with real aiortc peers: each pair is a room of its own with its own
media, the host visits a pair, and everyone comes back when the time is over or the host
calls them back. Only hosts run it, and a pair room admits only its pair (and hosts)."""

from __future__ import annotations

import time
from typing import Any

from rooms.clock import ManualClock
from rooms.grants import JoinGrant, TokenSigner
from rooms.models import Role
from tests.live_server import SECRET, live_server
from tests.media.peers import LoopbackPeer

from .client import SignalClient
from .roundtable import create_roundtable
from .subscribing import SubscribingParticipant

NAMES = ("Ann", "Bob", "Cy", "Dee")


async def connect(base_url: str, seed: int) -> SubscribingParticipant:
    return SubscribingParticipant(await SignalClient().connect(base_url), seed)


async def move(person: SubscribingParticipant, token: str) -> dict[str, Any]:
    """Join the room ``token`` names on the same connection, publishing anew (the
    server closed the old room's media), as the browser client does."""
    old, person.publisher = person.publisher, LoopbackPeer()
    await old.close()
    ack = await person.join(token)
    await person.publish()
    return ack


async def everyone_sees_everyone(people: list[SubscribingParticipant]) -> None:
    for person in people:
        others = {p.identity for p in people if p is not person}
        await person.wait_carrying(others)
    first, second = people[0], people[1]
    await first.wait_media_from(second)
    await second.wait_media_from(first)


async def error_code(person: SubscribingParticipant, event: str, data: Any) -> str:
    ack = await person.signal.call(event, data)
    assert not ack.get("ok"), ack
    return str(ack["error"]["code"])


async def in_pairs(people: dict[str, SubscribingParticipant],
                   pairs: list[tuple[str, str]]) -> dict[str, str]:
    """Everyone paired gets `breakout_started` and moves; each pair then hears and sees
    only its partner. The pair room of each name."""
    rooms = {}
    for first, second in pairs:
        for me, partner in ((first, second), (second, first)):
            started = await people[me].signal.next_event("breakout_started")
            assert [p["identity"] for p in started["partners"]] == [people[partner].identity]
            assert started["partners"][0]["display_name"] == partner
            rooms[me] = started["room_id"]
            await move(people[me], started["token"])
    for first, second in pairs:
        assert rooms[first] == rooms[second]
        for me, partner in ((first, second), (second, first)):
            await people[me].wait_carrying({people[partner].identity})
            await people[me].wait_media_from(people[partner])
    return rooms


async def all_back(host: SubscribingParticipant,
                   people: dict[str, SubscribingParticipant]) -> None:
    room_id = ""
    for person in people.values():
        ended = await person.signal.next_event("breakout_ended")
        room_id = ended["room_id"]
        await move(person, ended["token"])
    assert room_id
    await everyone_sees_everyone([host, *people.values()])


async def test_a_pair_breakout_the_host_visits_and_the_time_brings_everyone_back() -> None:
    clock = ManualClock(time.time())
    async with live_server(clock) as server:
        room = await create_roundtable(server.base_url, [(n, "participant") for n in NAMES])
        host = await connect(server.base_url, 1)
        people = {n: await connect(server.base_url, k + 2) for k, n in enumerate(NAMES)}
        visitor = await connect(server.base_url, 7)
        outsider = SignalClient()
        try:
            for who, person in (("host", host), *people.items()):
                await person.join(room["tokens"][who])
                await person.publish()
            await everyone_sees_everyone([host, *people.values()])

            ann = people["Ann"]
            assert await error_code(ann, "start_breakout", {"minutes": 1}) == "not_host"
            assert await error_code(ann, "end_breakout", {}) == "not_host"

            ack = await host.signal.call("start_breakout", {"minutes": 1})
            assert ack["ok"], ack
            # everyone present is paired (in joining order: the test's clock stands still,
            # so here that is the order of identities)
            ids = {n: p.identity for n, p in people.items()}
            name_of = {i: n for n, i in ids.items()}
            (a, b), (c, d) = [[name_of[i] for i in p["identities"]]
                              for p in ack["breakout"]["pairs"]]
            assert sorted((a, b, c, d)) == sorted(NAMES)
            rooms = await in_pairs(people, [(a, b), (c, d)])
            assert rooms[a] != rooms[c]
            await host.wait_carrying(set())  # the main room has nobody else left
            # nobody but a host visits; a host may
            code = await error_code(people[a], "visit_breakout", {"room_id": rooms[c]})
            assert code == "not_host"
            for event, data in (("start_breakout", {"minutes": 1}), ("end_breakout", {})):
                assert await error_code(people[a], event, data) == "not_host"  # from a pair
            visit = await host.signal.call("visit_breakout", {"room_id": rooms[a]})
            assert visit["ok"], visit
            await visitor.join(visit["token"])
            await visitor.publish()
            for name, partner in ((a, b), (b, a)):
                await people[name].wait_carrying({ids[partner], host.identity})
                await people[name].wait_media_from(visitor)
            await people[c].wait_carrying({ids[d]})  # the other pair is untouched
            assert await visitor.signal.call("leave", {}) == {"ok": True}
            await people[a].wait_carrying({ids[b]})
            # c's own pair token names c's room; a signed token naming a's pair room for
            # c (forged with the server's key) is refused: not c's pair
            signer = TokenSigner(SECRET, clock)
            forged = signer.issue(JoinGrant(
                room_id=rooms[a], identity=ids[c], display_name=c,
                role=Role.PARTICIPANT, publish=True, subscribe=True), 600)
            await outsider.connect(server.base_url)
            refused = await outsider.call("join", {"token": forged})
            assert refused["error"]["code"] == "forbidden", refused
            await people[a].wait_carrying({ids[b]})

            clock.advance(61)  # the breakout's minute is over
            await all_back(host, people)
        finally:
            await outsider.close()
            for person in (host, visitor, *people.values()):
                await person.close()
                await person.signal.close()


async def test_the_host_calls_explicit_pairs_back_and_old_pair_tokens_stop_working() -> None:
    async with live_server() as server:
        room = await create_roundtable(server.base_url, [(n, "participant") for n in NAMES])
        host = await connect(server.base_url, 1)
        people = {n: await connect(server.base_url, k + 2) for k, n in enumerate(NAMES)}
        late = SignalClient()
        try:
            for who, person in (("host", host), *people.items()):
                await person.join(room["tokens"][who])
                await person.publish()
            await everyone_sees_everyone([host, *people.values()])
            ids = {n: p.identity for n, p in people.items()}
            bad = {"minutes": 5, "pairs": [[ids["Ann"], host.identity]]}  # hosts stay
            assert await error_code(host, "start_breakout", bad) == "invalid_breakout"
            pairs = [[ids["Ann"], ids["Cy"]], [ids["Bob"], ids["Dee"]]]
            ack = await host.signal.call("start_breakout", {"minutes": 5, "pairs": pairs})
            assert ack["ok"], ack
            again = await host.signal.call("start_breakout", {"minutes": 5})
            assert again["error"]["code"] == "breakout_running"
            await in_pairs(people, [("Ann", "Cy"), ("Bob", "Dee")])
            # a host removes Dee from the roundtable: out of the pair room too
            assert await host.signal.call("remove", {"identity": ids["Dee"]}) == {"ok": True}
            assert "message" in await people["Dee"].signal.next_event("removed")
            await people["Bob"].wait_carrying(set())
            gone = people.pop("Dee")
            await gone.close()
            state = await host.signal.call("end_breakout", {})
            assert state == {"ok": True}
            await all_back(host, people)
            assert await host.signal.call("end_breakout", {}) == {"ok": True}  # idempotent
            # the pair rooms are gone: a pair token of the ended breakout gets nowhere
            await late.connect(server.base_url)
            signer = TokenSigner(SECRET)
            old = signer.issue(JoinGrant(
                room_id=ack["breakout"]["pairs"][0]["room_id"], identity=ids["Ann"],
                display_name="Ann", role=Role.PARTICIPANT, publish=True, subscribe=True), 600)
            refused = await late.call("join", {"token": old})
            assert refused["error"]["code"] == "room_not_found", refused
        finally:
            await late.close()
            for person in (host, *people.values()):
                await person.close()
                await person.signal.close()
