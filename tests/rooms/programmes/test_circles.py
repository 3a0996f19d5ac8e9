"""Programmes keep scheduling within them: a person sees, looks for times with and books
only people of their own programme (or people they have a session with); people in no
programme see only each other, as before programmes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rooms.errors import RoomError
from rooms.programmes.importer import read_csv
from rooms.programmes.model import Participant
from rooms.scheduling.availability import Availability
from rooms.scheduling.people import PersonRole

from .conftest import START, World

# Lord Howe (+11 in March, half-hour DST) and Chatham (+13:45): far offsets, same names in
# both programmes.
CSV = b"""key,name,role,zone,languages,skills,goals,capacity,exclusions,preferences,availability
lina,Lina Howe,mentor,Australia/Lord_Howe,en,python,,1,,,mon-sun 08:00-20:00
chad,Chad Chatham,mentee,Pacific/Chatham,en,,python,,,lina,mon-sun 08:00-20:00
"""


async def programme_people(world: World, name: str) -> dict[str, Participant]:
    programme = await world.service.create(name)
    people = await world.service.import_people(programme.programme_id, read_csv(CSV))
    return {p.key: p for p in people}


async def test_people_see_and_book_only_their_own_programme(world: World) -> None:
    scheduling = world.scheduling
    a, b = await programme_people(world, "A"), await programme_people(world, "B")
    chad_a = await scheduling.directory.person(a["chad"].identity)
    seen = await scheduling.reach.counterparts(chad_a)
    assert [p.identity for p in seen] == [a["lina"].identity]
    query = scheduling.query(START, START + timedelta(days=3), 30)
    assert await scheduling.pair_slots(chad_a, a["lina"].identity, query)
    with pytest.raises(RoomError) as refused:
        await scheduling.pair_slots(chad_a, b["lina"].identity, query)
    assert refused.value.code == "outside_programme"
    start = (await scheduling.pair_slots(chad_a, a["lina"].identity, query))[0].start
    with pytest.raises(RoomError) as refused:
        await scheduling.book(chad_a, [b["lina"].identity], roundtable=False, start=start,
                              length_min=30)
    assert refused.value.code == "outside_programme"
    assert "Lina Howe is not in your programme" in refused.value.message
    assert await scheduling.upcoming(b["lina"].identity) == []
    # their own mentor at that time is bookable
    made = await scheduling.book(chad_a, [a["lina"].identity], roundtable=False,
                                 start=start, length_min=30)
    assert made[0].people == (chad_a.identity, a["lina"].identity)


async def test_people_in_no_programme_see_each_other_only(world: World) -> None:
    scheduling, directory = world.scheduling, world.scheduling.directory
    a = await programme_people(world, "A")
    sofia = await directory.register("Sofía Araya", PersonRole.MENTOR, "America/Santiago")
    tara = await directory.register("Tara Tehran", PersonRole.MENTEE, "Asia/Tehran")
    for person in (sofia, tara):
        await directory.save_availability(person.identity, Availability.model_validate(
            {"zone": person.zone, "weekly": {d: [["06:00", "22:00"]] for d in
                                             ("mon", "tue", "wed", "thu", "fri", "sat",
                                              "sun")}}))
    assert [p.identity for p in await scheduling.reach.counterparts(tara)] == [sofia.identity]
    chad_a = await directory.person(a["chad"].identity)
    assert [p.identity for p in await scheduling.reach.counterparts(chad_a)] == [a["lina"].identity]
    query = scheduling.query(START, START + timedelta(days=3), 30)
    start = (await scheduling.pair_slots(tara, sofia.identity, query))[0].start
    await scheduling.book(tara, [sofia.identity], roundtable=False, start=start,
                          length_min=30)
    with pytest.raises(RoomError) as refused:
        await scheduling.pair_slots(tara, a["lina"].identity, query)
    assert refused.value.code == "outside_programme"


async def test_people_with_a_session_together_still_see_each_other(world: World) -> None:
    scheduling = world.scheduling
    a, b = await programme_people(world, "A"), await programme_people(world, "B")
    lina_b = await scheduling.directory.person(b["lina"].identity)
    query = scheduling.query(START, START + timedelta(days=3), 30)
    slot = (await scheduling.pair_slots(lina_b, a["chad"].identity, query, any_role=True))[0]
    await scheduling.book(lina_b, [a["chad"].identity], roundtable=False, start=slot.start,
                          length_min=30, any_role=True)  # made before programmes scoped
    chad_a = await scheduling.directory.person(a["chad"].identity)
    assert {p.identity for p in await scheduling.reach.counterparts(chad_a)} == {
        a["lina"].identity, b["lina"].identity}
    later = scheduling.query(START + timedelta(days=1), START + timedelta(days=3), 30)
    assert await scheduling.pair_slots(chad_a, b["lina"].identity, later)
