"""A roundtable's state lives in Redis: after the server process restarts, the people
who come back find the same roles, hands, lock and bans."""

from __future__ import annotations

from typing import Any

from tests.server_process import ServerProcess

from .roundtable import Member, create_roundtable

GRACE_S = 30.0  # seats outlive the restart: the people come back within it


async def join_all(base_url: str, tokens: dict[str, str],
                   names: tuple[str, ...]) -> dict[str, Member]:
    people = {}
    for name in names:
        people[name] = await Member.connect(base_url)
        await people[name].join(tokens[name])
    return people


def seen(ack: dict[str, Any]) -> tuple[Any, ...]:
    table = ack["roundtable"]
    roster = {p["identity"]: p["role"] for p in ack["room"]["participants"]}
    return (table["roles"], [h["identity"] for h in table["hands"]], table["locked"],
            table["mutes"], roster)


async def test_after_a_restart_people_see_the_same_roles_hands_lock_and_bans(
        redis_url: str) -> None:
    settings: dict[str, Any] = {"redis_url": redis_url, "disconnect_grace_s": GRACE_S}
    names = ("host", "Pat", "Tia", "Obi")
    with ServerProcess(**settings) as first:
        room = await create_roundtable(first.base_url, [
            ("Pat", "participant"), ("Tia", "participant"), ("Obi", "participant"),
            ("Eve", "participant")])
        tokens = room["tokens"]
        people = await join_all(first.base_url, tokens, (*names, "Eve"))
        try:
            host = people["host"]
            await host.ok("promote", {"identity": people["Tia"].identity})
            await people["Pat"].ok("raise_hand")
            await people["Obi"].ok("raise_hand")
            await host.ok("hard_mute", {"identity": people["Pat"].identity, "kind": "video",
                                        "muted": True})
            await host.ok("remove", {"identity": people["Eve"].identity})
            await host.ok("set_locked", {"locked": True})
            people["host"] = await Member.connect(first.base_url)  # a second tab: takes over
            before = seen(await people["host"].join(tokens["host"]))
            lobby_before = people["host"].ack["lobby"]
            await host.close()
        finally:
            for member in people.values():
                await member.close()
    assert before[0][people["Tia"].identity] == "co-host"
    assert before[1] == [people["Pat"].identity, people["Obi"].identity]
    assert lobby_before["banned"] == [people["Eve"].identity]

    with ServerProcess(**settings) as second:  # a new process on the same Redis
        again = await join_all(second.base_url, tokens, names)
        try:
            host = again["host"]
            assert seen(host.ack) == before
            assert host.ack["lobby"] == lobby_before
            assert again["Tia"].ack["you"]["role"] == "co-host"
            assert "lobby" in again["Tia"].ack and "lobby" not in again["Pat"].ack
            refused = await (await Member.connect(second.base_url)).call(
                "join", {"token": tokens["Eve"]})
            assert refused["error"]["code"] == "banned"
            ack = await again["Pat"].call("mute", {"kind": "video", "muted": False})
            assert ack["error"]["code"] == "hard_muted"
            # the restored state is live: the co-host's controls work on it
            await again["Tia"].ok("call_on", {"identity": again["Pat"].identity})
            state = await host.event_where("roundtable_state",
                                           lambda s: s["called_on"] is not None)
            assert [h["identity"] for h in state["hands"]] == [again["Obi"].identity]
        finally:
            for member in again.values():
                await member.close()
