"""Bounded work per request: slot searches come in pages and are rate-limited per person,
bookings per person and per pair; a refusal is a JSON 429 with Retry-After (real server,
ManualClock)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from rooms.clock import ManualClock
from rooms.scheduling.slots import local_day_range
from tests.live_server import live_server
from tests.web.scheduling.client import ALL_WEEK, T0, Client, Person, instant, wire

NEXT = re.compile(r'<([^>]+)>; rel="next"')


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0.timestamp())


async def pair(api: Client) -> tuple[Person, Person]:
    mentor = await api.register("Ada", "mentor", "UTC", ALL_WEEK)
    mentee = await api.register("Kenji", "mentee", "Asia/Tokyo", ALL_WEEK)
    return mentor, mentee


async def get(api: Client, url: str, token: str) -> tuple[int, Any, dict[str, str]]:
    async with api.http.get(url, headers={"Authorization": f"Bearer {token}"}) as response:
        return response.status, await response.json(), dict(response.headers)


async def test_slot_pages_walk_the_whole_range_in_bounded_pieces(clock: ManualClock) -> None:
    async with live_server(clock, slot_search_burst=100) as server, \
            aiohttp.ClientSession() as http:
        api = Client(server, http)
        mentor, mentee = await pair(api)
        query = "from=2026-03-02&to=2026-05-30&length=15"
        status, first, headers = await get(
            api, f"{server.base_url}/api/slots?with={mentor.identity}&{query}", mentee.token)
        assert status == 200 and len(first) == 100  # the default page
        url: str | None = f"{server.base_url}/api/slots?with={mentor.identity}&{query}&limit=500"
        starts: list[str] = []
        pages = 0
        while url is not None:
            status, page, headers = await get(api, url, mentee.token)
            assert status == 200 and len(page) <= 500
            starts += [slot["start"] for slot in page]
            pages += 1
            link = NEXT.fullmatch(headers.get("Link", ""))
            url = link.group(1) if link else None
            if url is not None:
                assert url.startswith(server.base_url) and len(page) == 500
        service = server.services.scheduling.service
        caller = await service.directory.person(mentee.identity)
        whole = await service.pair_slots(caller, mentor.identity, service.query(
            *local_day_range("Asia/Tokyo", T0.date(), T0.date() + timedelta(days=89)), 15))
        assert starts == [wire(slot.start) for slot in whole]
        assert pages == len(whole) // 500 + 1 and len(whole) > 8000
        assert [s["start"] for s in first] == starts[:100]
        last = instant(starts[-1])
        status, rest, _ = await get(api, f"{server.base_url}/api/slots?with={mentor.identity}&"
                                         f"{query}&after={wire(last)}", mentee.token)
        assert (status, rest) == (200, [])
        for bad in ("limit=0", "limit=501", "after=2026-03-03T10:00:00", "after=soon"):
            status, answer, _ = await get(
                api, f"{server.base_url}/api/slots?with={mentor.identity}&{bad}", mentee.token)
            assert (status, answer["error"]["code"]) == (400, "invalid_body"), bad


async def test_a_slot_search_flood_gets_429_with_retry_after(clock: ManualClock) -> None:
    async with live_server(clock) as server, aiohttp.ClientSession() as http:
        api = Client(server, http)
        mentor, mentee = await pair(api)
        url = f"{server.base_url}/api/slots?with={mentor.identity}"
        answers = await asyncio.gather(*(get(api, url, mentee.token) for _ in range(40)))
        refused = [a for a in answers if a[0] != 200]
        assert len(answers) - len(refused) == 10  # the default burst
        for status, body, headers in refused:
            assert (status, body["error"]["code"]) == (429, "rate_limited")
            assert headers["Retry-After"] == "2" and headers["Content-Type"].startswith(
                "application/json")
        body = {"invitees": [mentee.identity]}
        assert (await api.call("POST", "/api/roundtable-slots", mentee.token, body))[0] == 429
        # Another person is not limited by it; time refills the bucket.
        assert (await get(api, f"{server.base_url}/api/slots?with={mentee.identity}",
                          mentor.token))[0] == 200
        clock.advance(2)
        assert (await get(api, url, mentee.token))[0] == 200


async def booking(api: Client, who: Person, other: Person, hours: int) -> tuple[int, Any]:
    start = T0 + timedelta(days=1, hours=hours)
    return await api.call("POST", "/api/bookings", who.token,
                          {"with": other.identity, "start": wire(start)})


@pytest.fixture
async def api(clock: ManualClock) -> AsyncIterator[Client]:
    async with live_server(clock) as server, aiohttp.ClientSession() as http:
        yield Client(server, http)


async def test_a_booking_flood_with_one_mentor_is_cut_at_the_pair_burst(api: Client) -> None:
    mentor, mentee = await pair(api)
    answers = await asyncio.gather(*(booking(api, mentee, mentor, h) for h in range(60)))
    made = [body for status, body in answers if status == 201]
    assert len(made) == 5  # the default pair burst
    assert {(s, b["error"]["code"]) for s, b in answers if s != 201} == {(429, "rate_limited")}
    stored = await api.server.services.scheduling.service.upcoming(mentee.identity)
    assert len(stored) == 5


async def test_bookings_are_limited_per_person_and_refusals_give_back(
        clock: ManualClock) -> None:
    async with live_server(clock, booking_burst=3, pair_booking_burst=2,
                           booking_per_hour=60, pair_booking_per_hour=60) as server, \
            aiohttp.ClientSession() as http:
        api = Client(server, http)
        mentor, mentee = await pair(api)
        other_mentor = await api.register("Grace", "mentor", "UTC", ALL_WEEK)
        assert (await booking(api, mentee, mentor, 0))[0] == 201
        for _ in range(5):  # the same time again: refused for another reason, not counted
            status, body = await booking(api, mentee, mentor, 0)
            assert (status, body["error"]["code"]) == (409, "slot_taken")
        assert (await booking(api, mentee, mentor, 1))[0] == 201
        status, body = await booking(api, mentee, mentor, 2)  # the pair's burst is spent
        assert (status, body["error"]["code"]) == (429, "rate_limited")
        assert (await booking(api, mentee, other_mentor, 3))[0] == 201
        status, body = await booking(api, mentee, other_mentor, 4)  # the person's is
        assert (status, body["error"]["code"]) == (429, "rate_limited")
        other_mentee = await api.register("Lina", "mentee", "UTC", ALL_WEEK)
        assert (await booking(api, other_mentee, mentor, 5))[0] == 201  # others are not
        clock.advance(60)  # one a minute
        assert (await booking(api, mentee, other_mentor, 6))[0] == 201
