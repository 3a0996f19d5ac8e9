"""Two publishes (or two coffee rounds) of one programme at once, from two services on one
redis-server (as two server processes): the second is refused while the first runs, and
nothing is booked or announced twice."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

import pytest
import redis.asyncio as aioredis

from rooms.programmes.errors import ProgrammeError
from rooms.programmes.importer import read_csv
from rooms.programmes.model import Intro, Participant, Programme
from rooms.programmes.redis_store import RedisProgrammeStore
from rooms.programmes.service import PUBLISH_LEASE_S, ProgrammeService
from rooms.scheduling.booking_service import BookingChange
from rooms.scheduling.bookings import Booking

from .conftest import World
from .test_service import CSV


class Held:
    """A booking listener that holds the first booking's publish until let go."""

    def __init__(self) -> None:
        self.reached = asyncio.Event()
        self.go = asyncio.Event()

    async def booking_changed(self, change: BookingChange, bookings: Sequence[Booking]) -> None:
        if not self.reached.is_set():
            self.reached.set()
            await self.go.wait()


class Announced:
    def __init__(self) -> None:
        self.intros: list[tuple[str, str]] = []

    async def intro_published(self, programme: Programme, intro: Intro,
                              people: dict[str, Participant]) -> None:
        self.intros.append((intro.mentor, intro.mentee))


async def test_a_second_publish_meanwhile_is_refused(world: World,
                                                     redis_url: str) -> None:
    stores = [RedisProgrammeStore(redis_url), RedisProgrammeStore(redis_url)]
    first, second = (ProgrammeService(s, world.scheduling, world.clock) for s in stores)
    announced = Announced()
    first.add_listener(announced)
    second.add_listener(announced)
    programme = await first.create("P", auto_book=True)
    pid = programme.programme_id
    await first.import_people(pid, read_csv(CSV))
    await first.run_matching(pid)
    held = Held()
    world.scheduling.add_listener(held)
    running = asyncio.create_task(first.publish(pid))
    await held.reached.wait()  # the first publish has booked one pair and goes on
    with pytest.raises(ProgrammeError) as refused:
        await second.publish(pid)
    assert refused.value.code == "publish_in_progress"
    client = aioredis.from_url(redis_url)
    ttl_ms = await client.pttl(f"mentorcall:programme:{pid}:lease:publish")
    assert 0 < ttl_ms <= PUBLISH_LEASE_S * 1000
    held.go.set()
    intros = await running
    assert sorted(announced.intros) == sorted((i.mentor, i.mentee) for i in intros)
    assert await second.publish(pid) == intros  # once it is over, a publish goes through
    assert len(announced.intros) == len(intros)
    for person in await first.store.participants(pid):
        assert len(await world.scheduling.upcoming(person.identity)) == 1, person.key
    assert not await client.exists(f"mentorcall:programme:{pid}:lease:publish")
    await client.aclose()
    for store in stores:
        await store.close()


async def test_a_second_coffee_round_meanwhile_is_refused(world: World,
                                                          redis_url: str) -> None:
    stores = [RedisProgrammeStore(redis_url), RedisProgrammeStore(redis_url)]
    first, second = (ProgrammeService(s, world.scheduling, world.clock) for s in stores)
    programme = await first.create("P")
    pid = programme.programme_id
    people = await first.import_people(pid, read_csv(CSV))
    held = Held()
    world.scheduling.add_listener(held)
    running = asyncio.create_task(first.coffee_round(pid))
    await held.reached.wait()  # the first round has booked one coffee and goes on
    with pytest.raises(ProgrammeError) as refused:
        await second.coffee_round(pid)
    assert refused.value.code == "coffee_round_in_progress"
    held.go.set()
    made = await running
    assert len(await first.store.coffee_rounds(pid)) == 1
    booked = sum(1 for i in made if i.booking_id)
    upcoming = {b.booking_id for p in people
                for b in await world.scheduling.upcoming(p.identity)}
    assert booked >= 1 and len(upcoming) == booked  # no coffee booked twice
    with pytest.raises(ProgrammeError) as again:  # that week has its round now
        await second.coffee_round(pid)
    assert again.value.code == "coffee_round_exists"
    week = made[0].week_of
    assert week is not None
    later = await second.coffee_round(pid, week + timedelta(days=7))
    assert {i.round_no for i in later} == {2}  # the next week's goes
    for store in stores:
        await store.close()
