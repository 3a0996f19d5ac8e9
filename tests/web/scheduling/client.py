"""A small client of the scheduling API for the web tests (plain aiohttp, no shortcuts)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp

from tests.live_server import LiveServer, token_of

# Monday 2 March 2026, 00:00 UTC: a week before the US and six before the EU spring forward.
T0 = datetime(2026, 3, 2, tzinfo=UTC)
ALL_WEEK = {day: [["00:00", "00:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat",
                                                  "sun")}


def wire(instant: datetime) -> str:
    """An instant as the API writes it: ``2026-03-03T00:00:00Z``."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def instant(text: str) -> datetime:
    """An instant from the API."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class Person:
    """A registered person as the tests know them."""

    identity: str
    token: str
    zone: str
    feed_url: str
    data: dict[str, Any]


class Client:
    """Calls one live server; every answer is (status, decoded JSON or text)."""

    def __init__(self, server: LiveServer, http: aiohttp.ClientSession) -> None:
        self.server = server
        self.http = http

    async def call(self, method: str, path: str, token: str | None = None, body: Any = None,
                   raw: bytes | None = None, params: dict[str, str] | None = None,
                   ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        data = raw if raw is not None else (json.dumps(body).encode()
                                            if body is not None else None)
        url = path if path.startswith("http") else f"{self.server.base_url}{path}"
        async with self.http.request(method, url, data=data, headers=headers,
                                     params=params) as response:
            text = await response.text()
            if response.content_type == "application/json":
                return response.status, json.loads(text)
            return response.status, text

    async def admin(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        return await self.call(method, path, self.server.admin_key, body)

    async def register(self, name: str, role: str, zone: str,
                       weekly: dict[str, list[list[str]]] | None = None,
                       email: str | None = None) -> Person:
        """Register someone (and set their weekly availability if given)."""
        body: dict[str, Any] = {"display_name": name, "role": role, "zone": zone}
        if email is not None:
            body["email"] = email
        status, data = await self.admin("POST", "/api/people", body)
        assert status == 201, data
        person = Person(data["identity"], token_of(data["schedule_link"]), zone,
                        data["feed_url"], data)
        if weekly is not None:
            status, saved = await self.call("PUT", "/api/me/availability", person.token,
                                            {"zone": zone, "weekly": weekly})
            assert status == 200, saved
        return person

    async def book(self, who: Person, body: dict[str, Any]) -> tuple[int, Any]:
        return await self.call("POST", "/api/bookings", who.token, body)

    async def booked(self, who: Person, body: dict[str, Any]) -> list[dict[str, Any]]:
        """Book and expect success; the bookings made."""
        status, data = await self.book(who, body)
        assert status == 201, data
        bookings: list[dict[str, Any]] = data["bookings"]
        return bookings


def code(answer: tuple[int, Any]) -> tuple[int, str]:
    """(status, error code) of an error answer."""
    status, data = answer
    assert isinstance(data, dict) and "error" in data, answer
    assert data["error"]["message"], answer
    return status, data["error"]["code"]
