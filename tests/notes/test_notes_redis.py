"""Notes with Redis and real server processes: they survive a server restart (killed,
no goodbye), and two processes serving one room converge (both append to one log)."""

from __future__ import annotations

from typing import Any

from tests.live_server import token_of
from tests.server_process import ServerProcess

from .client import NotesClient, eventually


async def test_notes_survive_a_killed_server(redis_url: str) -> None:
    with ServerProcess(redis_url=redis_url, notes_compact_updates=3) as first:
        room = await first.create_room()
        mentor = await NotesClient().connect(first.base_url, token_of(room["links"]["mentor"]))
        await mentor.sync()
        await mentor.sync("private")
        for n in range(7):  # compacted twice, one update left in the log
            assert (await mentor.type_at(1000, f"line {n}\n"))["ok"]
        assert (await mentor.type_at(0, "mine", "private"))["ok"]
        first.kill()
        await mentor.close()
    with ServerProcess(redis_url=redis_url) as second:
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
    settings: dict[str, Any] = {"redis_url": redis_url, "notes_compact_updates": 4}
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
