"""The attendance log on both stores, and the room service telling it of joins."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from rooms.attendance import AttendanceLog, MemoryAttendanceLog, RedisAttendanceLog
from rooms.clock import ManualClock
from rooms.grants import TokenSigner
from rooms.service import RoomService
from rooms.store import RoomStore
from tests.rooms.test_service import new_call


@pytest.fixture(params=["memory", "redis"])
async def log(request: pytest.FixtureRequest) -> AsyncIterator[AttendanceLog]:
    made: AttendanceLog
    if request.param == "redis":
        made = RedisAttendanceLog(request.getfixturevalue("clean_redis_url"))
    else:
        made = MemoryAttendanceLog()
    yield made
    await made.close()


async def test_joins_are_kept_per_room(log: AttendanceLog) -> None:
    assert await log.joined("room-a") == set()
    await log.record("room-a", "ada")
    await log.record("room-a", "ada")
    await log.record("room-a", "kenji")
    await log.record("room-b", "lee")
    assert await log.joined("room-a") == {"ada", "kenji"}
    assert await log.joined("room-b") == {"lee"}


async def test_the_room_service_tells_its_join_listeners(
        store: RoomStore, clock: ManualClock) -> None:
    service = RoomService(store, TokenSigner("attendance-secret-0123456789abcdef", clock),
                          clock)
    log = MemoryAttendanceLog()

    async def broken(room_id: str, identity: str) -> None:
        raise RuntimeError("listener bug")

    service.add_join_listener(broken)
    service.add_join_listener(log.record)
    room, mentor, _ = await new_call(service)
    await service.join(mentor)  # a failing listener does not fail the join
    assert await log.joined(room.room_id) == {mentor.identity}
