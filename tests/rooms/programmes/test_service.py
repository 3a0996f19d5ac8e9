"""The programme service end to end on both stores: import, match, review, publish, accept."""

from __future__ import annotations

import asyncio

import pytest

from rooms.errors import RoomError
from rooms.programmes.errors import ProgrammeError
from rooms.programmes.importer import read_csv
from rooms.scheduling.availability import Availability
from rooms.scheduling.bookings import Booking
from rooms.scheduling.intervals import covers
from rooms.scheduling.session_rooms import live_room_id
from rooms.scheduling.zones import epoch_seconds

from .conftest import World

CSV = b"""key,name,role,zone,languages,skills,goals,capacity,exclusions,preferences,availability
lee,Lee,mentor,America/Los_Angeles,en,data engineering;sql,,2,dept:eng,,mon-fri 16:00-19:00
ana,Ana,mentor,Europe/Paris,en;fr,product design,,1,dept:design,,mon-fri 09:00-12:00
kenji,Kenji,mentee,Asia/Tokyo,en;ja,,move into data engineering,,,lee,mon-fri 09:00-12:00
lou,Lou,mentee,Europe/Paris,fr,,learn product design,,dept:eng,,mon-fri 10:00-13:00
"""


async def test_import_match_swap_lock_publish_accept(world: World) -> None:
    service = world.service
    programme = await service.create("Spring cohort", min_overlap_h=1.0)
    people = await service.import_people(programme.programme_id, read_csv(CSV))
    assert len(people) == 4
    assert len(await world.scheduling.directory.everyone()) == 4
    result = await service.run_matching(programme.programme_id)
    by_mentee = {p.mentee: p for p in result.pairs}
    assert by_mentee["kenji"].mentor == "lee" and by_mentee["lou"].mentor == "ana"
    assert "h/week overlap" in by_mentee["kenji"].explanation
    assert "data engineering \u2194 goal: move into data engineering" in (
        by_mentee["kenji"].explanation)
    # Lou shares the department of Lee: the swap is refused and nothing changes
    with pytest.raises(ProgrammeError) as refused:
        await service.swap(programme.programme_id, "kenji", "lou")
    assert refused.value.code == "pair_excluded"
    locked = await service.lock(programme.programme_id, "kenji", True)
    assert next(p for p in locked.pairs if p.mentee == "kenji").locked
    again = await service.run_matching(programme.programme_id)
    assert next(p for p in again.pairs if p.mentee == "kenji").locked
    intros = await service.publish(programme.programme_id)
    kenji_intro = next(i for i in intros if i.mentee == "kenji")
    assert len(kenji_intro.slots) == 3
    assert len({s.start.date() for s in kenji_intro.slots}) == 3
    for slot in kenji_intro.slots:
        assert slot.mentee_local.endswith("+09:00") and slot.mentor_local.endswith("-08:00")
    kenji = next(p for p in people if p.key == "kenji")
    booking = await service.accept(programme.programme_id, kenji.identity,
                                   kenji_intro.slots[1].start)
    assert booking.start == kenji_intro.slots[1].start
    intro, _ = await service.intro_for(programme.programme_id, kenji.identity)
    assert intro.booking_id == booking.booking_id
    progress = await service.progress(programme.programme_id)
    kenji_row = next(r for r in progress if r["mentee"] == "kenji")
    assert kenji_row["next_session"] == booking.start and kenji_row["sessions_held"] == 0


async def test_an_offered_time_only(world: World) -> None:
    service = world.service
    programme = await service.create("P")
    people = await service.import_people(programme.programme_id, read_csv(CSV))
    await service.run_matching(programme.programme_id)
    intros = await service.publish(programme.programme_id)
    kenji = next(p for p in people if p.key == "kenji")
    with pytest.raises(ProgrammeError) as refused:
        await service.accept(programme.programme_id, kenji.identity,
                             intros[0].slots[0].end)
    assert refused.value.code == "slot_not_offered"


async def test_auto_book_books_the_best_slot(world: World) -> None:
    service = world.service
    programme = await service.create("P", auto_book=True)
    await service.import_people(programme.programme_id, read_csv(CSV))
    await service.run_matching(programme.programme_id)
    intros = await service.publish(programme.programme_id)
    for intro in intros:
        assert intro.booking_id is not None
        booked = await world.scheduling.bookings.get(intro.booking_id)
        assert booked is not None and booked.start == intro.slots[0].start


async def test_publishing_again_keeps_earlier_intros_and_books_nothing_twice(
        world: World) -> None:
    service = world.service
    programme = await service.create("P", auto_book=True)
    await service.import_people(programme.programme_id, read_csv(CSV))
    await service.run_matching(programme.programme_id)
    first = await service.publish(programme.programme_id)
    again = await service.publish(programme.programme_id)
    assert again == first
    for person in await service.store.participants(programme.programme_id):
        assert len(await world.scheduling.upcoming(person.identity)) == 1, person.key


