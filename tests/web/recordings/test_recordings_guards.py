"""Guards of the recordings API found by review: a host token reaches recordings only
while its holder still hosts the room; refused requests cannot flood the audit log or
write what they like into it; only a recording's listed files are linked or served."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from yarl import URL

from rooms.clock import ManualClock
from rooms.models import Role
from rooms.recordings.model import FileKind, RecordingFile
from rooms.roundtables import rules
from rooms.service import CreatedRoundtable
from tests.live_server import LiveServer, live_server
from tests.rooms.recordings.builders import recording
from web.recordings.setup import RECORDINGS, Recordings

START = 1_800_000_000.0
DATA = os.urandom(1000)
TRACK = "host.video.001.webm"
SIDECAR = TRACK + ".json"  # in the folder, not in the recording's files


@dataclass
class Api:
    server: LiveServer
    http: aiohttp.ClientSession
    clock: ManualClock
    table: CreatedRoundtable

    @property
    def recordings(self) -> Recordings:
        return self.server.app[RECORDINGS]

    def url(self, path: str) -> str:
        return self.server.base_url + path

    def bearer(self, credential: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {credential or self.server.admin_key}"}

    async def call(self, method: str, path: str, headers: dict[str, str] | None = None,
                   **kwargs: Any) -> tuple[int, Any]:
        response = await self.http.request(method, URL(self.url(path), encoded=True),
                                           headers=headers, **kwargs)
        return response.status, await response.json()

    async def audit(self) -> list[dict[str, Any]]:
        status, body = await self.call("GET", "/api/recordings-audit", self.bearer(),
                                       params={"limit": "1000"})
        assert status == 200, body
        return list(body["entries"])


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    clock = ManualClock(START)
    async with live_server(clock) as server, aiohttp.ClientSession(
            cookie_jar=aiohttp.DummyCookieJar()) as http:
        table = await server.services.service.create_roundtable_room(
            3600, "Roundtable A", "Hal", [("Pam", Role.PARTICIPANT)], 3600)
        made = Api(server, http, clock, table)
        room_id = table.room.room_id
        files = [RecordingFile(name=TRACK, kind=FileKind.TRACK, size=len(DATA), peer="h")]
        await made.recordings.store.create(recording(
            "rec_A", room_id, START - 600, active=False).model_copy(update={"files": files}))
        await made.recordings.storage.put_bytes("rec_A", TRACK, DATA)
        await made.recordings.storage.put_bytes("rec_A", SIDECAR, b'{"secret":"sidecar"}')
        yield made


async def hand_over_and_remove(api: Api, old: str, new: str) -> None:
    """``new`` comes in, takes over hosting from ``old`` and then removes them (the
    rules of the roundtable, on the server's own store)."""
    roundtables = api.server.services.service.roundtables
    state = await roundtables.state(api.table.room.room_id)
    state = rules.enter(state, new, "Pam", Role.PARTICIPANT, START)
    state = rules.hand_over(state, old, new, [(old, START), (new, START)])
    assert state.role_of(old) is Role.CO_HOST
    await roundtables.put(api.table.room, state)
    assert (await api.call("GET", "/api/recordings", api.bearer(api.table.host_token)))[0] == 200
    await roundtables.put(api.table.room, rules.ban(state, new, old))


async def test_a_removed_former_host_no_longer_reaches_the_rooms_recordings(api: Api) -> None:
    host = api.bearer(api.table.host_token)
    host_id = api.server.services.signer.verify(api.table.host_token).identity
    pam_id = api.server.services.signer.verify(api.table.invites[0].token).identity
    status, body = await api.call("GET", "/api/recordings", host)
    assert status == 200 and [r["recording_id"] for r in body] == ["rec_A"]
    response = await api.http.post(api.url("/api/recordings-session"),
                                   json={"credential": api.table.host_token})
    assert response.status == 200
    cookie = "mentorcall_admin=" + response.cookies["mentorcall_admin"].value
    assert (await api.call("GET", "/api/recordings/rec_A", {"Cookie": cookie}))[0] == 200

    await hand_over_and_remove(api, host_id, pam_id)
    for method, path, headers in [
            ("GET", "/api/recordings", host),
            ("GET", "/api/recordings/rec_A", host),
            ("POST", f"/api/recordings/rec_A/files/{TRACK}/link", host),
            ("GET", "/api/recordings/rec_A", {"Cookie": cookie})]:  # its page session too
        status, body = await api.call(method, path, headers)
        assert status == 403, (path, body)
        assert body["error"]["code"] == "forbidden"
        assert "not a host of that room any more" in body["error"]["message"]
    response = await api.http.post(api.url("/api/recordings-session"),
                                   json={"credential": api.table.host_token})
    assert response.status == 403 and "Set-Cookie" not in response.headers
    refused = [(e["actor"], e["action"], e["code"]) for e in await api.audit()
               if e["outcome"] == "refused"]
    assert refused == [(f"token:{host_id}", action, "forbidden")
                       for action in ("signin", "link", "read", "list")]


async def test_refusals_write_no_chosen_text_and_one_entry_a_minute_per_address(
        api: Api) -> None:
    forged = "/api/recordings/rec_A%20deleted%20by%20admin%20-%20ignore"
    for _ in range(50):  # nobody's credential
        status, body = await api.call("GET", forged)
        assert (status, body["error"]["code"]) == (401, "unauthorized")
    status, body = await api.call("GET", f"/api/recordings/rec_A/files/{'x.' * 150}?sig=1")
    assert (status, body["error"]["code"]) == (400, "invalid_recording_id")
    entries = await api.audit()
    assert [(e["actor"], e["action"], e["recording_id"], e["file"]) for e in entries] == [
        ("link", "download", "rec_A", "(invalid)"),  # a plain id, a name that is not one
        ("anonymous", "read", "(invalid)", None)]
    assert all("deleted" not in str(e) for e in entries)
    api.clock.advance(60)
    assert (await api.call("GET", forged))[0] == 401
    latest = (await api.audit())[0]
    assert latest["action"] == "read" and "+49 refused alike since" in latest["detail"]
    # the admin key's own refusals, and every allowed download, are each written
    for _ in range(3):
        assert (await api.call("GET", "/api/recordings/rec_B", api.bearer()))[0] == 404
    assert [e["code"] for e in await api.audit()][:3] == ["recording_not_found"] * 3


async def test_only_the_recordings_listed_files_are_linked_or_served(api: Api) -> None:
    for credential in (None, api.table.host_token):
        status, body = await api.call("POST", f"/api/recordings/rec_A/files/{SIDECAR}/link",
                                      api.bearer(credential))
        assert status == 404, body
        assert body["error"]["code"] == "recording_file_not_found"
    signed = api.recordings.links.sign("rec_A", SIDECAR)  # a link signed before the fix
    response = await api.http.get(api.url(signed.path))
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "recording_file_not_found"
    status, body = await api.call("POST", f"/api/recordings/rec_A/files/{TRACK}/link",
                                  api.bearer())
    assert status == 200
    response = await api.http.get(body["url"])
    assert response.status == 200 and await response.read() == DATA
    refused = [(e["action"], e["file"], e["code"]) for e in await api.audit()
               if e["outcome"] == "refused"]
    assert refused == [("download", SIDECAR, "recording_file_not_found"),
                       ("link", SIDECAR, "recording_file_not_found"),
                       ("link", SIDECAR, "recording_file_not_found")]
