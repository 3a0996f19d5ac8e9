"""A recording made in a booked room carries its booking: the admin list filtered by
that booking finds it (memory and Redis stores)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from rooms.clock import ManualClock
from rooms.scheduling.availability import Availability
from rooms.scheduling.booking_service import SchedulingService
from rooms.scheduling.people import PersonRole
from tests.live_server import live_server
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


async def test_a_recording_in_a_booked_room_is_listed_under_its_booking(
        store_settings: dict[str, Any]) -> None:
    clock = ManualClock(T0.timestamp())
    async with live_server(clock, **store_settings) as server, \
            aiohttp.ClientSession() as http:
        service: SchedulingService = server.services.scheduling.service
        mentor = await service.directory.register("Ada", PersonRole.MENTOR, "UTC")
        mentee = await service.directory.register("Kenji", PersonRole.MENTEE, "UTC")
        for person in (mentor, mentee):
            await service.directory.save_availability(person.identity, ALL_WEEK_AVAILABILITY)
        start = T0 + timedelta(days=1)
        [booking] = await service.book(mentee, [mentor.identity], roundtable=False,
                                       start=start, length_min=30)
        [other] = await service.book(mentee, [mentor.identity], roundtable=False,
                                     start=start + timedelta(hours=2), length_min=30)
        clock.set(start.timestamp())
        token = service.rooms.join_token(booking, mentor)
        assert token is not None
        signal = await SignalClient().connect(server.base_url)
        ada = Participant("Ada", signal)
        try:
            await ada.join(token)
            ack = await signal.call("start_recording", {})
            assert ack["ok"], ack
            recording_id = ack["recording"]["recording_id"]
            assert (await signal.call("stop_recording", {}))["ok"]
        finally:
            await ada.close()

        async def listed(booking_id: str) -> list[str]:
            async with http.get(f"{server.base_url}/api/recordings",
                                params={"booking_id": booking_id},
                                headers={"Authorization": f"Bearer {server.admin_key}"}) as r:
                body = await r.json()
                assert r.status == 200, body
                return [found["recording_id"] for found in body]

        assert await listed(booking.booking_id) == [recording_id]
        assert await listed(other.booking_id) == []
