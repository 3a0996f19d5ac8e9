"""The programmes REST API on a live server: import, match, review, publish, intro, accept,
coffee rounds, dashboard; webhooks through the outbox; bad imports write nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aiohttp
import redis.asyncio as aioredis

from rooms.clock import ManualClock
from rooms.notes.model import ActionItem, pair_scope
from rooms.scheduling.session_rooms import live_room_id
from tests.live_server import LiveServer, live_server
from tests.web.scheduling.test_webhooks import Receiver, hooked
from web.programmes.setup import PROGRAMMES

CSV = b"""key,name,role,zone,languages,skills,goals,capacity,exclusions,preferences,availability
lee,Lee,mentor,America/Los_Angeles,en,data engineering;sql,,2,dept:eng,,mon-fri 16:00-19:00
ana,Ana,mentor,Europe/Paris,en;fr,product design,,1,dept:design,,mon-fri 09:00-12:00
kenji,Kenji,mentee,Asia/Tokyo,en;ja,,move into data engineering,,,lee,mon-fri 09:00-12:00
lou,Lou,mentee,Europe/Paris,fr,,learn product design,,dept:eng,,mon-fri 10:00-13:00
"""
T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)


class Api:
    def __init__(self, server: LiveServer, http: aiohttp.ClientSession) -> None:
        self.server, self.http = server, http

    async def call(self, method: str, path: str, token: str | None = None,
                   body: Any = None, raw: bytes | None = None,
                   content_type: str = "text/csv") -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if raw is not None:
            headers["Content-Type"] = content_type
        async with self.http.request(method, self.server.base_url + path, json=body,
                                     data=raw, headers=headers) as response:
            return response.status, await response.json()

    async def admin(self, method: str, path: str, body: Any = None,
                    raw: bytes | None = None) -> tuple[int, Any]:
        return await self.call(method, path, self.server.admin_key, body, raw)


@asynccontextmanager
async def programme_api(name: str, clock: ManualClock | None = None,
                        **options: Any) -> AsyncIterator[tuple[Api, str]]:
    """A live server (``options`` as live_server's) with one new programme called ``name``:
    a client of the API and the programme's path, ``/api/programmes/{programme_id}``."""
    async with live_server(clock or ManualClock(T0.timestamp()), **options) as server, \
            aiohttp.ClientSession() as http:
        api = Api(server, http)
        status, programme = await api.admin("POST", "/api/programmes", {"name": name})
        assert status == 201, programme
        yield api, f"/api/programmes/{programme['programme_id']}"


async def test_the_whole_flow(deployment: dict[str, str]) -> None:
    clock = ManualClock(T0.timestamp())
    async with Receiver() as receiver, \
            live_server(clock, **hooked(receiver), **deployment) as server, \
            aiohttp.ClientSession() as http:
        api = Api(server, http)
        status, _ = await api.call("POST", "/api/programmes", None, {"name": "Spring"})
        assert status == 401
        status, programme = await api.admin("POST", "/api/programmes", {
            "name": "Spring", "default_availability": "mon-fri 09:00-17:00"})
        assert status == 201
        base = f"/api/programmes/{programme['programme_id']}"
        status, imported = await api.admin("POST", base + "/people.csv", raw=CSV)
        assert status == 201 and imported["imported"] == 4
        links = {p["key"]: p["schedule_link"].split("#token=")[1] for p in imported["people"]}
        status, matching = await api.admin("POST", base + "/matching", {})
        assert status == 200
        pairs = {p["mentee"]: p for p in matching["pairs"]}
        assert pairs["kenji"]["mentor"] == "lee" and "\u2194" in pairs["kenji"]["explanation"]
        status, error = await api.admin("POST", base + "/matching/swap",
                                        {"mentee_a": "kenji", "mentee_b": "lou"})
        assert (status, error["error"]["code"]) == (409, "pair_excluded")
        status, locked = await api.admin("POST", base + "/matching/lock",
                                         {"mentee": "kenji", "locked": True})
        assert status == 200 and {p["mentee"]: p for p in locked["pairs"]}["kenji"]["locked"]
        status, published = await api.admin("POST", base + "/publish")
        assert status == 200 and len(published["intros"]) == 2
        status, mine = await api.call("GET", base + "/intro", links["kenji"])
        assert status == 200 and mine["other_name"] == "Lee" and len(mine["times"]) == 3
        assert mine["explanation"].startswith("You are both free Tue, Wed, Thu and Fri "
                                              "mornings (your time)")
        assert "Lee's experience in data engineering" in mine["explanation"]
        assert all(t["mine"].endswith("+09:00") and t["theirs"].endswith("-08:00")
                   for t in mine["times"])
        status, booked = await api.call("POST", base + "/intro/accept", links["kenji"],
                                        {"start": mine["times"][0]["start"]})
        assert status == 201 and booked["start"] == mine["times"][0]["start"]
        # Kenji joins the booked room: the app's room service tells the attendance log
        sched = server.services.scheduling.service
        booking = await sched.bookings.get(booked["booking_id"])
        kenji = await sched.directory.person(imported["people"][2]["identity"])
        clock.set(sched.rooms.opens_at(booking).timestamp())
        await server.services.service.join(sched.rooms.grant_for(booking, kenji))
        programmes = server.app[PROGRAMMES].service
        assert await programmes.attendance.joined(live_room_id(booking)) == {kenji.identity}
        status, again = await api.call("POST", base + "/intro/accept", links["lee"],
                                       {"start": mine["times"][1]["start"]})
        assert (status, again["error"]["code"]) == (409, "booking_exists")
        status, lee_view = await api.call("GET", base + "/intro", links["lee"])
        assert lee_view["booking_id"] == booked["booking_id"]
        # the schedule page has only the token: /api/me/intro finds the programme
        status, found = await api.call("GET", "/api/me/intro", links["lee"])
        assert status == 200 and found == lee_view
        assert found["programme_id"] == programme["programme_id"]
        # the schedule page shows the times in the zone it shows everything else in
        status, paris = await api.call("GET", "/api/me/intro?zone=Europe/Paris", links["kenji"])
        assert status == 200 and paris["zone"] == "Europe/Paris"
        assert [t["start"] for t in paris["times"]] == [t["start"] for t in mine["times"]]
        assert all(t["mine"].endswith("+01:00") and t["theirs"].endswith("-08:00")
                   for t in paris["times"])
        status, error = await api.call("GET", "/api/me/intro?zone=Mars/Base", links["kenji"])
        assert (status, error["error"]["code"]) == (400, "unknown_zone")
        status, listed = await api.admin("GET", base + "/people")
        assert status == 200 and [(p["key"], p["role"], p["capacity"])
                                  for p in listed["people"]] == [
            ("lee", "mentor", 2), ("ana", "mentor", 1), ("kenji", "mentee", 0),
            ("lou", "mentee", 0)]
        assert lee_view["times"][0]["mine"].endswith("-08:00")
        status, coffee = await api.admin("POST", base + "/coffee-rounds", {})
        assert status == 201 and coffee["intros"]
        ids = {p["key"]: p["identity"] for p in imported["people"]}
        await server.services.notes.store.upsert_items(pair_scope(ids["lee"], ids["kenji"]), [
            ActionItem(id="i1", text="Read the SQL chapter", owner=ids["kenji"]),
            ActionItem(id="i2", text="Share the course list", done=True)])
        status, figures = await api.admin("GET", base + "/dashboard")
        assert status == 200
        assert (figures["mentors"], figures["mentees"], figures["matched"]) == (2, 2, 2)
        assert figures["first_sessions_booked"] == 1 and len(figures["coffee_rounds"]) == 1
        items = {p["mentee"]: p["open_action_items"] for p in figures["pairs"]}
        assert items == {"kenji": 1, "lou": 0}
        sender = server.services.scheduling.webhooks
        assert sender is not None
        await sender.drain()
        intros = receiver.of_type("programme.intro")
        assert len(intros) == 2
        assert {i["mentee"]["key"] for i in intros} == {"kenji", "lou"}
        told = next(i for i in intros if i["mentee"]["key"] == "kenji")
        assert "h/week overlap" in told["explanation"]  # the admin's
        assert told["mentee_explanation"] == mine["explanation"]  # what Kenji's page says
        assert told["mentor_explanation"].startswith("You are both free")
        assert "your experience in data engineering" in told["mentor_explanation"]
        assert receiver.of_type("booking.created")
        if deployment:
            client = aioredis.from_url(deployment["redis_url"], decode_responses=True)
            try:
                key = f"mentorcall:programme:{programme['programme_id']}"
                assert set(await client.hkeys(key)) == {"programme", "participants",
                                                        "people_count", "matching", "intros"}
                assert await client.llen(key + ":coffee") == 1
            finally:
                await client.aclose()


async def test_me_intro_before_publishing_and_outside_programmes() -> None:
    async with programme_api("Spring") as (api, base):
        _, imported = await api.admin("POST", base + "/people.csv", raw=CSV)
        token = imported["people"][0]["schedule_link"].split("#token=")[1]
        status, error = await api.call("GET", "/api/me/intro", token)
        assert (status, error["error"]["code"]) == (404, "intro_not_found")
        status, error = await api.call("GET", "/api/me/intro", "not-a-token")
        assert (status, error["error"]["code"]) == (401, "unauthorized")
        _, person = await api.admin("POST", "/api/people", {
            "display_name": "Outsider", "role": "mentee", "zone": "UTC"})
        status, error = await api.call("GET", "/api/me/intro",
                                       person["schedule_link"].split("#token=")[1])
        assert (status, error["error"]["code"]) == (404, "intro_not_found")
        status, _ = await api.admin("GET", "/api/programmes/nope/people")
        assert status == 404


async def test_a_persons_link_is_checked_as_the_scheduling_api_checks_it() -> None:
    async with live_server(ManualClock(T0.timestamp())) as server, \
            aiohttp.ClientSession() as http:
        api = Api(server, http)
        _, person = await api.admin("POST", "/api/people", {
            "display_name": "Outsider", "role": "mentee", "zone": "UTC"})
        old = person["schedule_link"].split("#token=")[1]
        status, _ = await api.admin("POST", f"/api/people/{person['identity']}/link")
        assert status == 200
        for token in (old, "not-a-token", None):
            answers = [await api.call("GET", path, token) for path in ("/api/me",
                                                                       "/api/me/intro")]
            assert answers[0] == answers[1], token
            assert answers[0][0] == 401 and answers[0][1]["error"]["code"] == "unauthorized"


async def test_bad_imports_write_nothing() -> None:
    async with programme_api("P") as (api, base):
        bad = CSV.replace(b"Asia/Tokyo", b"Asia/Tokio").replace(b",2,dept", b",-1,dept")
        status, error = await api.admin("POST", base + "/people.csv", raw=bad)
        assert status == 400 and error["error"]["code"] == "invalid_import"
        assert [(r["row"], r["key"]) for r in error["rows"]] == [(2, "lee"), (4, "kenji")]
        status, error = await api.admin("POST", base + "/people.csv",
                                        raw=CSV.decode().replace("Lee", "Lée").encode("cp1252"))
        assert (status, error["error"]["code"]) == (400, "bad_encoding")
        status, error = await api.admin("POST", base + "/people", {"people": [
            {"key": "a", "name": "A", "role": "mentor", "zone": "UTC"},
            {"key": "a", "name": "A2", "role": "mentee", "zone": "UTC"}]})
        assert status == 400 and "duplicate person" in error["rows"][0]["reason"]
        status, error = await api.admin("POST", base + "/people", {"people": [
            {"key": "a", "name": "A", "role": "mentor", "zone": "UTC", "colour": "red"},
            {"key": "b", "name": "B", "role": "mentee", "zone": "UTC", "capacity": -1}]})
        assert status == 400 and [r["row"] for r in error["rows"]] == [1, 2]
        assert "unknown fields 'colour'" in error["rows"][0]["reason"]
        status, error = await api.admin("POST", base + "/matching", {})
        assert status == 409 and error["error"]["code"] == "programme_infeasible"
        status, shown = await api.admin("GET", base)
        assert (shown["mentors"], shown["mentees"]) == (0, 0)
        people = api.server.services.scheduling.service.directory
        assert await people.everyone() == []
        status, error = await api.admin("GET", "/api/programmes/nope/matching")
        assert (status, error["error"]["code"]) == (404, "programme_not_found")


async def test_a_publish_while_another_process_publishes_is_409(redis_url: str) -> None:
    async with programme_api("P", redis_url=redis_url) as (api, base):
        await api.admin("POST", base + "/people.csv", raw=CSV)
        await api.admin("POST", base + "/matching", {})
        client = aioredis.from_url(redis_url, decode_responses=True)
        programme_id = base.removeprefix("/api/programmes/")
        lease = f"mentorcall:programme:{programme_id}:lease:publish"
        try:
            await client.set(lease, "another-process", px=60_000)  # its publish is running
            status, error = await api.admin("POST", base + "/publish")
            assert (status, error["error"]["code"]) == (409, "publish_in_progress")
            assert "try again" in error["error"]["message"]
            assert await client.get(lease) == "another-process"  # not taken over
            await client.delete(lease)
            status, published = await api.admin("POST", base + "/publish")
            assert status == 200 and len(published["intros"]) == 2
            assert not await client.exists(lease)
        finally:
            await client.aclose()


async def test_importing_again_says_who_left() -> None:
    async with programme_api("P") as (api, base):
        status, first = await api.admin("POST", base + "/people.csv", raw=CSV)
        assert status == 201 and first["left"] == []
        without_lou = b"".join(line for line in CSV.splitlines(keepends=True)
                               if not line.startswith(b"lou,"))
        status, again = await api.admin("POST", base + "/people.csv", raw=without_lou)
        assert status == 201 and again["left"] == ["lou"] and again["imported"] == 3
        assert [p["identity"] for p in again["people"]] == [
            p["identity"] for p in first["people"] if p["key"] != "lou"]
        lou_token = first["people"][3]["schedule_link"].split("#token=")[1]
        status, _ = await api.call("GET", "/api/me/intro", lou_token)
        assert status == 401
