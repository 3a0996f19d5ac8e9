"""The scheduling service on in-memory stores: rooms and tokens on time, nothing
half-booked when a step fails, series and "this and following" changes."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

import pytest

from rooms.clock import ManualClock
from rooms.errors import RoomError
from rooms.grants import TokenSigner
from rooms.memory_store import MemoryRoomStore
from rooms.models import Role, Room, RoomKind
from rooms.person_tokens import FeedTokens
from rooms.scheduling.booking_service import BookingChange, SchedulingService
from rooms.scheduling.bookings import Booking
from rooms.scheduling.directory import PeopleDirectory
from rooms.scheduling.memory_bookings import MemoryBookingStore
from rooms.scheduling.people import MemoryPeopleStore, Person, PersonRole
from rooms.scheduling.recurrence import Frequency, Recurrence
from rooms.scheduling.reminders import MemoryReminderLedger
from rooms.scheduling.series_booking import following_moves
from rooms.scheduling.session_rooms import SessionRooms, live_room_id
from rooms.scheduling.zones import epoch_seconds
from tests.rooms.scheduling.builders import NOW, every_day, expect_code, utc

SECRET = "s3cret-for-tests-0123456789abcdef-xyz"


class FlakyRooms(MemoryRoomStore):
    """A memory room store that fails the n-th create_room and records deletions."""

    def __init__(self, clock: ManualClock) -> None:
        super().__init__(clock)
        self.fail_on: int | None = None
        self.created = 0
        self.deleted: list[str] = []

    async def create_room(self, room: Room) -> None:
        self.created += 1
        if self.created == self.fail_on:
            raise ConnectionError("the room store is down")
        await super().create_room(room)

    async def delete_room(self, room_id: str) -> None:
        self.deleted.append(room_id)
        await super().delete_room(room_id)


class Recorder:
    def __init__(self) -> None:
        self.changes: list[tuple[BookingChange, list[str]]] = []

    async def booking_changed(self, change: BookingChange, bookings: Sequence[Booking]) -> None:
        self.changes.append((change, [b.booking_id for b in bookings]))


class Broken:
    async def booking_changed(self, change: BookingChange, bookings: Sequence[Booking]) -> None:
        raise RuntimeError("listener bug")


class World:
    """A service with a mentor in New York and a mentee in London, free all week."""

    def __init__(self) -> None:
        self.clock = ManualClock(NOW.timestamp())
        self.rooms = FlakyRooms(self.clock)
        self.signer = TokenSigner(SECRET, self.clock)
        self.directory = PeopleDirectory(MemoryPeopleStore(), FeedTokens(SECRET), self.clock)
        self.bookings = MemoryBookingStore(self.clock)
        self.session_rooms = SessionRooms(self.rooms, self.signer, self.clock)
        self.service = SchedulingService(self.directory, self.bookings, self.session_rooms,
                                         MemoryReminderLedger(self.clock), self.clock)
        self.recorder = Recorder()
        self.service.add_listener(Broken())
        self.service.add_listener(self.recorder)

    async def person(self, name: str, role: PersonRole, zone: str) -> Person:
        made = await self.directory.register(name, role, zone)
        await self.directory.save_availability(made.identity, every_day(zone, "00:00-00:00"))
        return made

    async def people(self) -> tuple[Person, Person]:
        return (await self.person("Ada", PersonRole.MENTOR, "America/New_York"),
                await self.person("Kenji", PersonRole.MENTEE, "Europe/London"))

    def rooms_stored(self) -> int:
        return self.rooms.purge_expired() + len(self.rooms._rooms)


@pytest.fixture
def world() -> World:
    return World()


async def test_a_booking_opens_its_room_on_time(world: World) -> None:
    mentor, mentee = await world.people()
    start = utc(2024, 1, 2, 15)
    [booking] = await world.service.book(mentee, [mentor.identity], roundtable=False,
                                         start=start, length_min=30, title="Chat")
    room = await world.rooms.get_room(live_room_id(booking))
    assert room is not None and room.kind is RoomKind.COFFEE
    assert room.created_at == epoch_seconds(start) - 300
    assert room.expires_at == epoch_seconds(start + timedelta(minutes=30)) + 600
    token = world.session_rooms.join_token(booking, mentor)
    assert token is not None
    with expect_code("token_not_yet_valid"):
        world.signer.verify(token)
    world.clock.set(epoch_seconds(start) - 300)
    grant = world.signer.verify(token, live_room_id(booking))
    assert (grant.role, grant.identity) == (Role.MENTOR, mentor.identity)
    world.clock.set(room.expires_at + 1)
    assert world.session_rooms.join_token(booking, mentor) is None
    assert world.recorder.changes == [(BookingChange.CREATED, [booking.booking_id])]


async def test_a_failed_room_leaves_nothing_booked(world: World) -> None:
    mentor, mentee = await world.people()
    world.rooms.fail_on = 3  # the third of four rooms of a series
    with pytest.raises(ConnectionError):
        await world.service.book(
            mentee, [mentor.identity], roundtable=False, start=utc(2024, 1, 2, 15),
            length_min=30, recurrence=Recurrence(frequency=Frequency.WEEKLY, count=4))
    assert await world.service.upcoming(mentee.identity) == []
    assert world.rooms_stored() == 0 and len(world.rooms.deleted) == 3
    assert world.recorder.changes == []


async def test_a_taken_slot_leaves_no_room_behind(world: World) -> None:
    mentor, mentee = await world.people()
    other = await world.person("Ola", PersonRole.MENTEE, "Asia/Tokyo")
    start = utc(2024, 1, 2, 15)
    await world.service.book(mentee, [mentor.identity], roundtable=False, start=start,
                             length_min=30)
    with expect_code("slot_taken"):  # inside the 10-minute buffer
        await world.service.book(other, [mentor.identity], roundtable=False,
                                 start=start + timedelta(minutes=35), length_min=30)
    assert world.rooms_stored() == 1


async def test_a_reschedule_without_a_room_is_moved_back(world: World) -> None:
    mentor, mentee = await world.people()
    start = utc(2024, 1, 2, 15)
    [booking] = await world.service.book(mentee, [mentor.identity], roundtable=False,
                                         start=start, length_min=30)
    world.rooms.fail_on = world.rooms.created + 1
    with pytest.raises(ConnectionError):
        await world.service.reschedule(mentor, booking.booking_id, start + timedelta(hours=2))
    back = await world.bookings.get(booking.booking_id)
    assert (back.start, back.is_confirmed, back.sequence) == (start, True, 2)
    assert await world.rooms.get_room(live_room_id(back)) is not None
    assert await world.rooms.get_room(live_room_id(booking)) is None
    [moved] = await world.service.reschedule(mentor, booking.booking_id,
                                             start + timedelta(hours=3), length_min=45)
    assert moved.end - moved.start == timedelta(minutes=45)
    assert await world.rooms.get_room(live_room_id(back)) is None  # the old room is gone
    assert await world.rooms.get_room(live_room_id(moved)) is not None


async def test_outside_availability_and_roles_are_refused(world: World) -> None:
    mentor, mentee = await world.people()
    late = await world.directory.register("Lee", PersonRole.MENTOR, "UTC")
    await world.directory.save_availability(late.identity, every_day("UTC", "09:00-10:00"))
    with expect_code("slot_unavailable"):
        await world.service.book(mentee, [late.identity], roundtable=False,
                                 start=utc(2024, 1, 2, 9, 45), length_min=30)
    with expect_code("forbidden"):
        await world.service.book(mentee, [mentor.identity], roundtable=True,
                                 start=utc(2024, 1, 2, 9), length_min=60)
    with expect_code("forbidden"):
        await world.service.book(mentee, [mentee.identity], roundtable=False,
                                 start=utc(2024, 1, 2, 9), length_min=30)
    with expect_code("range_too_long"):
        await world.service.book(mentee, [mentor.identity], roundtable=False,
                                 start=utc(2025, 6, 1, 9), length_min=30)


async def test_following_sessions_keep_the_wall_clock_change(world: World) -> None:
    mentor, mentee = await world.people()
    # Weekly at 09:00 New York from Tuesday 5 March 2024 (US clocks change on 10 March).
    series = await world.service.book(
        mentor, [mentee.identity], roundtable=False, start=utc(2024, 3, 5, 14),
        length_min=30, recurrence=Recurrence(frequency=Frequency.WEEKLY, count=3))
    assert [b.local_start().hour for b in series] == [9, 9, 9]
    moves = following_moves(series[0], series, utc(2024, 3, 6, 15, 30),
                            timedelta(minutes=30))
    # Wednesday 10:30 New York every week, latest first (moving later).
    assert [(new.weekday(), new.hour, new.minute) for _, new, _ in moves] == [
        (2, 14, 30), (2, 14, 30), (2, 15, 30)]
    moved = await world.service.reschedule(mentee, series[0].booking_id,
                                           utc(2024, 3, 6, 15, 30), following=True)
    assert moved[0].booking_id == series[0].booking_id
    assert [b.start for b in moved] == sorted(b.start for b in moved)  # date order
    assert [(b.local_start().weekday(), b.local_start().hour, b.sequence) for b in
            await world.service.upcoming(mentor.identity)] == [(2, 10, 1)] * 3


async def test_a_series_cannot_start_in_the_second_of_a_repeated_hour(world: World) -> None:
    mentor, mentee = await world.people()
    second_0130 = utc(2024, 11, 3, 6, 30)  # 01:30 EST, after 01:30 EDT
    with expect_code("ambiguous_local_time"):
        await world.service.book(
            mentor, [mentee.identity], roundtable=False, start=second_0130, length_min=30,
            recurrence=Recurrence(frequency=Frequency.WEEKLY, count=2))
    [single] = await world.service.book(mentor, [mentee.identity], roundtable=False,
                                        start=second_0130, length_min=30)
    assert single.start == second_0130


async def test_cancel_frees_the_room_and_the_reminder(world: World) -> None:
    mentor, mentee = await world.people()
    start = utc(2024, 1, 2, 15)
    [booking] = await world.service.book(mentee, [mentor.identity], roundtable=False,
                                         start=start, length_min=30)
    assert await world.service.ledger.due(epoch_seconds(start) - 60, 900) == [
        (booking.booking_id, epoch_seconds(start))]
    [done] = await world.service.cancel(mentor, booking.booking_id)
    assert not done.is_confirmed
    assert await world.rooms.get_room(live_room_id(booking)) is None
    assert await world.service.ledger.due(epoch_seconds(start) - 60, 900) == []
    assert world.recorder.changes[-1] == (BookingChange.CANCELLED, [booking.booking_id])
    with expect_code("booking_cancelled"):
        await world.service.reschedule(mentor, booking.booking_id, start)
    stranger = await world.person("Eve", PersonRole.MENTEE, "UTC")
    with pytest.raises(RoomError, match="forbidden"):
        await world.service.booking_for(stranger, booking.booking_id)


async def test_each_revision_has_its_own_room(world: World) -> None:
    mentor, mentee = await world.people()
    [booking] = await world.service.book(mentee, [mentor.identity], roundtable=False,
                                         start=utc(2024, 1, 2, 15), length_min=30)
    assert booking.room_id is not None and booking.room_id.startswith("coffee-")
    [moved] = await world.service.reschedule(mentee, booking.booking_id,
                                             utc(2024, 1, 2, 17))
    assert live_room_id(booking) == f"{booking.room_id}-0"
    assert live_room_id(moved) == f"{booking.room_id}-1"


class SlowReads(MemoryBookingStore):
    """A memory store whose reads let other tasks run, so two changes read one revision."""

    async def get(self, booking_id: str) -> Booking:
        found = await super().get(booking_id)
        await asyncio.sleep(0)
        return found


def live_rooms(world: World) -> list[str]:
    world.rooms.purge_expired()
    return sorted(world.rooms._rooms)


@pytest.mark.parametrize("second", ["reschedule", "cancel"])
async def test_concurrent_changes_leave_one_live_room(world: World, second: str) -> None:
    world.bookings = SlowReads(world.clock)
    world.service.bookings = world.bookings
    mentor, mentee = await world.people()
    start = utc(2024, 1, 2, 15)
    [booking] = await world.service.book(mentee, [mentor.identity], roundtable=False,
                                         start=start, length_min=30)
    other = (world.service.reschedule(mentor, booking.booking_id, start + timedelta(hours=4))
             if second == "reschedule" else world.service.cancel(mentor, booking.booking_id))
    results = await asyncio.gather(
        world.service.reschedule(mentee, booking.booking_id, start + timedelta(hours=2)),
        other, return_exceptions=True)
    assert [r.code for r in results if isinstance(r, RoomError)] == ["booking_changed"]
    final = await world.bookings.get(booking.booking_id)
    assert final.sequence == 1
    if final.is_confirmed:
        assert live_rooms(world) == [live_room_id(final)]
    else:
        assert live_rooms(world) == []


async def test_following_sessions_move_from_their_planned_local_time(world: World) -> None:
    world.clock.set(utc(2027, 3, 1).timestamp())
    mentor, mentee = await world.people()
    # Weekly at 02:30 New York from Sunday 7 March 2027: on 14 March 02:30 does not exist
    # (the session starts at 03:30 EDT), later ones are back at 02:30.
    series = await world.service.book(
        mentor, [mentee.identity], roundtable=False, start=utc(2027, 3, 7, 7, 30),
        length_min=30, recurrence=Recurrence(frequency=Frequency.WEEKLY, count=4))
    assert [b.local_start().strftime("%H:%M") for b in series] == [
        "02:30", "03:30", "02:30", "02:30"]
    moved = await world.service.reschedule(mentor, series[0].booking_id,
                                           utc(2027, 3, 7, 14), following=True)
    assert len(moved) == 4
    assert [(b.local_start().day, b.local_start().strftime("%H:%M")) for b in
            await world.service.upcoming(mentor.identity)] == [
        (7, "09:00"), (14, "09:00"), (21, "09:00"), (28, "09:00")]


async def test_following_means_planned_after_even_if_moved_before(world: World) -> None:
    mentor, mentee = await world.people()
    series = await world.service.book(
        mentor, [mentee.identity], roundtable=False, start=utc(2024, 1, 2, 14),
        length_min=30, recurrence=Recurrence(frequency=Frequency.WEEKLY, count=3))
    # The second session moves to the Monday before it; the first then moves "and
    # following" one hour later: the second goes to 10:00 on its own planned Tuesday.
    await world.service.reschedule(mentor, series[1].booking_id, utc(2024, 1, 8, 14))
    await world.service.reschedule(mentor, series[0].booking_id, utc(2024, 1, 2, 15),
                                   following=True)
    assert [(b.local_start().day, b.local_start().hour) for b in
            await world.service.upcoming(mentor.identity)] == [(2, 10), (9, 10), (16, 10)]


async def test_a_session_is_upcoming_until_its_room_closes(world: World) -> None:
    mentor, mentee = await world.people()
    start = utc(2024, 1, 2, 15)
    [booking] = await world.service.book(mentee, [mentor.identity], roundtable=False,
                                         start=start, length_min=30)
    closes = epoch_seconds(world.session_rooms.closes_at(booking))
    world.clock.set(epoch_seconds(booking.end) + 60)  # ran over: the room is still open
    assert [b.booking_id for b in await world.service.upcoming(mentee.identity)] == [
        booking.booking_id]
    assert world.session_rooms.join_token(booking, mentee) is not None
    world.clock.set(closes)
    assert await world.service.upcoming(mentee.identity) == []


async def test_sessions_are_booked_with_the_minimum_notice(world: World) -> None:
    mentor, mentee = await world.people()
    soon = utc(2024, 1, 1, 1, 59)  # NOW is midnight: one minute short of two hours
    with expect_code("too_soon"):
        await world.service.book(mentee, [mentor.identity], roundtable=False, start=soon,
                                 length_min=30)
    [booking] = await world.service.book(mentee, [mentor.identity], roundtable=False,
                                         start=soon + timedelta(minutes=1), length_min=30)
    with expect_code("too_soon"):
        await world.service.reschedule(mentor, booking.booking_id, utc(2024, 1, 1, 1, 30))
    with expect_code("slot_in_past"):
        await world.service.book(mentee, [mentor.identity], roundtable=False,
                                 start=utc(2023, 12, 31, 23), length_min=30)
