"""Pair breakouts, hard mutes in pair rooms and second tabs across two real server
processes on one Redis.

The host's connection is held by one process, the participants' by both. Without the
breakout's process notices only the host's process moved people: those on the other
process stayed in the roundtable at the start and in their pair rooms at the end.
Without the `person_replaced` notice a second tab on the other process left the first
one open.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.server_process import ServerProcess
from tests.signaling.roundtable import Member, create_roundtable
from tests.web.test_redis_roundtable_processes import closed

# room_placement off: every process serves every room (the sticky-proxy setup), so
# one room's connections can be held by both processes, which is what is tested here.
SETTINGS: dict[str, Any] = {"disconnect_grace_s": 1.0, "presence_interval_s": 0.3,
                            "room_placement": False}
NAMES = ("Ann", "Bob", "Cy", "Dee")


@pytest.fixture
def two_servers(redis_url: str) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    with ServerProcess(redis_url=redis_url, **SETTINGS) as one, \
            ServerProcess(redis_url=redis_url, **SETTINGS) as two:
        yield one, two


async def moved(member: Member, event: str) -> dict[str, Any]:
    """The member gets ``event`` (`breakout_started` / `breakout_ended`) and joins the
    room it names with its token, on the same connection, as the browser client does."""
    told: dict[str, Any] = await member.signal.next_event(event)
    ack = await member.join(told["token"])
    assert ack["room"]["room"]["room_id"] == told["room_id"], (ack, told)
    return told


async def test_a_breakout_moves_everyone_on_every_process_and_brings_them_back(
        two_servers: tuple[ServerProcess, ServerProcess]) -> None:
    one, two = two_servers
    room = await create_roundtable(one.base_url, [(n, "participant") for n in NAMES])
    tokens = room["tokens"]
    host = await Member.connect(one.base_url)
    # Ann and Cy on the host's process, Bob and Dee on the other one
    people = {n: await Member.connect((one if n in ("Ann", "Cy") else two).base_url)
              for n in NAMES}
    try:
        await host.join(tokens["host"])
        for name, member in people.items():
            await member.join(tokens[name])
        ids = {name: member.identity for name, member in people.items()}
        pairs = [[ids["Ann"], ids["Bob"]], [ids["Cy"], ids["Dee"]]]

        for ending in ("host", "timer"):
            minutes = 10 if ending == "host" else 0.05  # 3 s: the timer ends the second
            ack = await host.call("start_breakout", {"minutes": minutes, "pairs": pairs})
            assert ack["ok"], ack
            rooms = {name: (await moved(member, "breakout_started"))["room_id"]
                     for name, member in people.items()}
            assert rooms["Ann"] == rooms["Bob"] != rooms["Cy"] == rooms["Dee"]
            assert rooms["Ann"] != room["room_id"]
            if ending == "host":
                # a hard mute from the host's process reaches Bob in his pair room there
                await host.ok("hard_mute", {"identity": ids["Bob"], "kind": "audio",
                                            "muted": True})
                told = await people["Bob"].signal.next_event("hard_muted")
                assert (told["kind"], told["muted"]) == ("audio", True)
                refused = await people["Bob"].call("mute", {"kind": "audio", "muted": False})
                assert refused["error"]["code"] == "hard_muted", refused
                await host.ok("end_breakout")
            for member in people.values():
                told = await moved(member, "breakout_ended")
                assert told["room_id"] == room["room_id"]
    finally:
        for member in (host, *people.values()):
            await member.close()


async def test_a_second_tab_on_the_other_process_replaces_the_first(
        two_servers: tuple[ServerProcess, ServerProcess]) -> None:
    one, two = two_servers
    room = await create_roundtable(one.base_url, [("Ann", "participant")])
    host, first = await Member.connect(one.base_url), await Member.connect(one.base_url)
    second = await Member.connect(two.base_url)
    try:
        await host.join(room["tokens"]["host"])
        await first.join(room["tokens"]["Ann"])
        await second.join(room["tokens"]["Ann"])
        assert (await first.signal.next_event("replaced"))["message"]
        await closed(first)
        # the second tab speaks for Ann: her hand goes up, the seat stays
        await second.ok("raise_hand")
        await host.event_where("roundtable_state", lambda s: [
            h["identity"] for h in s["hands"]] == [second.identity])
    finally:
        for member in (host, first, second):
            await member.close()
