"""The people stores (memory and Redis, one contract) and the people directory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis

from rooms.clock import ManualClock
from rooms.errors import RoomError
from rooms.person_tokens import FeedTokens
from rooms.scheduling.directory import PeopleDirectory
from rooms.scheduling.people import (
    MemoryPeopleStore,
    PeopleStore,
    Person,
    PersonRecord,
    PersonRole,
)
from rooms.scheduling.redis_people import RedisPeopleStore
from tests.rooms.scheduling.builders import NOW, every_day, expect_code

SECRET = "s3cret-for-tests-0123456789abcdef-xyz"


@pytest.fixture(params=["memory", "redis"])
async def people(request: pytest.FixtureRequest) -> AsyncIterator[PeopleStore]:
    """Each people store in turn; the Redis one on a freshly flushed real redis-server."""
    made: PeopleStore
    if request.param == "redis":
        made = RedisPeopleStore(request.getfixturevalue("clean_redis_url"))
    else:
        made = MemoryPeopleStore()
    yield made
    await made.close()


@pytest.fixture
def directory(people: PeopleStore) -> PeopleDirectory:
    return PeopleDirectory(people, FeedTokens(SECRET), ManualClock(NOW.timestamp()))


def person(identity: str, name: str = "Ada", role: PersonRole = PersonRole.MENTOR,
           zone: str = "Europe/London") -> Person:
    return Person(identity=identity, display_name=name, role=role, zone=zone,
                  created_at=datetime(2024, 1, 1, tzinfo=UTC))


async def test_people_are_stored_and_listed(people: PeopleStore) -> None:
    await people.add(person("b", "bob"))
    await people.add(person("a", "Ada", PersonRole.MENTEE))
    with pytest.raises(ValueError):
        await people.add(person("a", "Again"))
    record = await people.get("a")
    assert record is not None and record.person.display_name == "Ada"
    assert record.availability is None
    assert [p.identity for p in await people.everyone()] == ["a", "b"]
    assert [p.identity for p in await people.everyone(limit=1)] == ["a"]
    assert await people.get("nobody") is None


async def test_saving_availability_moves_the_person_to_its_zone(people: PeopleStore) -> None:
    await people.add(person("a"))
    availability = every_day("Asia/Kathmandu", "08:30-12:00")
    saved = await people.save_availability("a", availability)
    assert saved is not None and saved.zone == "Asia/Kathmandu"
    record = await people.get("a")
    assert record is not None
    assert (record.person.zone, record.availability) == ("Asia/Kathmandu", availability)
    assert await people.save_availability("nobody", availability) is None
    assert await people.get("nobody") is None  # not created by the save


async def test_feed_renewal_and_removal(people: PeopleStore) -> None:
    await people.add(person("a"))
    renewed = await people.renew_feed("a")
    assert renewed is not None and renewed.feed_version == 1
    # Concurrent changes do not undo each other.
    await asyncio.gather(people.renew_feed("a"),
                         people.save_availability("a", every_day("UTC", "09:00-10:00")),
                         people.renew_feed("a"))
    record = await people.get("a")
    assert record is not None and (record.person.feed_version, record.person.zone) == (3, "UTC")
    assert await people.renew_feed("nobody") is None
    assert await people.remove("a") is True
    assert await people.remove("a") is False
    assert await people.get("a") is None and await people.everyone() == []


async def test_redis_people_keys_are_owned_by_the_index(clean_redis_url: str) -> None:
    store = RedisPeopleStore(clean_redis_url)
    client = aioredis.Redis.from_url(clean_redis_url, decode_responses=True)
    try:
        await store.add(person("a"))
        await store.save_availability("a", every_day("UTC", "09:00-10:00"))
        keys = sorted([k async for k in client.scan_iter("*")])
        assert keys == [store.index_key, store.person_key("a")]
        await store.remove("a")
        assert [k async for k in client.scan_iter("*")] == []
    finally:
        await client.aclose()
        await store.close()


async def test_the_directory_registers_and_checks_feeds(directory: PeopleDirectory) -> None:
    ada = await directory.register("Ada", PersonRole.MENTOR, "America/Los_Angeles",
                                   "ada@example.org")
    kenji = await directory.register("Kenji", PersonRole.MENTEE, "Asia/Tokyo")
    hana = await directory.register("Hana", PersonRole.HOST, "UTC")
    assert len({ada.identity, kenji.identity, hana.identity}) == 3
    assert ada.created_at == NOW
    with expect_code("unknown_zone"):
        await directory.register("X", PersonRole.MENTOR, "Not/AZone")
    with expect_code("person_not_found"):
        await directory.person("nobody")
    with pytest.raises(RoomError, match="'nobody'"):
        await directory.records([ada.identity, "nobody"])
    assert [p.identity for p in await directory.counterparts(kenji)] == [ada.identity]
    assert {p.identity for p in await directory.counterparts(hana)} == {ada.identity,
                                                                        kenji.identity}
    token = directory.feed_token(ada)
    owner = await directory.feed_owner(token)
    assert owner is not None and owner.person.identity == ada.identity
    await directory.renew_feed(ada.identity)
    assert await directory.feed_owner(token) is None
    fresh = directory.feed_token(await directory.person(ada.identity))
    assert fresh != token and await directory.feed_owner(fresh) is not None
    assert await directory.feed_owner("garbage") is None
    assert await directory.feed_owner(f"nobody.{'0' * 32}") is None


async def test_link_renewal_raises_the_token_version(people: PeopleStore) -> None:
    await people.add(person("a"))
    await asyncio.gather(people.renew_link("a"), people.renew_feed("a"),
                         people.renew_link("a"))
    record = await people.get("a")
    assert record is not None
    assert (record.person.token_version, record.person.feed_version) == (2, 1)
    assert await people.renew_link("nobody") is None


async def test_details_change_and_the_rest_stays(people: PeopleStore,
                                                 directory: PeopleDirectory) -> None:
    await people.add(person("a"))
    await people.renew_link("a")
    await people.save_availability("a", every_day("Asia/Tokyo"))
    changed = await directory.save_details("a", "Ada L.", PersonRole.MENTEE, "ada@example.org")
    record = await people.get("a")
    assert record is not None and record.person == changed
    assert (changed.display_name, changed.role, changed.email) == (
        "Ada L.", PersonRole.MENTEE, "ada@example.org")
    assert (changed.zone, changed.token_version) == ("Asia/Tokyo", 1)
    assert record.availability == every_day("Asia/Tokyo")
    assert await people.save_details("nobody", "X", PersonRole.HOST, None) is None
    with expect_code("person_not_found"):
        await directory.save_details("nobody", "X", PersonRole.HOST, None)


class CountingPeople(MemoryPeopleStore):
    """The memory store, counting reads: to see which tokens reach the store."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    async def get(self, identity: str) -> PersonRecord | None:
        self.reads += 1
        return await super().get(identity)


async def test_a_forged_feed_token_never_reaches_the_store() -> None:
    store = CountingPeople()
    directory = PeopleDirectory(store, FeedTokens(SECRET), ManualClock(NOW.timestamp()))
    ada = await directory.register("Ada", PersonRole.MENTOR, "Europe/London")
    good = directory.feed_token(ada)
    forged = [f"{ada.identity}.0.{'0' * 32}", f"{ada.identity}.{'f' * 32}",
              directory.feed_token(ada).replace(ada.identity, "someone-else"),
              FeedTokens(SECRET + "-other").issue(ada.identity, 0)]
    for token in forged:
        assert await directory.feed_owner(token) is None, token
    assert store.reads == 0
    assert await directory.feed_owner(good) is not None and store.reads == 1
