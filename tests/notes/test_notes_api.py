"""The notes REST endpoints: Markdown export (participants and admins only, private notes
only the caller's), a pair's action items, closing one (which closes it in the next
session's document too)."""

from __future__ import annotations

from typing import Any

import aiohttp

from rooms.notes.model import DocKey, SessionContext, pair_scope
from tests.live_server import ADMIN_KEY, LiveServer, live_server, token_of

from .client import NotesClient, eventually


async def register(server: LiveServer, name: str, role: str) -> tuple[str, str]:
    async with aiohttp.ClientSession() as http, http.post(
            f"{server.base_url}/api/people",
            json={"display_name": name, "role": role, "zone": "Europe/Berlin"},
            headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as response:
        body: dict[str, Any] = await response.json()
        assert response.status == 201, body
    return body["identity"], body["schedule_link"].split("#token=", 1)[1]


async def get(server: LiveServer, path: str, token: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.get(
            f"{server.base_url}{path}", headers={"Authorization": f"Bearer {token}"}) as r:
        return r.status, (await r.json() if r.content_type == "application/json"
                          else await r.text())


async def test_export_items_and_closing_across_sessions() -> None:
    async with live_server() as server:
        mentor, mentor_token = await register(server, "Ada", "mentor")
        mentee, mentee_token = await register(server, "Grace", "mentee")
        _, stranger_token = await register(server, "Eve", "mentee")
        room = await server.create_room("Ada", "Grace")
        room_id = room["room_id"]
        notes = server.services.notes
        scope = pair_scope(mentor, mentee)
        for rid in (room_id, "coffee-next-0"):
            await notes.store.put_context(SessionContext(
                room_id=rid, scope=scope, people=(mentor, mentee), title="Coffee"))
        await notes.apply(DocKey(room_id), _update_with(text="We talked about goals.",
                                                        item_id="g1", item_text="Draft a CV"))
        await notes.apply(DocKey(room_id, mentee), _private_update("grace only"))
        await notes.apply(DocKey(room_id, mentor), _private_update("ada only"))

        status, text = await get(server, f"/api/notes/sessions/{room_id}", mentee_token)
        assert status == 200
        assert "We talked about goals." in text and "- [ ] Draft a CV" in text
        assert "grace only" in text and "ada only" not in text
        status, text = await get(server, f"/api/notes/sessions/{room_id}", ADMIN_KEY)
        assert status == 200 and "grace only" not in text and "ada only" not in text
        status, body = await get(server, f"/api/notes/sessions/{room_id}", stranger_token)
        assert status == 403 and body["error"]["code"] == "forbidden"

        status, body = await get(server, f"/api/notes/pairs/{mentor}/items", mentee_token)
        assert status == 200 and [(i["id"], i["done"]) for i in body["items"]] == [("g1", False)]
        async with aiohttp.ClientSession() as http, http.patch(
                f"{server.base_url}/api/notes/pairs/{mentee}/items/g1", json={"done": True},
                headers={"Authorization": f"Bearer {mentor_token}"}) as response:
            assert response.status == 200 and (await response.json())["done"] is True
        status, body = await get(server, f"/api/notes/pairs/{mentee}/items", mentor_token)
        assert [(i["id"], i["done"]) for i in body["items"]] == [("g1", True)]
        # the next session starts without the closed item
        nxt = NotesClient()
        missing, _ = await notes.sync(DocKey("coffee-next-0"), b"\x00")
        nxt.docs["shared"].apply_update(missing)
        assert nxt.items() == []


async def test_the_export_of_a_room_nothing_is_known_about_is_not_found() -> None:
    async with live_server() as server:
        room = await server.create_room("Ada", "Grace")  # a coffee room: no booking
        for path in (f"/api/notes/sessions/{room['room_id']}", "/api/notes/sessions/typo",
                     "/api/notes/sessions/a%00b", "/api/notes/sessions/" + "r" * 5000):
            for tail in ("", "/recordings"):
                status, body = await get(server, path + tail, ADMIN_KEY)
                assert status == 404, (path[:40], tail, body)
                assert body["error"]["code"] == "notes_not_found"
        # once it has notes, it is a session with notes
        await server.services.notes.apply(DocKey(room["room_id"]), _private_update("hi"))
        status, text = await get(server, f"/api/notes/sessions/{room['room_id']}", ADMIN_KEY)
        assert status == 200 and "hi" in text
        status, body = await get(server, f"/api/notes/sessions/{room['room_id']}/recordings",
                                 ADMIN_KEY)
        assert status == 200 and body["recordings"] == []


def _update_with(text: str, item_id: str, item_text: str, owner: str = "mentee") -> bytes:
    from pycrdt import Array, Doc, Map, Text

    doc: Doc = Doc()
    doc.get("notes", type=Text).insert(0, text)
    doc.get("actions", type=Array).append(Map({"id": item_id, "text": item_text,
                                               "owner": owner, "done": False}))
    return doc.get_update()


def _private_update(text: str) -> bytes:
    from pycrdt import Doc, Text

    doc: Doc = Doc()
    doc.get("notes", type=Text).insert(0, text)
    return doc.get_update()


async def test_an_item_of_session_one_is_open_in_session_two_and_closed_there() -> None:
    async with live_server() as server:
        mentor, mentor_token = await register(server, "Ada", "mentor")
        mentee, _ = await register(server, "Grace", "mentee")
        first, second = await server.create_room("Ada", "Grace"), await server.create_room(
            "Ada", "Grace")
        scope = pair_scope(mentor, mentee)
        for room in (first, second):
            await server.services.notes.store.put_context(SessionContext(
                room_id=room["room_id"], scope=scope, people=(mentor, mentee)))
        one = await NotesClient().connect(server.base_url, token_of(first["links"]["mentee"]))
        await one.sync()
        item = {"id": "goal-7", "text": "Finish the portfolio", "owner": mentee,
                "due": "2026-12-24", "done": False}
        assert (await one.add_item(item))["ok"]
        await one.close()
        two = await NotesClient().connect(server.base_url, token_of(second["links"]["mentor"]))
        try:
            await two.sync()
            assert [(i["id"], i["done"], i["due"]) for i in two.items()] == [
                ("goal-7", False, "2026-12-24")]
            assert (await two.set_done("goal-7"))["ok"]
            status, body = await get(server, f"/api/notes/pairs/{mentee}/items", mentor_token)
            assert status == 200
            assert [(i["id"], i["done"]) for i in body["items"]] == [("goal-7", True)]
            # reopened over REST: the live session's clients see it open again
            async with aiohttp.ClientSession() as http, http.patch(
                    f"{server.base_url}/api/notes/pairs/{mentee}/items/goal-7",
                    json={"done": False},
                    headers={"Authorization": f"Bearer {mentor_token}"}) as response:
                assert response.status == 200
            await eventually(lambda: [i["done"] for i in two.items()] == [False])
        finally:
            await two.close()


async def test_a_persons_open_items_across_pairs_and_series() -> None:
    async with live_server() as server:
        mentor, mentor_token = await register(server, "Ada", "mentor")
        mentee, mentee_token = await register(server, "Grace", "mentee")
        notes = server.services.notes
        await notes.store.put_context(SessionContext(
            room_id="coffee-p-0", scope=pair_scope(mentor, mentee), people=(mentor, mentee),
            title="Coffee"))
        await notes.store.put_context(SessionContext(
            room_id="round-s-0", scope="series:club", people=(mentor, mentee), title="Club"))
        await notes.apply(DocKey("coffee-p-0"), _update_with("", "p1", "Draft a CV"))
        await notes.apply(DocKey("round-s-0"), _update_with("", "s1", "Read chapter 2", mentee))
        status, body = await get(server, "/api/notes/items", mentee_token)
        assert status == 200 and body["identity"] == mentee
        assert [(g["kind"], g["other"], g["series_id"], [i["id"] for i in g["items"]])
                for g in body["scopes"]] == [("pair", mentor, None, ["p1"]),
                                             ("series", None, "club", ["s1"])]
        # a series item someone else owns is theirs to list
        status, body = await get(server, "/api/notes/items", mentor_token)
        assert [g["kind"] for g in body["scopes"]] == ["pair"]
        status, body = await get(server, "/api/notes/items", ADMIN_KEY)
        assert status == 401 and body["error"]["code"] == "unauthorized"
