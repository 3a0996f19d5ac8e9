"""A recording made in a booked room carries its booking (the admin list filtered by that
booking finds it, memory and Redis stores) and links to the session's notes, whose export
and recordings list link back to it (ids and links for admins only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from rooms.clock import ManualClock
from rooms.notes.model import SessionContext
from rooms.scheduling.availability import Availability
from rooms.scheduling.booking_service import SchedulingService
from rooms.scheduling.bookings import Booking
from tests.live_server import ADMIN_KEY, LiveServer, live_server
from tests.signaling.client import SignalClient
from tests.signaling.participant import Participant
from tests.web.scheduling.client import ALL_WEEK, T0

ALL_WEEK_AVAILABILITY = Availability.model_validate(
    {"zone": "UTC", "weekly": {day: [("00:00", "00:00")] for day in ALL_WEEK}})


@pytest.fixture(params=["memory", "redis"])
def store_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    if request.param == "redis":
        return {"redis_url": request.getfixturevalue("clean_redis_url")}
    return {}


@dataclass
class Booked:
    server: LiveServer
    http: aiohttp.ClientSession
    booking: Booking
    other: Booking
    tokens: dict[str, str]  # schedule tokens by name: Ada (mentor), Kenji (mentee), Eve

    async def get(self, path: str, token: str = ADMIN_KEY,
                  **query: str) -> tuple[int, Any]:
        async with self.http.get(f"{self.server.base_url}{path}", params=query,
                                 headers={"Authorization": f"Bearer {token}"}) as r:
            body = (await r.json() if r.content_type == "application/json"
                    else await r.text())
            return r.status, body


async def register(server: LiveServer, http: aiohttp.ClientSession, name: str,
                   role: str) -> tuple[str, str]:
    async with http.post(f"{server.base_url}/api/people",
                         json={"display_name": name, "role": role, "zone": "UTC"},
                         headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as response:
        body: dict[str, Any] = await response.json()
        assert response.status == 201, body
    return body["identity"], body["schedule_link"].split("#token=", 1)[1]


async def book_and_record(server: LiveServer, http: aiohttp.ClientSession,
                          clock: ManualClock) -> tuple[Booked, str]:
    """A coffee session booked through the scheduling service, recorded in its room by
    its mentor; answers the recording's id."""
    service: SchedulingService = server.services.scheduling.service
    tokens: dict[str, str] = {}
    people = {}
    for name, role in (("Ada", "mentor"), ("Kenji", "mentee"), ("Eve", "mentee")):
        identity, tokens[name] = await register(server, http, name, role)
        await service.directory.save_availability(identity, ALL_WEEK_AVAILABILITY)
        people[name] = await service.directory.person(identity)
    start = T0 + timedelta(days=1)
    [booking] = await service.book(people["Kenji"], [people["Ada"].identity],
                                   roundtable=False, start=start, length_min=30)
    [other] = await service.book(people["Kenji"], [people["Ada"].identity],
                                 roundtable=False, start=start + timedelta(hours=2),
                                 length_min=30)
    clock.set(start.timestamp())
    token = service.rooms.join_token(booking, people["Ada"])
    assert token is not None
    signal = await SignalClient().connect(server.base_url)
    ada = Participant("Ada", signal)
    try:
        await ada.join(token)
        ack = await signal.call("start_recording", {})
        assert ack["ok"], ack
        recording_id = str(ack["recording"]["recording_id"])
        assert (await signal.call("stop_recording", {}))["ok"]
    finally:
        await ada.close()
    return Booked(server, http, booking, other, tokens), recording_id


async def test_a_recording_in_a_booked_room_is_listed_under_its_booking(
        store_settings: dict[str, Any]) -> None:
    clock = ManualClock(T0.timestamp())
    async with live_server(clock, **store_settings) as server, \
            aiohttp.ClientSession() as http:
        booked, recording_id = await book_and_record(server, http, clock)

        async def listed(booking_id: str) -> list[str]:
            status, body = await booked.get("/api/recordings", booking_id=booking_id)
            assert status == 200, body
            return [found["recording_id"] for found in body]

        assert await listed(booked.booking.booking_id) == [recording_id]
        assert await listed(booked.other.booking_id) == []


async def test_a_recorded_session_links_to_its_notes_and_back() -> None:
    clock = ManualClock(T0.timestamp())
    async with live_server(clock) as server, aiohttp.ClientSession() as http:
        booked, recording_id = await book_and_record(server, http, clock)
        admin_link = f"/api/recordings/{recording_id}"
        status, meta = await booked.get(admin_link)
        assert status == 200, meta
        room_id = meta["room_id"]
        notes_url = f"/api/notes/sessions/{room_id}"
        assert meta["notes_url"] == notes_url

        # the admin reads the notes the recording links to: they link back
        status, text = await booked.get(notes_url)
        assert status == 200, text
        assert "## Recordings" in text and f"`{recording_id}`, {admin_link}" in text
        status, body = await booked.get(notes_url + "/recordings")
        assert status == 200, body
        assert [(r["recording_id"], r["url"], r["state"]) for r in body["recordings"]] == [
            (recording_id, admin_link, "stopped")]

        # a participant learns that the session was recorded, and no id or link
        for name in ("Ada", "Kenji"):
            status, text = await booked.get(notes_url, booked.tokens[name])
            assert status == 200, text
            assert "## Recordings" in text and "(stopped)" in text
            assert recording_id not in text and admin_link not in text
            status, body = await booked.get(notes_url + "/recordings", booked.tokens[name])
            assert status == 200, body
            assert [(r["recording_id"], r["url"], r["state"]) for r in body["recordings"]] == [
                (None, None, "stopped")]
        # someone else is refused, and so is a participant at the recording itself
        status, body = await booked.get(notes_url + "/recordings", booked.tokens["Eve"])
        assert status == 403 and body["error"]["code"] == "forbidden"
        status, _ = await booked.get(admin_link, booked.tokens["Kenji"])
        assert status in (401, 403)
        # an unrecorded session's export has no recordings section
        await server.services.notes.store.put_context(SessionContext(
            room_id=f"{room_id}x", scope="pair:a+b", people=("a", "b"), title="Unrecorded"))
        status, text = await booked.get(f"/api/notes/sessions/{room_id}x")
        assert status == 200 and "## Recordings" not in text


async def test_the_admin_page_session_reads_the_notes_a_recording_links_to() -> None:
    clock = ManualClock(T0.timestamp())
    async with live_server(clock) as server, aiohttp.ClientSession(
            cookie_jar=aiohttp.DummyCookieJar()) as http:
        booked, recording_id = await book_and_record(server, http, clock)
        response = await http.post(f"{server.base_url}/api/recordings-session",
                                   json={"credential": ADMIN_KEY})
        assert response.status == 200, await response.text()
        cookie = response.cookies["mentorcall_admin"].value
        _, meta = await booked.get(f"/api/recordings/{recording_id}")

        async def read(cookie_value: str) -> tuple[int, str]:
            async with http.get(f"{server.base_url}{meta['notes_url']}",
                                headers={"Cookie": f"mentorcall_admin={cookie_value}"}) as r:
                return r.status, await r.text()

        status, text = await read(cookie)
        assert status == 200 and f"`{recording_id}`" in text
        status, _ = await read(cookie[:-2] + "xx")  # tampered: not an admin
        assert status == 401
