"""The times an open intro offers a pair are held for it: nobody else of the programme
books either person then, until the pair accepts (finding: an outsider took the time and
the pair's accept failed slot_taken)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rooms.errors import RoomError
from rooms.programmes.importer import read_csv

from .conftest import World

# One Lord Howe mentor (+11:00 in March, half-hour DST) for two Chatham mentees (+13:45).
CSV = b"""key,name,role,zone,languages,skills,goals,capacity,exclusions,preferences,availability
lina,Lina Howe,mentor,Australia/Lord_Howe,en,python,,1,,,mon-sun 08:00-20:00
chad,Chad Chatham,mentee,Pacific/Chatham,en,,python,,,lina,mon-sun 08:00-20:00
cora,Cora Chatham,mentee,Pacific/Chatham,en,,python,,,lina,mon-sun 08:00-20:00
"""


async def test_an_open_intros_times_are_kept_for_its_pair(world: World) -> None:
    service, scheduling = world.service, world.scheduling
    programme = await service.create("Held")
    pid = programme.programme_id
    people = {p.key: p for p in await service.import_people(pid, read_csv(CSV))}
    await service.run_matching(pid)
    (intro,) = await service.publish(pid)
    left_out = people[({"chad", "cora"} - {intro.mentee}).pop()]
    other = await scheduling.directory.person(left_out.identity)
    lina = people["lina"].identity
    held = intro.slots[0]
    query = scheduling.query(held.start - timedelta(hours=1), held.end + timedelta(hours=1),
                             30)
    offered = await scheduling.pair_slots(other, lina, query)
    assert offered and all(s.end + timedelta(minutes=10) <= held.start
                           or s.start >= held.end + timedelta(minutes=10) for s in offered)
    with pytest.raises(RoomError) as refused:
        await scheduling.book(other, [lina], roundtable=False, start=held.start,
                              length_min=30)
    assert refused.value.code == "slot_taken"
    assert "held for Lina Howe" in refused.value.message
    assert await scheduling.upcoming(lina) == []
    (elsewhere,) = await scheduling.book(other, [lina], roundtable=False,
                                         start=offered[-1].start, length_min=30)
    with pytest.raises(RoomError) as refused:  # nor moved onto a held time
        await scheduling.reschedule(other, elsewhere.booking_id, held.start)
    assert refused.value.code == "slot_taken"
    await scheduling.cancel(other, elsewhere.booking_id)
    # the pair itself books it; once accepted, the other times are free for anyone
    mentee = people[intro.mentee]
    booking = await service.accept(pid, mentee.identity, held.start)
    assert booking.start == held.start
    later = await scheduling.book(other, [lina], roundtable=False,
                                  start=intro.slots[1].start, length_min=30)
    assert later[0].start == intro.slots[1].start
