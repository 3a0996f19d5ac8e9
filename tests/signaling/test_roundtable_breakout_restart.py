"""A breakout lives in Redis: after the server process restarts, the pairs rejoin their
rooms, the host sees the same plan and can call them back; a breakout whose time ran
out while no process ran ends when someone comes back."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from tests.server_process import ServerProcess

from .roundtable import Member, create_roundtable

GRACE_S = 30.0  # seats outlive the restart: the people come back within it


async def start_pairs(host: Member, people: list[Member],
                      minutes: float) -> tuple[dict[str, Any], dict[str, str]]:
    """The host starts a breakout; each person moves to their pair room. The breakout
    and their tokens."""
    ack = await host.call("start_breakout", {"minutes": minutes})
    assert ack["ok"], ack
    tokens = {}
    for person in people:
        started = await person.signal.next_event("breakout_started")
        tokens[person.identity] = started["token"]
        await person.join(started["token"])
    return ack["breakout"], tokens


async def rejoin(base_url: str, token: str) -> Member:
    member = await Member.connect(base_url)
    await member.join(token)
    return member


async def test_a_breakout_survives_a_restart_and_its_timer_runs_after_one(
        redis_url: str) -> None:
    settings: dict[str, Any] = {"redis_url": redis_url, "disconnect_grace_s": GRACE_S}
    with ServerProcess(**settings) as first:
        room = await create_roundtable(first.base_url, [("Ann", "participant"),
                                                        ("Bob", "participant")])
        tokens = room["tokens"]
        host, ann, bob = [await rejoin(first.base_url, tokens[n])
                          for n in ("host", "Ann", "Bob")]
        try:
            plan, pair_tokens = await start_pairs(host, [ann, bob], 10)
            pair_room = ann.ack["room"]["room"]["room_id"]
        finally:
            for member in (host, ann, bob):
                await member.close()
    assert plan["pairs"] == [{"room_id": pair_room, "identities": [ann.identity, bob.identity]}]

    with ServerProcess(**settings) as second:  # a new process on the same Redis
        host = await rejoin(second.base_url, tokens["host"])
        people = [await rejoin(second.base_url, pair_tokens[ann.identity]),
                  await rejoin(second.base_url, tokens["Bob"])]  # Bob comes back to the main room
        try:
            onward = people[1].ack["pair"]  # ...and is told to go on to his pair
            assert onward["room_id"] == pair_room and onward["ends_at"] == plan["ends_at"]
            await people[1].ok("leave")
            await people[1].join(onward["token"])
            assert host.ack["roundtable"]["breakout"] == plan
            for person, partner in zip(people, reversed(people), strict=True):
                assert person.ack["room"]["room"]["parent"] == room["room_id"]
                assert person.ack["pair"]["ends_at"] == plan["ends_at"]
                assert [p["identity"] for p in person.ack["pair"]["partners"]] == [
                    partner.identity]
            await host.ok("end_breakout")
            for person in people:
                ended = await person.signal.next_event("breakout_ended")
                await person.join(ended["token"])
                assert person.ack["room"]["room"]["room_id"] == room["room_id"]
            brief, short = await start_pairs(host, people, 0.05)  # three seconds
            assert brief["number"] == 2
        finally:
            for member in (host, *people):
                await member.close()

    # it ends while no process runs
    await asyncio.sleep(max(0.0, brief["ends_at"] - time.time()) + 0.5)
    with ServerProcess(**settings) as third:
        back = await rejoin(third.base_url, short[ann.identity])
        try:
            ended = await back.signal.next_event("breakout_ended")
            await back.join(ended["token"])
            assert back.ack["roundtable"]["breakout"] is None
        finally:
            await back.close()
