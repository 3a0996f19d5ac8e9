"""An intro's first-session times: one per local day of both people, in both people's
current zones, offered again when they no longer hold."""

from __future__ import annotations

from datetime import datetime

import pytest

from rooms.errors import RoomError
from rooms.programmes.importer import read_csv
from rooms.programmes.model import Intro, Participant
from rooms.scheduling.availability import Availability

from .conftest import World

# Chatham (+13:45 in March) is free 09:00-15:00 every day; Accra (+00:00) all day long.
FAR = b"""key,name,role,zone,languages,skills,goals,capacity,exclusions,preferences,availability
mc,Mere Chatham,mentor,Pacific/Chatham,en,python,,1,,,mon-sun 09:00-15:00
ma,Ama Accra,mentee,Africa/Accra,en,,python,,,mc,mon-sun 00:00-24:00
"""


async def test_intro_times_fall_on_different_local_days_of_both_people(world: World) -> None:
    service = world.service
    programme = await service.create("Far apart")
    await service.import_people(programme.programme_id, read_csv(FAR))
    await service.run_matching(programme.programme_id)
    (intro,) = await service.publish(programme.programme_id)
    mentor = [datetime.fromisoformat(s.mentor_local) for s in intro.slots]
    mentee = [datetime.fromisoformat(s.mentee_local) for s in intro.slots]
    assert len(mentor) == 3
    # one offer per Chatham day and per Accra day, each the earliest time of its day
    assert len({t.date() for t in mentor}) == 3 and len({t.date() for t in mentee}) == 3
    assert [t.strftime("%H:%M %z") for t in mentor] == ["09:00 +1345"] * 3
    assert [t.day for t in mentor] == [3, 4, 5]  # March 2026, from Monday the 2nd 08:00Z


# Santiago (-03:00 until DST ends on 5 April 2026) and Tehran (+03:30).
MOVED = b"""key,name,role,zone,languages,skills,goals,capacity,exclusions,preferences,availability
sofia,Sofia Araya,mentor,America/Santiago,en,python,,1,,,mon-sun 18:00-20:00
tara,Tara Tehran,mentee,Asia/Tehran,en,,python,,,sofia,mon-sun 00:00-24:00
"""
MADRID_EVENINGS = Availability.model_validate({
    "zone": "Europe/Madrid",
    "weekly": {d: [["18:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat",
                                                 "sun")}})


async def published_pair(world: World) -> tuple[str, dict[str, Participant], Intro]:
    service = world.service
    programme = await service.create("Moves")
    people = {p.key: p for p in await service.import_people(programme.programme_id,
                                                            read_csv(MOVED))}
    await service.run_matching(programme.programme_id)
    (intro,) = await service.publish(programme.programme_id)
    assert [s.mentor_local for s in intro.slots] == [
        f"2026-03-0{d}T18:00:00-03:00" for d in (2, 3, 4)]
    return programme.programme_id, people, intro


async def test_an_intro_shows_current_zones_and_offers_times_that_hold(world: World) -> None:
    service = world.service
    pid, people, before = await published_pair(world)
    # Sofía corrects her zone on her schedule page: Madrid, the same evening hours
    await world.scheduling.directory.save_availability(people["sofia"].identity,
                                                       MADRID_EVENINGS)
    (intro,), now = await service.intros_for(pid, people["tara"].identity)
    assert now["sofia"].zone == "Europe/Madrid" and now["tara"].zone == "Asia/Tehran"
    assert [s.mentor_local for s in intro.slots] == [
        f"2026-03-0{d}T18:00:00+01:00" for d in (2, 3, 4)]
    assert [s.mentee_local for s in intro.slots] == [
        f"2026-03-0{d}T20:30:00+03:30" for d in (2, 3, 4)]
    assert await service.store.intros(pid) == [intro]  # stored: the same for both people
    (mentor_view,), _ = await service.intros_for(pid, people["sofia"].identity)
    assert mentor_view == intro
    booking = await service.accept(pid, people["tara"].identity, intro.slots[1].start)
    assert booking.start == intro.slots[1].start != before.slots[1].start


async def test_an_accept_refused_as_unavailable_offers_times_again(world: World) -> None:
    service = world.service
    pid, people, before = await published_pair(world)
    await world.scheduling.directory.save_availability(people["sofia"].identity,
                                                       MADRID_EVENINGS)
    with pytest.raises(RoomError) as refused:  # the page still shows the old times
        await service.accept(pid, people["tara"].identity, before.slots[0].start)
    assert refused.value.code == "slot_unavailable"
    (stored,) = await service.store.intros(pid)
    assert stored.booking_id is None and stored.slots != before.slots
    assert [s.mentor_local for s in stored.slots] == [
        f"2026-03-0{d}T18:00:00+01:00" for d in (2, 3, 4)]
    booking = await service.accept(pid, people["tara"].identity, stored.slots[0].start)
    assert booking.start == stored.slots[0].start
