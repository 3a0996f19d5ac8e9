"""A programme service on both programme stores, over an in-memory scheduling service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from rooms.clock import ManualClock
from rooms.grants import TokenSigner
from rooms.memory_store import MemoryRoomStore
from rooms.person_tokens import FeedTokens
from rooms.programmes.redis_store import RedisProgrammeStore
from rooms.programmes.service import ProgrammeService
from rooms.programmes.store import MemoryProgrammeStore, ProgrammeStore
from rooms.scheduling.booking_service import SchedulingService
from rooms.scheduling.directory import PeopleDirectory
from rooms.scheduling.memory_bookings import MemoryBookingStore
from rooms.scheduling.people import MemoryPeopleStore
from rooms.scheduling.reminders import MemoryReminderLedger
from rooms.scheduling.session_rooms import SessionRooms

SECRET = "programme-tests-secret-0123456789abcdef"
START = datetime(2026, 3, 2, 8, tzinfo=UTC)  # a Monday, a week before US DST starts


@dataclass
class World:
    clock: ManualClock
    scheduling: SchedulingService
    service: ProgrammeService


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[ProgrammeStore]:
    made: ProgrammeStore
    if request.param == "redis":
        made = RedisProgrammeStore(request.getfixturevalue("clean_redis_url"))
    else:
        made = MemoryProgrammeStore()
    yield made
    await made.close()


@pytest.fixture
def world(store: ProgrammeStore) -> World:
    clock = ManualClock(START.timestamp())
    directory = PeopleDirectory(MemoryPeopleStore(), FeedTokens(SECRET), clock)
    rooms = SessionRooms(MemoryRoomStore(clock=clock), TokenSigner(SECRET, clock), clock)
    scheduling = SchedulingService(directory, MemoryBookingStore(clock), rooms,
                                   MemoryReminderLedger(clock), clock)
    return World(clock, scheduling, ProgrammeService(store, scheduling, clock))
