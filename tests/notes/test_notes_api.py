"""The notes REST endpoints: Markdown export (participants and admins only, private notes
only the caller's), a pair's action items, closing one (which closes it in the next
session's document too)."""

from __future__ import annotations

from typing import Any

import aiohttp

from rooms.notes.model import DocKey, SessionContext, pair_scope
from tests.live_server import ADMIN_KEY, LiveServer, live_server

from .client import NotesClient


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
        assert (await notes.sync(DocKey("coffee-next-0"), b"\x00"))[0] is not None
        nxt.docs["shared"].apply_update((await notes.sync(DocKey("coffee-next-0"), b"\x00"))[0])
        assert nxt.items() == []


def _update_with(text: str, item_id: str, item_text: str) -> bytes:
    from pycrdt import Array, Doc, Map, Text

    doc: Doc = Doc()
    doc.get("notes", type=Text).insert(0, text)
    doc.get("actions", type=Array).append(Map({"id": item_id, "text": item_text,
                                               "owner": "mentee", "done": False}))
    return doc.get_update()


def _private_update(text: str) -> bytes:
    from pycrdt import Doc, Text

    doc: Doc = Doc()
    doc.get("notes", type=Text).insert(0, text)
    return doc.get_update()
