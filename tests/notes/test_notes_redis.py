"""Notes with Redis and real server processes: they survive a server restart (killed,
no goodbye), two processes serving one room converge (both append to one log), and they
agree on who speaks for an awareness client id."""

from __future__ import annotations

from typing import Any

from tests.live_server import token_of
from tests.server_process import ServerProcess

from .client import NotesClient, awareness_states, awareness_update, eventually


async def test_notes_survive_a_killed_server(redis_url: str) -> None:
    # room_placement off here and below: these tests share one room between processes
    # (the sticky-proxy setup); placement and node loss: tests/web/test_nodes_*.py
    with ServerProcess(redis_url=redis_url, notes_compact_updates=3, room_placement=False) as first:
        room = await first.create_room()
        mentor = await NotesClient().connect(first.base_url, token_of(room["links"]["mentor"]))
        await mentor.sync()
        await mentor.sync("private")
        for n in range(7):  # compacted twice, one update left in the log
            assert (await mentor.type_at(1000, f"line {n}\n"))["ok"]
        assert (await mentor.type_at(0, "mine", "private"))["ok"]
        first.kill()
        await mentor.close()
    with ServerProcess(redis_url=redis_url, room_placement=False) as second:
        back = await NotesClient().connect(second.base_url, token_of(room["links"]["mentor"]))
        other = await NotesClient().connect(second.base_url, token_of(room["links"]["mentee"]))
        try:
            await back.sync()
            await back.sync("private")
            await other.sync("private")
            assert back.text() == "".join(f"line {n}\n" for n in range(7))
            assert back.text("private") == "mine"
            assert other.text("private") == ""
        finally:
            await back.close()
            await other.close()


async def test_two_processes_serving_one_room_converge(redis_url: str) -> None:
    settings: dict[str, Any] = {"redis_url": redis_url, "notes_compact_updates": 4,
                                "room_placement": False}
    with ServerProcess(**settings) as one, ServerProcess(**settings) as two:
        room = await one.create_room()
        ada = await NotesClient().connect(one.base_url, token_of(room["links"]["mentor"]))
        grace = await NotesClient().connect(two.base_url, token_of(room["links"]["mentee"]))
        try:
            await ada.sync()
            await grace.sync()
            for n in range(10):
                assert (await ada.type_at(0, f"a{n} "))["ok"]
                assert (await grace.type_at(10_000, f"g{n} "))["ok"]
            await eventually(lambda: ada.text() == grace.text()
                             and all(f"a{n} " in ada.text() and f"g{n} " in ada.text()
                                     for n in range(10)))
            # a late joiner on either process gets everything (each caught up on the log)
            for server in (one, two):
                late = NotesClient()
                await late.connect(server.base_url, token_of(room["links"]["mentee"]))
                await late.sync()
                assert late.text() == ada.text()
                await late.close()
        finally:
            await ada.close()
            await grace.close()


async def test_two_processes_agree_on_who_speaks_for_an_awareness_client_id(
        redis_url: str) -> None:
    with ServerProcess(redis_url=redis_url, room_placement=False) as one, \
            ServerProcess(redis_url=redis_url, room_placement=False) as two:
        room = await one.create_room()
        mentor, mentee = (token_of(room["links"][role]) for role in ("mentor", "mentee"))
        ada = await NotesClient().connect(one.base_url, mentor)
        grace = await NotesClient().connect(two.base_url, mentee)
        ada_again = NotesClient()
        try:
            me = {"user": {"name": "Ada"}, "cursor": None}
            assert (await ada.awareness("shared", awareness_update(7, 1, me)))["ok"]
            assert (await ada.awareness("shared", awareness_update(11, 1, me)))["ok"]
            # through the other process, Grace may not speak for Ada's id, nor Ada for hers
            ack = await grace.awareness("shared", awareness_update(7, 2, None))
            assert ack["error"]["code"] == "invalid_update"
            assert (await grace.awareness("shared", awareness_update(9, 1, me)))["ok"]
            ack = await ada.awareness("shared", awareness_update(9, 2, None))
            assert ack["error"]["code"] == "invalid_update"
            # Ada again, through the other process (her first connection is replaced and
            # closed): she takes 7 over, and her old connection letting go of what it
            # spoke for (11; 7 too if that came first) leaves 7 hers
            await ada_again.connect(two.base_url, mentor)
            assert (await ada_again.awareness("shared", awareness_update(7, 3, me)))["ok"]
            await eventually(lambda: (11, None) in awareness_states(grace.received))
            ack = await grace.awareness("shared", awareness_update(7, 4, None))
            assert ack["error"]["code"] == "invalid_update"
            cleared = awareness_states(grace.received).count((7, None))
            await ada_again.close()
            await eventually(lambda: awareness_states(grace.received).count((7, None)) > cleared)
            assert (await grace.awareness("shared", awareness_update(7, 5, me)))["ok"]
        finally:
            for client in (ada, grace, ada_again):
                await client.close()
