"""Programme settings checked at creation and changeable; bounded imports, weeks and a
mentor's several intros over HTTP (review findings 5, 6, 7, 8, 17)."""

from __future__ import annotations

import json

import aiohttp

from rooms.clock import ManualClock
from tests.live_server import live_server

from .test_api import T0, Api, programme_api

CAP2 = b"""key,name,role,zone,capacity,availability
mo,Mo Mentor,mentor,Europe/Paris,2,mon-fri 09:00-10:30
x1,Xia One,mentee,Europe/Paris,,mon-fri 09:00-10:30
x2,Xu Two,mentee,Europe/Paris,,mon-fri 09:00-10:30
"""


async def test_settings_are_checked_at_creation_and_can_be_changed() -> None:
    async with live_server(ManualClock(T0.timestamp())) as server, \
            aiohttp.ClientSession() as http:
        api = Api(server, http)
        status, error = await api.admin("POST", "/api/programmes", {
            "name": "DA", "default_availability": "mon 12:00-09:00"})
        assert (status, error["error"]["code"]) == (400, "invalid_body")
        assert "default_availability" in error["error"]["message"]
        assert "ends before it starts" in error["error"]["message"]
        _, programme = await api.admin("POST", "/api/programmes", {"name": "DA"})
        base = f"/api/programmes/{programme['programme_id']}"
        status, changed = await api.admin("PATCH", base, {
            "name": "DA 2", "default_availability": "mon-fri 09:00-12:00", "auto_book": True})
        assert status == 200 and (changed["name"], changed["auto_book"]) == ("DA 2", True)
        assert changed["coffee_every_weeks"] == programme["coffee_every_weeks"]
        status, shown = await api.admin("GET", base)
        assert (shown["name"], shown["auto_book"]) == ("DA 2", True)
        status, error = await api.admin("PATCH", base, {"default_availability": "mon 9-5"})
        assert (status, error["error"]["code"]) == (400, "invalid_body")
        status, error = await api.admin("PATCH", base, {"colour": "red"})
        assert (status, error["error"]["code"]) == (400, "invalid_body")
        status, error = await api.call("PATCH", base, None, {"name": "X"})
        assert (status, error["error"]["code"]) == (401, "unauthorized")
        status, error = await api.admin("PATCH", "/api/programmes/nope", {"name": "X"})
        assert (status, error["error"]["code"]) == (404, "programme_not_found")


async def test_bad_imports_are_coded_and_short() -> None:
    async with programme_api("P") as (api, base):
        status, error = await api.admin("POST", base + "/people.csv",
                                        raw=b"key,name,role,zone\n" + b"x\n" * 20_000)
        assert (status, error["error"]["code"]) == (400, "invalid_import")
        assert error["error"]["message"] == "At most 5000 people per import."
        status, error = await api.admin("POST", base + "/people.csv",
                                        raw=b"key,name,role,zone\n" + b"x\n" * 4000)
        assert status == 400 and len(error["rows"]) == 100
        assert len(json.dumps(error)) < 20_000 and "3900 more" in error["error"]["message"]
        for person, code in (({"email": 5}, "invalid_import"),
                             ({"email": ["x"]}, "invalid_import"),
                             ({"email": "not an email"}, "invalid_import"),
                             ({"capacity": 10 ** 30}, "invalid_json")):  # 31 digits: > 20
            body = {"people": [{"key": "a", "name": "A", "role": "mentor", "zone": "UTC",
                                **person}]}
            status, error = await api.admin("POST", base + "/people", body)
            assert (status, error["error"]["code"]) == (400, code), person
        deep = b'{"people": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        status, error = await api.call("POST", base + "/people", api.server.admin_key, raw=deep,
                                       content_type="application/json")
        assert (status, error["error"]["code"]) == (400, "invalid_json")
        long = b"key,name,role,zone,skills\na,A,mentor,UTC," + b"x" * 140_000 + b"\n"
        status, error = await api.admin("POST", base + "/people.csv", raw=long)
        assert status == 400 and error["rows"][0]["row"] == 2


async def test_weeks_out_of_range_and_a_mentor_with_two_mentees() -> None:
    async with programme_api("Cap2") as (api, base):
        _, imported = await api.admin("POST", base + "/people.csv", raw=CAP2)
        links = {p["key"]: p["schedule_link"].split("#token=")[1] for p in imported["people"]}
        for path, week in (("/matching", "9999-12-31"), ("/matching", "0001-01-01"),
                           ("/coffee-rounds", "2020-01-06"), ("/coffee-rounds", "9999-12-31")):
            status, error = await api.admin("POST", base + path, {"week_of": week})
            assert (status, error["error"]["code"]) == (400, "week_out_of_range"), week
        status, _ = await api.admin("POST", base + "/matching", {})
        assert status == 200
        await api.admin("POST", base + "/publish")
        status, mine = await api.call("GET", "/api/me/intro", links["mo"])
        assert status == 200 and mine["role"] == "mentor"
        assert [m["other_name"] for m in mine["matches"]] == ["Xia One", "Xu Two"]
        assert mine["other_name"] == "Xia One" and mine["times"] == mine["matches"][0]["times"]
        second = mine["matches"][1]["times"][0]["start"]
        status, booked = await api.call("POST", base + "/intro/accept", links["mo"],
                                        {"start": second})
        assert status == 201
        status, xu = await api.call("GET", "/api/me/intro", links["x2"])
        assert xu["booking_id"] == booked["booking_id"] and len(xu["matches"]) == 1
        status, _ = await api.admin("POST", base + "/coffee-rounds", {})
        assert status == 201
        status, error = await api.admin("POST", base + "/coffee-rounds", {})
        assert (status, error["error"]["code"]) == (409, "coffee_round_exists")


async def test_a_json_import_that_is_not_json_answers_as_every_json_body() -> None:
    async with programme_api("P") as (api, base):
        for raw in (b"{oops", b'{"people": [], "x": NaN}', b'{"people": [1e' + b"9" * 40 + b"]}",
                    b'{"people": ' + b"[" * 30_000 + b"]" * 30_000 + b"}"):
            codes = set()
            for path in ("/api/programmes", base, base + "/people"):
                status, error = await api.call("PATCH" if path == base else "POST", path,
                                               api.server.admin_key, raw=raw,
                                               content_type="application/json")
                codes.add((status, error["error"]["code"]))
            assert codes == {(400, "invalid_json")}, (raw[:20], codes)
        status, people = await api.admin("GET", base + "/people")
        assert status == 200 and people["people"] == []
