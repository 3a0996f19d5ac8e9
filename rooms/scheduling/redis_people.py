"""The Redis people store: people and their availability, shared by processes.

Layout (after the key prefix):

* ``PERSON_KEY``  hash per person: ``json`` (the Person), ``availability`` (JSON, absent
  until set)
* ``INDEX_KEY``   set of every identity

People are programme records, not sessions, so their keys carry no TTL; each has an owner
that cleans it: the index owns the person hashes, and :meth:`RedisPeopleStore.remove`
deletes a person's hash and index entry together.

Changes to a person (a new zone with their availability, a new feed version) are built in
Python and written with a compare-and-set on the stored JSON, retried if another writer
got there first; so two concurrent changes never undo each other, and a removed person is
never brought back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis

from rooms.redis_client import RedisBacked
from rooms.scheduling.availability import Availability
from rooms.scheduling.people import (
    MAX_PEOPLE_LISTED,
    PeopleStore,
    Person,
    PersonRecord,
    PersonRole,
    sort_people,
)

PERSON_KEY = "people:person:{identity}"
INDEX_KEY = "people:index"
MAX_CAS_TRIES = 20

# KEYS: person, index. ARGV: identity, json.
ADD_LUA = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'json', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
return 1
"""

# KEYS: person. ARGV: expected json, new json, availability json ('' to keep).
UPDATE_LUA = """
local current = redis.call('HGET', KEYS[1], 'json')
if not current then return 'missing' end
if current ~= ARGV[1] then return 'retry' end
redis.call('HSET', KEYS[1], 'json', ARGV[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'availability', ARGV[3]) end
return 'ok'
"""

# KEYS: person, index. ARGV: identity.
REMOVE_LUA = """
redis.call('SREM', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])
"""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisPeopleStore(RedisBacked, PeopleStore):
    """People in Redis (see the module docstring for the layout).

    ``url_or_client`` is a redis URL (the store then owns, and closes, its client) or an
    existing ``redis.asyncio.Redis`` (left open on ``close()``).
    """

    def __init__(self, url_or_client: str | aioredis.Redis,
                 key_prefix: str = "mentorcall:") -> None:
        super().__init__(url_or_client)
        self._prefix = key_prefix
        self._add = self._client.register_script(ADD_LUA)
        self._update = self._client.register_script(UPDATE_LUA)
        self._remove = self._client.register_script(REMOVE_LUA)

    def person_key(self, identity: str) -> str:
        return self._prefix + PERSON_KEY.format(identity=identity)

    @property
    def index_key(self) -> str:
        return self._prefix + INDEX_KEY

    async def add(self, person: Person) -> None:
        added = await self._add(keys=[self.person_key(person.identity), self.index_key],
                                args=[person.identity, person.model_dump_json()])
        if not int(added):
            raise ValueError("a person with this identity exists")

    async def get(self, identity: str) -> PersonRecord | None:
        data, availability = await self._client.hmget(
            self.person_key(identity), ["json", "availability"])
        if data is None:
            return None
        return PersonRecord(
            Person.model_validate_json(_text(data)),
            Availability.model_validate_json(_text(availability))
            if availability is not None else None,
        )

    async def everyone(self, limit: int = MAX_PEOPLE_LISTED) -> list[Person]:
        identities = sorted(map(_text, await self._client.smembers(self.index_key)))
        if not identities:
            return []
        async with self._client.pipeline(transaction=False) as pipe:
            for identity in identities:
                pipe.hget(self.person_key(identity), "json")
            replies = await pipe.execute()
        people = [Person.model_validate_json(_text(r)) for r in replies if r is not None]
        return sort_people(people)[:limit]

    async def _change(self, identity: str, change: Callable[[Person], Person],
                      availability: Availability | None = None) -> Person | None:
        extra = availability.model_dump_json() if availability is not None else ""
        for _ in range(MAX_CAS_TRIES):
            current = await self._client.hget(self.person_key(identity), "json")
            if current is None:
                return None
            person = change(Person.model_validate_json(_text(current)))
            status = _text(await self._update(keys=[self.person_key(identity)],
                                              args=[_text(current), person.model_dump_json(),
                                                    extra]))
            if status == "ok":
                return person
            if status == "missing":
                return None
        raise RuntimeError(f"person {identity} kept changing; gave up")

    async def save_availability(self, identity: str, availability: Availability) -> Person | None:
        return await self._change(identity, lambda p: p.in_zone(availability.zone), availability)

    async def save_details(self, identity: str, display_name: str, role: PersonRole,
                           email: str | None) -> Person | None:
        return await self._change(identity,
                                  lambda p: p.with_details(display_name, role, email))

    async def renew_feed(self, identity: str) -> Person | None:
        return await self._change(identity, lambda p: p.with_new_feed())

    async def renew_link(self, identity: str) -> Person | None:
        return await self._change(identity, lambda p: p.with_new_link())

    async def remove(self, identity: str) -> bool:
        removed = await self._remove(keys=[self.person_key(identity), self.index_key],
                                     args=[identity])
        return bool(int(removed))