async def test_a_failed_import_leaves_nobody_behind(world: World) -> None:
    service = world.service
    programme = await service.create("P")
    rows = read_csv(CSV)
    bad = rows[2].__class__(**{**rows[2].__dict__, "zone": "Not/AZone"})
    with pytest.raises(Exception):  # noqa: B017 - the directory refuses the zone
        await service.import_people(programme.programme_id, [*rows[:2], bad])
    assert await world.scheduling.directory.everyone() == []
    assert await service.store.participants(programme.programme_id) == []


def inside(availability: Availability, start: int, end: int) -> bool:
    return covers(availability.free_intervals(start - 86400, end + 86400), start, end)


async def test_booked_times_lie_in_both_availabilities(world: World) -> None:
    service = world.service
    programme = await service.create("P", auto_book=True)
    people = {p.key: p for p in await service.import_people(programme.programme_id,
                                                            read_csv(CSV))}
    await service.run_matching(programme.programme_id)
    for intro in await service.publish(programme.programme_id):
        for slot in intro.slots:
            s, e = epoch_seconds(slot.start), epoch_seconds(slot.end)
            for key in (intro.mentor, intro.mentee):
                assert inside(people[key].availability(programme), s, e)


async def test_progress_counts_sessions_held_and_no_shows(world: World) -> None:
    service = world.service
    programme = await service.create("P")
    people = {p.key: p for p in await service.import_people(programme.programme_id,
                                                            read_csv(CSV))}
    await service.run_matching(programme.programme_id)
    intro = next(i for i in await service.publish(programme.programme_id)
                 if i.mentee == "kenji")
    first = await service.accept(programme.programme_id, people["kenji"].identity,
                                 intro.slots[0].start)
    lee = await world.scheduling.directory.person(people["lee"].identity)
    [second] = await world.scheduling.book(lee, [people["kenji"].identity],
                                           roundtable=False, start=intro.slots[2].start,
                                           length_min=30)
    before = {r["mentee"]: r for r in await service.progress(programme.programme_id)}
    assert (before["kenji"]["sessions_held"], before["kenji"]["no_shows"]) == (0, 0)
    assert before["kenji"]["next_session"] == first.start
    await service.tracker.joined(live_room_id(first), people["kenji"].identity)
    await service.tracker.joined("adhoc-room", people["kenji"].identity)
    assert await service.attendance.joined("adhoc-room") == set()
    world.clock.advance(20 * 86400)
    after = {r["mentee"]: r for r in await service.progress(programme.programme_id)}
    assert (after["kenji"]["sessions_held"], after["kenji"]["no_shows"]) == (1, 1)
    assert after["kenji"]["next_session"] is None
    assert second.booking_id != first.booking_id


async def test_a_slot_taken_meanwhile_leaves_the_intro_unbooked(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    service = world.service
    programme = await service.create("P", auto_book=True)
    await service.import_people(programme.programme_id, read_csv(CSV))
    await service.run_matching(programme.programme_id)

    async def taken(*args: object, **kwargs: object) -> list[Booking]:
        raise RoomError("slot_taken")

    monkeypatch.setattr(world.scheduling, "book", taken)
    intros = await service.publish(programme.programme_id)
    assert len(intros) == 2 and all(i.booking_id is None and i.slots for i in intros)
    assert await service.store.intros(programme.programme_id) == intros


async def test_two_accepts_at_once_leave_one_booking(world: World) -> None:
    service = world.service
    programme = await service.create("P")
    people = {p.key: p for p in await service.import_people(programme.programme_id,
                                                            read_csv(CSV))}
    await service.run_matching(programme.programme_id)
    intro = next(i for i in await service.publish(programme.programme_id)
                 if i.mentee == "kenji")
    outcomes = await asyncio.gather(
        service.accept(programme.programme_id, people["kenji"].identity,
                       intro.slots[0].start),
        service.accept(programme.programme_id, people["lee"].identity, intro.slots[1].start),
        return_exceptions=True)
    booked = [o for o in outcomes if isinstance(o, Booking)]
    refused = [o for o in outcomes if isinstance(o, RoomError)]
    assert len(booked) == 1 and [r.code for r in refused] == ["booking_exists"]
    upcoming = await world.scheduling.upcoming(people["kenji"].identity)
    assert [b.booking_id for b in upcoming] == [booked[0].booking_id]
    stored, _ = await service.intro_for(programme.programme_id, people["lee"].identity)
    assert stored.booking_id == booked[0].booking_id


async def test_accepting_a_weekly_series(world: World) -> None:
    service = world.service
    programme = await service.create("P")
    people = {p.key: p for p in await service.import_people(programme.programme_id,
                                                            read_csv(CSV))}
    await service.run_matching(programme.programme_id)
    intro = next(i for i in await service.publish(programme.programme_id)
                 if i.mentee == "kenji")
    first = await service.accept(programme.programme_id, people["kenji"].identity,
                                 intro.slots[0].start, weekly_sessions=4)
    series = await world.scheduling.upcoming(people["kenji"].identity)
    assert len(series) == 4 and series[0].booking_id == first.booking_id
    assert all(b.series_id == first.series_id for b in series)
    kenji = next(r for r in await service.progress(programme.programme_id)
                 if r["mentee"] == "kenji")
    assert kenji["next_session"] == first.start
