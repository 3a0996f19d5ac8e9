"""GET /api/programmes: a programme whose id was lost can be found again (review #18b)."""

from __future__ import annotations

import aiohttp

from rooms.clock import ManualClock
from tests.live_server import live_server

from .test_api import CSV, T0, Api


async def test_programmes_are_listed_newest_first_bounded(deployment: dict[str, str]) -> None:
    clock = ManualClock(T0.timestamp())
    async with live_server(clock, **deployment) as server, aiohttp.ClientSession() as http:
        api = Api(server, http)
        assert await api.admin("GET", "/api/programmes") == (200, {"programmes": [],
                                                                   "more": False})
        made = []
        for name in ("Spring", "Summer", "Autumn"):
            status, programme = await api.admin("POST", "/api/programmes", {"name": name})
            assert status == 201
            made.append(programme["programme_id"])
            clock.advance(3600)
        status, _ = await api.admin("POST", f"/api/programmes/{made[0]}/people.csv", raw=CSV)
        assert status == 201
        status, listed = await api.admin("GET", "/api/programmes")
        assert status == 200 and listed["more"] is False
        assert [(p["programme_id"], p["name"], p["people"], p["published"])
                for p in listed["programmes"]] == [
            (made[2], "Autumn", 0, False), (made[1], "Summer", 0, False),
            (made[0], "Spring", 4, False)]
        assert listed["programmes"][2]["created_at"] == "2026-03-02T08:00:00Z"
        status, first = await api.admin("GET", "/api/programmes?limit=2")
        assert status == 200 and first["more"] is True
        assert [p["programme_id"] for p in first["programmes"]] == made[:0:-1]
        for bad in ("0", "201", "two"):
            status, error = await api.admin("GET", f"/api/programmes?limit={bad}")
            assert (status, error["error"]["code"]) == (400, "invalid_body"), bad
        status, error = await api.call("GET", "/api/programmes")
        assert (status, error["error"]["code"]) == (401, "unauthorized")
        status, error = await api.call("GET", "/api/programmes", "not-the-key")
        assert (status, error["error"]["code"]) == (401, "unauthorized")
