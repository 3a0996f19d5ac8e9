"""A tzdata upgrade under existing bookings: each keeps its organiser's local time.

Bookings are made under "old" rules (Vancouver with the winter time it had before 2026:
the package's Los Angeles rules under Vancouver's name), then the package's rules come
back in use and the start-up check runs, on the in-memory and on the Redis stores.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime

import pytest
import redis.asyncio as aioredis

from rooms.clock import ManualClock
from rooms.grants import TokenSigner
from rooms.memory_store import MemoryRoomStore
from rooms.person_tokens import FeedTokens
from rooms.scheduling import tzdb
from rooms.scheduling.booking_service import BookingChange, SchedulingService
from rooms.scheduling.booking_store import BookingStore
from rooms.scheduling.bookings import Booking
from rooms.scheduling.directory import PeopleDirectory
from rooms.scheduling.memory_bookings import MemoryBookingStore
from rooms.scheduling.people import MemoryPeopleStore, PeopleStore, Person, PersonRole
from rooms.scheduling.recurrence import Frequency, Recurrence
from rooms.scheduling.redis_bookings import RedisBookingStore
from rooms.scheduling.redis_people import RedisPeopleStore
from rooms.scheduling.reminders import MemoryReminderLedger
from rooms.scheduling.rule_changes import follow_rule_changes
from rooms.scheduling.session_rooms import SessionRooms, live_room_id
from rooms.scheduling.zones import epoch_seconds
from tests.rooms.scheduling.builders import every_day, rules_with, utc

SECRET = "s3cret-for-tests-0123456789abcdef-xyz"
VANCOUVER, LONDON, NEW_YORK = "America/Vancouver", "Europe/London", "America/New_York"
OLD_RULES = rules_with({VANCOUVER: "America/Los_Angeles"}, version="2025b-like")


class Recorder:
    def __init__(self) -> None:
        self.changes: list[tuple[BookingChange, list[str]]] = []

    async def booking_changed(self, change: BookingChange, bookings: Sequence[Booking]) -> None:
        self.changes.append((change, [b.booking_id for b in bookings]))


class World:
    def __init__(self, people: PeopleStore, bookings: BookingStore,
                 clock: ManualClock) -> None:
        self.clock = clock
        self.rooms = MemoryRoomStore(clock)
        self.directory = PeopleDirectory(people, FeedTokens(SECRET), clock)
        self.bookings = bookings
        self.ledger = MemoryReminderLedger(clock)
        self.service = SchedulingService(
            self.directory, bookings, SessionRooms(self.rooms, TokenSigner(SECRET, clock), clock),
            self.ledger, clock)
        self.recorder = Recorder()
        self.service.add_listener(self.recorder)

    async def person(self, name: str, role: PersonRole, zone: str) -> Person:
        made = await self.directory.register(name, role, zone)
        await self.directory.save_availability(made.identity, every_day(zone, "00:00-00:00"))
        return made

    async def book(self, organiser: Person, other: Person, start: datetime) -> Booking:
        [made] = await self.service.book(organiser, [other.identity], roundtable=False,
                                         start=start, length_min=30)
        return made


@pytest.fixture(params=["memory", "redis"])
async def world(request: pytest.FixtureRequest) -> AsyncIterator[World]:
    clock = ManualClock(utc(2026, 6, 1).timestamp())
    if request.param == "redis":
        client = aioredis.Redis.from_url(request.getfixturevalue("clean_redis_url"),
                                         decode_responses=True)
        yield World(RedisPeopleStore(client), RedisBookingStore(client, clock), clock)
        await client.aclose()
    else:
        yield World(MemoryPeopleStore(), MemoryBookingStore(clock), clock)


async def test_a_booking_keeps_its_organisers_local_time_under_new_rules(world: World) -> None:
    with tzdb.use(OLD_RULES):
        mentor = await world.person("Ada", PersonRole.MENTOR, VANCOUVER)
        mentee = await world.person("Kenji", PersonRole.MENTEE, LONDON)
        old = await world.book(mentor, mentee, utc(2026, 12, 7, 17))  # 09:00 at -08:00
        assert (old.wall_start, old.rules) == (datetime(2026, 12, 7, 9), "2025b-like")
    report = await follow_rule_changes(world.service)
    [moved] = report.changed
    assert (moved.booking_id, moved.start, moved.end) == (
        old.booking_id, utc(2026, 12, 7, 16), utc(2026, 12, 7, 16, 30))  # 09:00 at -07:00
    assert (moved.sequence, moved.wall_start, moved.rules) == (
        1, datetime(2026, 12, 7, 9), tzdb.version())
    assert moved.rules_moved == (mentee.identity,)  # London: 17:00 became 16:00
    assert await world.bookings.get(old.booking_id) == moved
    # The room of the new revision opens 5 minutes before the new start; the old is gone.
    room = await world.rooms.get_room(live_room_id(moved))
    assert room is not None and room.created_at == epoch_seconds(utc(2026, 12, 7, 15, 55))
    assert await world.rooms.get_room(live_room_id(old)) is None
    assert await world.ledger.due(epoch_seconds(utc(2026, 12, 7, 15, 50)), 600) == [
        (old.booking_id, epoch_seconds(moved.start))]
    assert world.recorder.changes == [(BookingChange.CREATED, [old.booking_id]),
                                      (BookingChange.CHANGED, [old.booking_id])]
    # A second start-up finds nothing more to do.
    again = await follow_rule_changes(world.service)
    assert (again.checked, again.changed, again.skipped) == (1, [], [])


async def test_a_booking_whose_other_persons_local_time_moved_is_flagged(
        world: World) -> None:
    with tzdb.use(OLD_RULES):
        host = await world.person("Grace", PersonRole.MENTOR, LONDON)
        guest = await world.person("Ola", PersonRole.MENTEE, VANCOUVER)
        steady = await world.person("Sam", PersonRole.MENTEE, NEW_YORK)
        made = await world.book(host, guest, utc(2026, 12, 7, 17))  # 09:00 Vancouver (old)
        untouched = await world.book(host, steady, utc(2026, 12, 8, 17))
    [changed] = (await follow_rule_changes(world.service)).changed
    # London's rules did not change: same instant, but Vancouver now reads 10:00.
    assert (changed.booking_id, changed.start, changed.sequence) == (
        made.booking_id, made.start, 1)
    assert changed.rules_moved == (guest.identity,)
    assert [w.local for w in changed.walls if w.identity == guest.identity] == [
        datetime(2026, 12, 7, 10)]
    assert (await world.bookings.get(untouched.booking_id)).sequence == 0


async def test_past_bookings_and_bookings_without_wall_times_are_left_alone(
        world: World) -> None:
    with tzdb.use(OLD_RULES):
        mentor = await world.person("Ada", PersonRole.MENTOR, VANCOUVER)
        mentee = await world.person("Kenji", PersonRole.MENTEE, LONDON)
        soon = await world.book(mentor, mentee, utc(2026, 12, 7, 17))
        later = await world.book(mentor, mentee, utc(2026, 12, 14, 17))
        # As stored before wall times were recorded.
        legacy = Booking.new("legacy", mentor.attendee(), [mentee.attendee()],
                             utc(2026, 12, 21, 17), utc(2026, 12, 21, 17, 30),
                             world.clock.now()).model_copy(
            update={"wall_start": None, "walls": (), "rules": None})
        await world.bookings.create(legacy)
    world.clock.set(epoch_seconds(soon.start) + 60)  # the first one has started
    report = await follow_rule_changes(world.service)
    assert [b.booking_id for b in report.changed] == [later.booking_id]
    assert report.checked == 2
    assert await world.bookings.get(soon.booking_id) == soon
    assert await world.bookings.get(legacy.booking_id) == legacy


async def test_a_move_that_would_collide_is_left_alone(world: World) -> None:
    with tzdb.use(OLD_RULES):
        mentor = await world.person("Ada", PersonRole.MENTOR, VANCOUVER)
        mentee = await world.person("Kenji", PersonRole.MENTEE, LONDON)
        made = await world.book(mentor, mentee, utc(2026, 12, 7, 17))
    # Under the new rules someone books the mentee at 16:00Z, where the session must go.
    other = await world.person("Ben", PersonRole.MENTOR, NEW_YORK)
    await world.book(other, mentee, utc(2026, 12, 7, 15, 50))
    report = await follow_rule_changes(world.service)
    assert (report.changed, report.skipped) == ([], [made.booking_id])
    assert await world.bookings.get(made.booking_id) == made


async def test_a_weekly_series_stays_at_nine_where_a_dst_change_was_dropped(
        world: World) -> None:
    with tzdb.use(OLD_RULES):
        mentor = await world.person("Ada", PersonRole.MENTOR, VANCOUVER)
        mentee = await world.person("Kenji", PersonRole.MENTEE, LONDON)
        series = await world.service.book(
            mentor, [mentee.identity], roundtable=False, start=utc(2026, 10, 26, 16),
            length_min=30, recurrence=Recurrence(frequency=Frequency.WEEKLY, count=4))
        # The old rules' winter time starts on 1 November: 09:00 is 17:00Z from then on.
        assert [b.start.hour for b in series] == [16, 17, 17, 17]
    report = await follow_rule_changes(world.service)
    assert sorted(b.booking_id for b in report.changed) == sorted(
        b.booking_id for b in series[1:])
    upcoming = await world.service.upcoming(mentor.identity)
    assert [(b.start.hour, b.local_start().hour, b.sequence) for b in upcoming] == [
        (16, 9, 0), (16, 9, 1), (16, 9, 1), (16, 9, 1)]
