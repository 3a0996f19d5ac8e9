"""The export of a room made with ``POST /api/rooms`` (README, "Your first call"), read
with the join tokens of its call links (review 4, finding 7), and the action items'
owners written by name (finding 8)."""

from __future__ import annotations

import time
from typing import Any

import aiohttp
import socketio

from rooms.clock import ManualClock
from rooms.grants import JoinGrant, TokenSigner
from rooms.models import Role
from rooms.notes.model import DocKey, SessionContext
from tests.live_server import ADMIN_KEY, SECRET, LiveServer, live_server, token_of

from .test_notes_api import _private_update, _update_with, get, register

DAY_S = 24 * 3600


async def roundtable(server: LiveServer) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.post(
            f"{server.base_url}/api/rooms",
            json={"kind": "roundtable", "host_name": "Hana", "shareable": True,
                  "participants": [{"name": "Olu", "role": "observer"},
                                   {"name": "Pia"}]},
            headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as response:
        body: dict[str, Any] = await response.json()
        assert response.status == 201, body
    return body


def signed_ago(room_id: str, identity: str, expired_s_ago: float) -> str:
    """A join token of ``room_id`` for ``identity`` that expired that long ago."""
    now = time.time()
    signer = TokenSigner(SECRET, ManualClock(now - expired_s_ago - 3600))
    return signer.issue(JoinGrant(room_id=room_id, identity=identity, display_name="Grace",
                                  role=Role.MENTEE, publish=True, subscribe=True), 3600)


async def test_participants_read_an_ad_hoc_rooms_notes_with_their_call_links() -> None:
    async with live_server() as server:
        room = await server.create_room("Ada", "Grace")
        room_id = room["room_id"]
        mentor_token, mentee_token = (token_of(room["links"][r]) for r in ("mentor", "mentee"))
        mentee = server.services.signer.verify(mentee_token).identity
        mentor = server.services.signer.verify(mentor_token).identity
        notes = server.services.notes
        await notes.apply(DocKey(room_id), _update_with(text="We talked about goals.",
                                                        item_id="g1", item_text="Draft a CV",
                                                        owner=mentee))
        await notes.apply(DocKey(room_id, mentee), _private_update("grace only"))
        await notes.apply(DocKey(room_id, mentor), _private_update("ada only"))
        path = f"/api/notes/sessions/{room_id}"

        status, text = await get(server, path, mentee_token)
        assert status == 200, text
        assert "We talked about goals." in text and "- [ ] Draft a CV (@Grace)" in text
        assert "grace only" in text and "ada only" not in text
        status, text = await get(server, path, mentor_token)
        assert status == 200 and "ada only" in text and "grace only" not in text
        status, body = await get(server, path + "/recordings", mentee_token)
        assert status == 200 and body["recordings"] == []

        # the session ended: a week after, the link still reads; long after, it does not
        status, text = await get(server, path, signed_ago(room_id, mentee, 6 * DAY_S))
        assert status == 200 and "grace only" in text
        status, body = await get(server, path, signed_ago(room_id, mentee, 8 * DAY_S))
        assert status == 401 and body["error"]["code"] == "unauthorized"
        assert "expired" in body["error"]["message"]

        # another room's link reads nothing here; a person token still needs the booking
        other = await server.create_room("Eve", "Mallory")
        status, body = await get(server, path, token_of(other["links"]["mentee"]))
        assert status == 403 and body["error"]["code"] == "forbidden"
        _, stranger = await register(server, "Eve", "mentee")
        status, body = await get(server, path, stranger)
        assert status == 403 and body["error"]["code"] == "forbidden"
        status, body = await get(server, path, "not-a-token")
        assert status == 401 and body["error"]["code"] == "unauthorized"


async def test_roundtable_observers_and_guests_read_but_a_shareable_link_does_not() -> None:
    async with live_server() as server:
        body = await roundtable(server)
        room_id = body["room_id"]
        await server.services.notes.apply(DocKey(room_id), _private_update("agenda"))
        path = f"/api/notes/sessions/{room_id}"
        observer = next(p for p in body["links"]["participants"] if p["role"] == "observer")
        status, text = await get(server, path, token_of(observer["link"]))
        assert status == 200 and "agenda" in text and "## My private notes" in text
        status, answer = await get(server, path, token_of(body["links"]["shareable"]))
        assert status == 403 and answer["error"]["code"] == "forbidden"
        client = socketio.AsyncClient(reconnection=False)
        await client.connect(server.base_url, transports=["websocket"], wait_timeout=10)
        try:
            ack = await client.call("join", {"token": token_of(body["links"]["shareable"]),
                                             "display_name": "Quinn"}, timeout=20)
        finally:
            await client.disconnect()
        assert ack["ok"], ack
        personal = ack["token"]
        guest = server.services.signer.verify(personal).identity
        await server.services.notes.apply(DocKey(room_id, guest), _private_update("quinn's"))
        status, text = await get(server, path, personal)
        assert status == 200 and "quinn's" in text and "agenda" in text


async def test_the_export_names_owners_and_keeps_names_from_breaking_markdown() -> None:
    async with live_server() as server:
        mentor, _ = await register(server, "Ada Lovelace", "mentor")
        mentee, mentee_token = await register(server, '=HYPERLINK("http://x","y") [a](b) *c*',
                                              "mentee")
        room = await server.create_room("Ada", "Grace")
        room_id = room["room_id"]
        await server.services.notes.store.put_context(SessionContext(
            room_id=room_id, scope="booking:b1", people=(mentor, mentee), title="Coffee"))
        notes = server.services.notes
        await notes.apply(DocKey(room_id), _update_with(text="t", item_id="a1",
                                                        item_text="send draft", owner=mentee))
        await notes.apply(DocKey(room_id), _update_with(text="", item_id="a2",
                                                        item_text="book a room", owner=mentor))
        await notes.apply(DocKey(room_id), _update_with(text="", item_id="a3",
                                                        item_text="who", owner="Zz9_nobody"))
        await notes.apply(DocKey(room_id), _update_with(text="", item_id="a4", item_text="x",
                                                        owner="y\n\n## Injected <b>"))
        status, text = await get(server, f"/api/notes/sessions/{room_id}", ADMIN_KEY)
        assert status == 200, text
        lines = text.splitlines()
        assert "- [ ] book a room (@Ada Lovelace)" in lines
        assert ('- [ ] send draft (@=HYPERLINK\\("http://x","y"\\) \\[a\\]\\(b\\) \\*c\\*)'
                in lines)
        assert "- [ ] who (@Zz9\\_nobody)" in lines
        assert "- [ ] x (@y \\#\\# Injected \\<b\\>)" in lines
        assert not any(line.startswith("## Injected") for line in lines)
        status, text = await get(server, f"/api/notes/sessions/{room_id}", mentee_token)
        assert status == 200 and "(@Ada Lovelace)" in text
