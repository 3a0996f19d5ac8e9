"""The admin recordings API on a live server: access, listing, metadata, signed downloads
with Range, deletion, and the audit log of every access and refusal."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
import pytest
from yarl import URL

from rooms.clock import ManualClock
from rooms.grants import JoinGrant
from rooms.models import Role
from rooms.recordings.model import (
    ConsentDecision,
    ConsentEntry,
    FileKind,
    Recording,
    RecordingFile,
    RecordingState,
)
from tests.live_server import LiveServer, live_server
from tests.rooms.recordings.builders import recording
from tests.web.recordings.hosted import hosted_room
from web.recordings.setup import RECORDINGS, Recordings

START = 1_800_000_000.0
DATA = os.urandom(50_000)


@dataclass
class Api:
    server: LiveServer
    http: aiohttp.ClientSession
    clock: ManualClock

    @property
    def recordings(self) -> Recordings:
        return self.server.app[RECORDINGS]

    def url(self, path: str) -> str:
        return self.server.base_url + path

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.server.admin_key}"}

    def token(self, admin: bool, room_id: str = "room-1") -> dict[str, str]:
        grant = JoinGrant(room_id=room_id, identity="someone", display_name="Someone",
                          role=Role.MENTOR, publish=True, subscribe=True, admin=admin)
        return {"Authorization": "Bearer " + self.server.services.signer.issue(grant, 600)}

    async def get(self, path: str, headers: dict[str, str] | None = None,
                  **query: Any) -> tuple[int, Any]:
        response = await self.http.get(self.url(path), headers=headers, params=query)
        return response.status, await response.json()

    async def link(self, rid: str = "rec-1", name: str = "mentor-1.video.webm") -> str:
        response = await self.http.post(self.url(f"/api/recordings/{rid}/files/{name}/link"),
                                         headers=self.admin())
        body = await response.json()
        assert response.status == 200, body
        assert body["size"] == len(DATA)
        return str(body["url"])

    async def audit(self, **query: Any) -> list[dict[str, Any]]:
        status, body = await self.get("/api/recordings-audit", self.admin(), **query)
        assert status == 200, body
        return list(body["entries"])


def with_files(made: Recording) -> Recording:
    consent = [ConsentEntry(identity="mentor-1", at=START + 1,
                            decision=ConsentDecision.ACCEPTED, session_id="sid-a"),
               ConsentEntry(identity="mentee-1", at=START + 2,
                            decision=ConsentDecision.DECLINED, session_id="sid-b")]
    files = [RecordingFile(name="mentor-1.video.webm", kind=FileKind.TRACK, size=len(DATA),
                           peer="mentor-1")]
    return made.model_copy(update={"consent": consent, "files": files,
                                   "names": {"mentor-1": "Mia", "mentee-1": "Tom"},
                                   "room_title": "Career chat"})


@pytest.fixture
async def api() -> AsyncIterator[Api]:
    clock = ManualClock(START)
    async with live_server(clock) as server, aiohttp.ClientSession() as http:
        made = Api(server, http, clock)
        store, files = made.recordings.store, made.recordings.storage
        await store.create(with_files(recording("rec-1", "room-1", START - 3600,
                                                started_by="mentor-1", booking_id="b-1",
                                                active=False)))
        await files.put_bytes("rec-1", "mentor-1.video.webm", DATA)
        await store.create(recording("rec-2", "room-2", START - 60, started_by="host-2"))
        for room_id in ("room-1", "room-2"):  # "someone" hosts both (see Api.token)
            await hosted_room(server, room_id, "someone", START)
        yield made


async def test_non_admins_are_refused_and_audited(api: Api) -> None:
    assert (await api.get("/api/recordings"))[0] == 401
    wrong = {"Authorization": "Bearer not-the-key"}
    status, body = await api.get("/api/recordings/rec-1", wrong)
    assert status == 401 and body["error"]["code"] == "unauthorized"
    status, body = await api.get("/api/recordings", api.token(admin=False))
    assert status == 403 and body["error"]["code"] == "forbidden"
    response = await api.http.delete(api.url("/api/recordings/rec-1"))
    assert response.status == 401
    assert (await api.get("/api/recordings-audit", api.token(admin=False)))[0] == 403
    status, body = await api.get("/api/recordings", api.token(admin=True))
    assert status == 200 and [r["recording_id"] for r in body] == ["rec-1"]  # its room
    assert await api.recordings.store.get("rec-1") is not None
    entries = await api.audit()
    assert [(e["actor"], e["action"], e["outcome"], e["code"], e["recording_id"])
            for e in reversed(entries)] == [
        ("anonymous", "list", "refused", "unauthorized", None),
        ("anonymous", "read", "refused", "unauthorized", "rec-1"),
        ("token:someone", "list", "refused", "forbidden", None),
        ("anonymous", "delete", "refused", "unauthorized", "rec-1"),
        ("token:someone", "audit", "refused", "forbidden", None),
        ("token:someone", "list", "allowed", None, None),
    ]
    assert entries[0]["remote"] == "127.0.0.1"


async def test_admin_tokens_reach_their_own_room_only(api: Api) -> None:
    """The admin grant comes with every roundtable host's join token: it must not open
    the recordings of other rooms, deletion or the audit log."""
    room_1, room_2 = api.token(admin=True), api.token(admin=True, room_id="room-2")
    assert (await api.get("/api/recordings/rec-1", room_1))[0] == 200
    status, body = await api.get("/api/recordings/rec-1", room_2)
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, body = await api.get("/api/recordings", room_2, room_id="room-1")
    assert status == 403
    status, body = await api.get("/api/recordings", room_2)
    assert [r["recording_id"] for r in body] == ["rec-2"]
    response = await api.http.post(
        api.url("/api/recordings/rec-1/files/mentor-1.video.webm/link"), headers=room_2)
    assert response.status == 403
    response = await api.http.post(
        api.url("/api/recordings/rec-1/files/mentor-1.video.webm/link"), headers=room_1)
    assert response.status == 200
    response = await api.http.delete(api.url("/api/recordings/rec-1"), headers=room_1)
    assert response.status == 403 and await api.recordings.store.get("rec-1") is not None
    assert (await api.get("/api/recordings-audit", room_1))[0] == 403
    refused = [(e["action"], e["recording_id"]) for e in await api.audit()
               if e["outcome"] == "refused"]
    assert refused == [("audit", None), ("delete", "rec-1"), ("link", "rec-1"),
                       ("list", None), ("read", "rec-1")]


async def test_list_filters(api: Api) -> None:
    async def ids(**query: Any) -> list[str]:
        status, body = await api.get("/api/recordings", api.admin(), **query)
        assert status == 200, body
        return [r["recording_id"] for r in body]

    assert await ids() == ["rec-2", "rec-1"]
    assert await ids(room_id="room-1") == ["rec-1"]
    assert await ids(booking_id="b-1") == ["rec-1"]
    assert await ids(participant="mentee-1") == ["rec-1"]
    assert await ids(participant="host-2") == ["rec-2"]
    assert await ids(since="2027-01-15T06:00:00Z") == ["rec-2", "rec-1"]  # START - 2 h
    assert await ids(since="2027-01-15T08:00:00+01:00") == ["rec-2", "rec-1"]
    assert await ids(since="2027-01-15T08:00:00") == []  # UTC: START itself
    assert await ids(since=str(START - 600)) == ["rec-2"]
    assert await ids(until=str(START - 600), room_id="room-1") == ["rec-1"]
    assert await ids(limit="1") == ["rec-2"]
    for bad in ({"limit": "0"}, {"since": "yesterday"}, {"room_id": "../x"}, {"x": "1"}):
        status, body = await api.get("/api/recordings", api.admin(), **bad)
        assert status == 400 and body["error"]["code"] == "invalid_body", bad


async def test_metadata(api: Api) -> None:
    status, body = await api.get("/api/recordings/rec-1", api.admin())
    assert status == 200
    assert body["duration_s"] == 60 and body["state"] == "stopped"
    assert body["participants"] == ["mentor-1", "mentee-1"]
    assert body["names"] == {"mentor-1": "Mia", "mentee-1": "Tom"}
    assert body["room_title"] == "Career chat"
    assert [(c["identity"], c["decision"], c["session_id"]) for c in body["consent"]] == [
        ("mentor-1", "accepted", "sid-a"), ("mentee-1", "declined", "sid-b")]
    assert body["files"][0]["size"] == len(DATA) and body["total_bytes"] == len(DATA)
    assert body["composition"] == {"state": "pending", "percent": 0.0, "attempts": 0,
                                   "error": None, "worker": None, "lease_until": None}
    status, body = await api.get("/api/recordings/rec-9", api.admin())
    assert status == 404 and body["error"]["code"] == "recording_not_found"


async def fetch(api: Api, url: str, range_: str | None = None,
                method: str = "GET") -> aiohttp.ClientResponse:
    headers = {"Range": range_} if range_ else {}
    response = await api.http.request(method, url, headers=headers)
    await response.read()
    return response


async def test_signed_download_with_ranges(api: Api) -> None:
    url = await api.link()
    whole = await fetch(api, url)
    assert whole.status == 200 and await whole.read() == DATA
    assert whole.headers["Accept-Ranges"] == "bytes"
    assert whole.headers["Content-Type"] == "video/webm"
    part = await fetch(api, url, "bytes=100-199")
    assert part.status == 206 and await part.read() == DATA[100:200]
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(DATA)}"
    tail = await fetch(api, url, "bytes=-10")
    assert tail.status == 206 and await tail.read() == DATA[-10:]
    rest = await fetch(api, url, f"bytes={len(DATA) - 3}-")
    assert await rest.read() == DATA[-3:]
    past = await fetch(api, url, f"bytes={len(DATA) - 3}-{len(DATA) + 100}")
    assert past.status == 206 and await past.read() == DATA[-3:]  # clamped to the end
    head = await fetch(api, url, method="HEAD")
    assert head.status == 200 and head.headers["Content-Length"] == str(len(DATA))
    for outside in (f"bytes={len(DATA)}-", f"bytes={len(DATA) + 5}-{len(DATA) + 9}",
                    "bytes=0-1,5-9", "bytes=-0", "bytes=9-2"):
        refused = await fetch(api, url, outside)
        assert refused.status == 416, outside
        assert refused.headers["Content-Range"] == f"bytes */{len(DATA)}"
        assert (await refused.json())["error"]["code"] == "range_not_satisfiable"
    downloads = [e for e in await api.audit(recording_id="rec-1")
                 if e["action"] == "download"]
    # the same refusal from one address within a minute: written once, the rest counted
    assert [e["outcome"] for e in downloads].count("refused") == 1
    assert f"bytes 100-199/{len(DATA)}" in [e["detail"] for e in downloads]
    assert {e["actor"] for e in downloads} == {"link"}


def altered(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return parts._replace(query=urlencode(query)).geturl()


async def test_tampered_and_expired_links_are_refused_and_audited(api: Api) -> None:
    url = await api.link()
    sig = parse_qs(urlsplit(url).query)["sig"][0]
    expires = int(parse_qs(urlsplit(url).query)["expires"][0])
    flipped = sig[:-1] + ("0" if sig[-1] != "0" else "1")
    tampered = [altered(url, sig=flipped), altered(url, expires=str(expires + 3600)),
                url.replace("mentor-1.video.webm?", "mentor-2.video.webm?"),
                url.replace("/rec-1/", "/rec-2/"), url.split("?")[0],
                altered(url, sig=""), altered(url, expires="1e99")]
    for bad in tampered:
        response = await fetch(api, bad)
        assert response.status == 403, bad
        assert (await response.json())["error"]["code"] == "link_invalid"
    api.clock.advance(expires - START)  # the link's last second has passed
    response = await fetch(api, url)
    assert response.status == 403 and (await response.json())["error"]["code"] == "link_expired"
    refusals = [e for e in await api.audit() if e["outcome"] == "refused"]
    assert [e["code"] for e in refusals] == ["link_expired", "link_invalid"]  # 7 in one


@pytest.mark.parametrize("path", [
    "/api/recordings/rec-1/files/.env/link",
    "/api/recordings/rec-1/files/a..b/link",
    "/api/recordings/rec-1/files/..%2F..%2Fetc%2Fpasswd/link",
    "/api/recordings/..%2Frec-1/files/x.webm/link",
    "/api/recordings/rec%00/files/x.webm/link",
])
async def test_path_like_ids_are_refused_and_audited(api: Api, path: str) -> None:
    response = await api.http.post(URL(api.url(path), encoded=True), headers=api.admin())
    assert response.status == 400, path
    assert (await response.json())["error"]["code"] == "invalid_recording_id"
    entries = await api.audit()
    assert (entries[0]["action"], entries[0]["code"]) == ("link", "invalid_recording_id")


async def test_path_like_download_is_refused(api: Api) -> None:
    for name in (".env", "a..b", "%2E%2E", "..%2Fsecret", "%2Fetc%2Fpasswd"):
        url = URL(api.url(f"/api/recordings/rec-1/files/{name}?expires=1&sig=x"), encoded=True)
        response = await api.http.get(url)
        assert response.status == 400, name
        assert (await response.json())["error"]["code"] == "invalid_recording_id"
    entries = await api.audit()
    assert [(e["code"], e["recording_id"], e["file"]) for e in entries] == [
        ("invalid_recording_id", "rec-1", "(invalid)")]  # 5 alike, from one address


async def test_delete(api: Api) -> None:
    url = await api.link()
    response = await api.http.delete(api.url("/api/recordings/rec-2"), headers=api.admin())
    assert response.status == 409  # still recording
    assert (await response.json())["error"]["code"] == "recording_in_progress"
    # a recording whose node was lost waits for its recovery (its files are not final)
    await api.recordings.store.update("rec-2", lambda r: r.model_copy(
        update={"state": RecordingState.INTERRUPTED}))
    response = await api.http.delete(api.url("/api/recordings/rec-2"), headers=api.admin())
    assert response.status == 409
    assert "server was lost" in (await response.json())["error"]["message"]
    response = await api.http.delete(api.url("/api/recordings/rec-1"), headers=api.admin())
    assert response.status == 200
    assert await response.json() == {"recording_id": "rec-1", "files_deleted": 1}
    assert await api.recordings.store.get("rec-1") is None
    assert await api.recordings.storage.files("rec-1") == []
    assert (await fetch(api, url)).status == 404  # the link outlives nothing
    response = await api.http.delete(api.url("/api/recordings/rec-1"), headers=api.admin())
    assert response.status == 404
    assert [(e["action"], e["recording_id"], e["code"]) for e in await api.audit()] == [
        ("delete", "rec-1", "recording_not_found"), ("download", "rec-1", "recording_not_found"),
        ("delete", "rec-1", None), ("delete", "rec-2", "recording_in_progress"),
        ("delete", "rec-2", "recording_in_progress"), ("link", "rec-1", None)]


async def test_the_pages_polling_is_audited_once_a_minute_and_downloads_every_time(
    api: Api,
) -> None:
    """The page asks for the list every 3 s while something runs: one entry a minute
    (counting the rest), where each download and refusal keeps its own."""
    for _ in range(20):
        status, _ = await api.get("/api/recordings", api.admin())
        assert status == 200
        status, _ = await api.get("/api/recordings/rec-1", api.admin())
        assert status == 200
        assert (await api.get("/api/recordings", api.token(admin=False)))[0] == 403
        api.clock.advance(3)
    url = await api.link()
    for _ in range(3):
        assert (await fetch(api, url, "bytes=0-9")).status == 206
    status, _ = await api.get("/api/recordings", api.admin())  # 60 s after the first
    assert status == 200
    entries = await api.audit()
    lists = [e for e in entries if e["action"] == "list" and e["outcome"] == "allowed"]
    assert sorted(e["at"] - START for e in lists) == [0, 60]
    assert "+19 identical since" in max(lists, key=lambda e: e["at"])["detail"]
    reads = [e for e in entries if e["action"] == "read"]
    assert len(reads) == 1 and reads[0]["recording_id"] == "rec-1"
    assert len([e for e in entries if e["action"] == "download"]) == 3
    refused = [e for e in entries if e["outcome"] == "refused"]
    assert len(refused) == 1 and refused[0]["code"] == "forbidden"  # 20, counted in one
