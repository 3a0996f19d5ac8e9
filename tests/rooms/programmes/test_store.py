"""The programme store contract, on memory and on a real redis-server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis

from rooms.programmes.model import (
    Intro,
    IntroSlot,
    Matching,
    Pair,
    Participant,
    Programme,
    Role,
    SessionRecord,
)
from rooms.programmes.redis_store import RedisProgrammeStore
from rooms.programmes.store import ProgrammeStore

NOW = datetime(2026, 3, 2, tzinfo=UTC)


def person(key: str, role: Role = Role.MENTEE) -> Participant:
    return Participant(key=key, identity=f"id-{key}", name=key.title(), role=role,
                       zone="Asia/Tokyo", capacity=2 if role is Role.MENTOR else 0)


async def test_documents_round_trip_and_an_import_drops_the_matching(
        store: ProgrammeStore) -> None:
    programme = Programme(programme_id="p1", name="Spring", created_at=NOW)
    await store.create(programme)
    with pytest.raises(ValueError):
        await store.create(programme)
    assert await store.get("p1") == programme and await store.get("nope") is None
    people = [person("lee", Role.MENTOR), person("kenji")]
    await store.set_participants("p1", people)
    assert await store.participants("p1") == people
    matching = Matching(pairs=(Pair(mentor="lee", mentee="kenji", score=1.2, overlap_h=2.5,
                                    fit=0.9, explanation="why"),), total_score=1.2)
    await store.set_matching("p1", matching)
    await store.set_intros("p1", [Intro(mentor="lee", mentee="kenji", explanation="why")])
    assert await store.matching("p1") == matching
    assert len(await store.intros("p1")) == 1
    await store.set_participants("p1", people[:1])
    assert await store.matching("p1") is None and await store.intros("p1") == []
    await store.save(programme.model_copy(update={"published": True}))
    found = await store.get("p1")
    assert found is not None and found.published


async def test_coffee_rounds_index_and_sessions(store: ProgrammeStore) -> None:
    assert await store.add_coffee_round("p1", [Intro(mentor="a", mentee="b",
                                                     explanation="x", kind="coffee")]) == 1
    assert await store.add_coffee_round("p1", []) == 2
    rounds = await store.coffee_rounds("p1")
    assert [len(r) for r in rounds] == [1, 0] and rounds[0][0].mentee == "b"
    await store.index_people("p1", ["id-a", "id-b"])
    await store.index_people("p1", [])
    assert await store.programme_of("id-a") == "p1" and await store.programme_of("x") is None
    record = SessionRecord(booking_id="b1", people=("id-a", "id-b"), start=NOW,
                           end=NOW + timedelta(minutes=30), room_id="coffee-x-0")
    await store.save_session("p1", record)
    moved = record.model_copy(update={"start": NOW + timedelta(days=1),
                                      "end": NOW + timedelta(days=1, minutes=30),
                                      "room_id": "coffee-x-1"})
    await store.save_session("p1", moved)
    assert await store.sessions("p1") == [moved]
    assert await store.sessions("p2") == []


async def test_claiming_an_intro_is_once(store: ProgrammeStore) -> None:
    intros = [Intro(mentor="lee", mentee="kenji", explanation="why"),
              Intro(mentor="ana", mentee="lou", explanation="why")]
    await store.set_intros("p1", intros)
    assert await store.claim_intro("p1", "lee", "kenji", "b1")
    assert not await store.claim_intro("p1", "lee", "kenji", "b2")
    assert not await store.claim_intro("p1", "lee", "lou", "b3")
    assert not await store.claim_intro("p2", "lee", "kenji", "b4")
    assert [i.booking_id for i in await store.intros("p1")] == ["b1", None]


async def test_a_lease_has_one_holder_until_given_back(store: ProgrammeStore) -> None:
    assert await store.acquire("p1", "publish", "t1", 900)
    assert not await store.acquire("p1", "publish", "t2", 900)
    assert await store.acquire("p2", "publish", "t2", 900)  # another programme
    await store.release("p1", "publish", "t2")  # not the holder: nothing happens
    assert not await store.acquire("p1", "publish", "t3", 900)
    await store.release("p1", "publish", "t1")
    assert await store.acquire("p1", "publish", "t3", 900)


async def test_unindexing_forgets_only_this_programmes_people(store: ProgrammeStore) -> None:
    await store.index_people("p1", ["id-a", "id-b"])
    await store.index_people("p2", ["id-c"])
    await store.unindex_people("p1", ["id-a", "id-c", "id-x"])
    await store.unindex_people("p1", [])
    assert await store.programme_of("id-a") is None
    assert await store.programme_of("id-b") == "p1" and await store.programme_of("id-c") == "p2"


async def test_programmes_are_listed_newest_first_with_their_people(
        store: ProgrammeStore) -> None:
    assert await store.list_programmes(10) == []
    for n, name in enumerate(["Autumn", "Spring", "Summer"]):
        await store.create(Programme(programme_id=f"p{n}", name=name,
                                     created_at=NOW + timedelta(days=n % 2)))
    await store.set_participants("p1", [person("lee", Role.MENTOR), person("kenji")])
    await store.save((await store.get("p1") or Programme(programme_id="x", name="x",
                                                         created_at=NOW)).model_copy(
        update={"published": True}))
    listed = await store.list_programmes(10)
    # p1 is the newest; p0 and p2 share a created time: the higher id first
    assert [(p.programme_id, p.name, p.people, p.published) for p in listed] == [
        ("p1", "Spring", 2, True), ("p2", "Summer", 0, False), ("p0", "Autumn", 0, False)]
    assert listed[0].created_at == NOW + timedelta(days=1)
    assert [p.programme_id for p in await store.list_programmes(2)] == ["p1", "p2"]
    assert await store.list_programmes(0) == []


async def test_programmes_stored_before_the_list_existed_are_listed(
        clean_redis_url: str) -> None:
    store = RedisProgrammeStore(clean_redis_url)
    client = aioredis.from_url(clean_redis_url, decode_responses=True)
    try:
        await store.create(Programme(programme_id="old", name="Old", created_at=NOW))
        await store.set_participants("old", [person("kenji")])
        await store.add_coffee_round("old", [])  # programme:old:coffee is not a programme
        # as an older version wrote it: no list index, no people_count
        await client.delete("mentorcall:programmes:created")
        await client.hdel("mentorcall:programme:old", "people_count")
        await store.create(Programme(programme_id="new", name="New",
                                     created_at=NOW + timedelta(hours=1)))
        listed = await store.list_programmes(10)
        assert [(p.programme_id, p.people) for p in listed] == [("new", 0), ("old", 1)]
    finally:
        await client.aclose()
        await store.close()


async def test_each_persons_open_intros_follow_publish_reoffer_claim_and_import(
        store: ProgrammeStore) -> None:
    slot = IntroSlot(start=NOW, end=NOW + timedelta(minutes=30),
                     mentor_local="2026-03-02T10:00:00+10:00",
                     mentee_local="2026-03-02T09:00:00+09:00")
    later = slot.model_copy(update={"start": NOW + timedelta(days=1),
                                    "end": NOW + timedelta(days=1, minutes=30)})
    lee = Intro(mentor="lee", mentee="kenji", explanation="why", slots=(slot,),
                identities=("id-lee", "id-kenji"))
    old = Intro(mentor="ana", mentee="lou", explanation="why", slots=(slot,))  # no ids
    await store.set_intros("p1", [lee, old])
    assert await store.held("p1", "id-kenji") == [lee] == await store.held("p1", "id-lee")
    assert await store.held("p1", "id-lou") == [] and await store.held("p2", "id-lee") == []
    assert not await store.reoffer_intro("p1", "lee", "kenji", (later,), (later,))
    assert await store.reoffer_intro("p1", "lee", "kenji", (slot,), (later,))
    assert [i.slots for i in await store.held("p1", "id-lee")] == [(later,)]
    assert await store.claim_intro("p1", "lee", "kenji", "b1")
    assert await store.held("p1", "id-lee") == []
    assert not await store.reoffer_intro("p1", "lee", "kenji", (later,), (slot,))
    await store.set_intros("p1", [lee])
    await store.set_participants("p1", [])
    assert await store.held("p1", "id-lee") == []
