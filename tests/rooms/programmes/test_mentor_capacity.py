"""A mentor with several mentees: every intro reaches them, and the times offered to their
pairs never collide (review finding 7)."""

from __future__ import annotations

from rooms.programmes.importer import read_csv

from .conftest import World

CAP2 = b"""key,name,role,zone,capacity,availability
mo,Mo Mentor,mentor,Europe/Paris,2,mon-fri 09:00-10:30
x1,Xia One,mentee,Europe/Paris,,mon-fri 09:00-10:30
x2,Xu Two,mentee,Europe/Paris,,mon-fri 09:00-10:30
"""


async def test_each_mentee_is_offered_other_times_and_both_can_book(world: World) -> None:
    service = world.service
    programme = await service.create("Cap2")
    pid = programme.programme_id
    people = {p.key: p for p in await service.import_people(pid, read_csv(CAP2))}
    matching = await service.run_matching(pid)
    assert sorted((p.mentor, p.mentee) for p in matching.pairs) == [("mo", "x1"),
                                                                    ("mo", "x2")]
    intros = {i.mentee: i for i in await service.publish(pid)}
    assert len(intros["x1"].slots) == 3 and len(intros["x2"].slots) == 3
    for a in intros["x1"].slots:
        for b in intros["x2"].slots:
            assert not (a.start < b.end and b.start < a.end), (a.start, b.start)
    # each mentee takes the first time their page offers: both are booked
    first = await service.accept(pid, people["x1"].identity, intros["x1"].slots[0].start)
    second = await service.accept(pid, people["x2"].identity, intros["x2"].slots[0].start)
    assert first.booking_id != second.booking_id
    mine, _ = await service.intros_for(pid, people["mo"].identity)
    assert [(i.mentee, i.booking_id) for i in mine] == [("x1", first.booking_id),
                                                         ("x2", second.booking_id)]


async def test_the_mentor_accepts_for_their_second_mentee(world: World) -> None:
    service = world.service
    programme = await service.create("Cap2")
    pid = programme.programme_id
    people = {p.key: p for p in await service.import_people(pid, read_csv(CAP2))}
    await service.run_matching(pid)
    intros = {i.mentee: i for i in await service.publish(pid)}
    booking = await service.accept(pid, people["mo"].identity, intros["x2"].slots[1].start)
    upcoming = await world.scheduling.upcoming(people["x2"].identity)
    assert [b.booking_id for b in upcoming] == [booking.booking_id]
    mine, _ = await service.intros_for(pid, people["mo"].identity)
    assert {i.mentee: i.booking_id for i in mine} == {"x1": None, "x2": booking.booking_id}
    # and then for the first one, at one of the times offered to that pair
    other = await service.accept(pid, people["mo"].identity, intros["x1"].slots[0].start)
    assert other.booking_id != booking.booking_id
