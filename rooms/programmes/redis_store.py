"""Programmes in Redis.

Layout (after the key prefix, ``mentorcall:`` by default; no TTL: programmes are records,
not sessions):

* ``programme:{id}``        hash: ``programme``, ``participants``, ``matching``, ``intros``
  (each one JSON document, replaced by one HSET/HDEL transaction) and ``people_count``
  (written with ``participants``; counted from it for programmes imported before)
* ``programme:{id}:coffee`` list: one JSON array of intros per coffee round
* ``programme:{id}:sessions`` hash: booking id -> JSON session record
* ``programme:{id}:lease:{task}`` string: the token of whoever holds the task (a publish),
  with a TTL; taken with SET NX PX, given back by a Lua compare-and-delete
* ``programmes:people``     hash: person identity -> programme id
* ``programmes:created``    sorted set: programme id scored by its created time (the list
  of programmes); ``programmes:created:complete`` is set once the programmes created before
  this index existed have been added to it (a SCAN, on the first list)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

from rooms.programmes.model import (
    Intro,
    IntroSlot,
    Matching,
    Participant,
    Programme,
    ProgrammeSummary,
    SessionRecord,
)
from rooms.programmes.store import ProgrammeStore, open_intros_by_person, summary
from rooms.redis_client import RedisBacked

KEY = "programme:{id}"
COFFEE_KEY = "programme:{id}:coffee"
SESSIONS_KEY = "programme:{id}:sessions"
HELD_KEY = "programme:{id}:held"  # identity -> their open intros (written with "intros")
LEASE_KEY = "programme:{id}:lease:"
PEOPLE_KEY = "programmes:people"  # not under programme: (no id can clash)
CREATED_KEY = "programmes:created"
COMPLETE_KEY = "programmes:created:complete"
# KEYS: people index. ARGV: programme id, identities: drop those still in that programme.
UNINDEX_LUA = """
for k = 2, #ARGV do
  if redis.call('hget', KEYS[1], ARGV[k]) == ARGV[1] then redis.call('hdel', KEYS[1], ARGV[k]) end
end
return 0
"""
RELEASE_LUA = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


def _intros(text: str | bytes | None) -> list[Intro]:
    return [Intro.model_validate(i) for i in json.loads(text)] if text else []


def _dump(items: list[Intro] | list[Participant]) -> str:
    return json.dumps([i.model_dump(mode="json") for i in items])


class RedisProgrammeStore(RedisBacked, ProgrammeStore):
    """Programmes in Redis hashes (see the module docstring)."""

    def __init__(self, url_or_client: str | aioredis.Redis,
                 key_prefix: str = "mentorcall:") -> None:
        super().__init__(url_or_client)
        self._prefix = key_prefix
        self._release = self._client.register_script(RELEASE_LUA)
        self._unindex = self._client.register_script(UNINDEX_LUA)

    def _key(self, template: str, programme_id: str = "") -> str:
        return self._prefix + template.format(id=programme_id)

    async def create(self, programme: Programme) -> None:
        key = self._key(KEY, programme.programme_id)
        async with self._client.pipeline(transaction=True) as tx:  # listed once stored
            tx.hsetnx(key, "programme", programme.model_dump_json())
            tx.zadd(self._key(CREATED_KEY),
                    {programme.programme_id: programme.created_at.timestamp()}, nx=True)
            created, _ = await tx.execute()
        if not created:
            raise ValueError("a programme with this id exists")

    async def _index_older(self) -> None:
        """Add the programmes created before ``programmes:created`` existed (once)."""
        if await self._client.exists(self._key(COMPLETE_KEY)):
            return
        head = self._key(KEY, "")
        async for found in self._client.scan_iter(match=head + "*", count=500):
            programme_id = str(found)[len(head):]
            if ":" in programme_id:  # programme:{id}:coffee, ...
                continue
            programme = await self.get(programme_id)
            if programme is not None:
                await self._client.zadd(self._key(CREATED_KEY), {
                    programme_id: programme.created_at.timestamp()})
        await self._client.set(self._key(COMPLETE_KEY), "1")

    async def list_programmes(self, limit: int) -> list[ProgrammeSummary]:
        if limit <= 0:
            return []
        await self._index_older()
        ids = await self._client.zrevrange(self._key(CREATED_KEY), 0, limit - 1)
        async with self._client.pipeline(transaction=False) as pipe:
            for programme_id in ids:
                pipe.hmget(self._key(KEY, str(programme_id)), ["programme", "people_count"])
            found = await pipe.execute()
        listed = []
        for programme_id, (text, count) in zip(ids, found, strict=True):
            if text is None:
                continue
            if count is None:  # imported before people_count was written
                count = len(await self.participants(str(programme_id)))
            listed.append(summary(Programme.model_validate_json(text), int(count)))
        return listed

    async def get(self, programme_id: str) -> Programme | None:
        text = await self._client.hget(self._key(KEY, programme_id), "programme")
        return Programme.model_validate_json(text) if text else None

    async def save(self, programme: Programme) -> None:
        await self._client.hset(self._key(KEY, programme.programme_id), "programme",
                                programme.model_dump_json())

    async def set_participants(self, programme_id: str, people: list[Participant]) -> None:
        key = self._key(KEY, programme_id)
        async with self._client.pipeline(transaction=True) as tx:
            tx.hset(key, mapping={"participants": _dump(people), "people_count": len(people)})
            tx.hdel(key, "matching", "intros")
            tx.delete(self._key(HELD_KEY, programme_id))
            await tx.execute()

    async def participants(self, programme_id: str) -> list[Participant]:
        text = await self._client.hget(self._key(KEY, programme_id), "participants")
        return [Participant.model_validate(p) for p in json.loads(text)] if text else []

    async def set_matching(self, programme_id: str, matching: Matching) -> None:
        await self._client.hset(self._key(KEY, programme_id), "matching",
                                matching.model_dump_json())

    async def matching(self, programme_id: str) -> Matching | None:
        text = await self._client.hget(self._key(KEY, programme_id), "matching")
        return Matching.model_validate_json(text) if text else None

    def _write_intros(self, tx: Pipeline, programme_id: str, intros: list[Intro]) -> None:
        """Queue the intros and the index of each person's open ones (:meth:`held`)."""
        tx.hset(self._key(KEY, programme_id), "intros", _dump(intros))
        held_key = self._key(HELD_KEY, programme_id)
        tx.delete(held_key)
        for identity, held in open_intros_by_person(intros).items():
            tx.hset(held_key, identity, _dump(held))

    async def set_intros(self, programme_id: str, intros: list[Intro]) -> None:
        async with self._client.pipeline(transaction=True) as tx:
            self._write_intros(tx, programme_id, intros)
            await tx.execute()

    async def held(self, programme_id: str, identity: str) -> list[Intro]:
        return _intros(await self._client.hget(self._key(HELD_KEY, programme_id), identity))

    async def intros(self, programme_id: str) -> list[Intro]:
        return _intros(await self._client.hget(self._key(KEY, programme_id), "intros"))

    async def claim_intro(self, programme_id: str, mentor: str, mentee: str,
                          booking_id: str, accepted_by: str | None = None) -> bool:
        return await self._change_intro(
            programme_id, mentor, mentee,
            lambda intro: intro.model_copy(update={"booking_id": booking_id,
                                                   "accepted_by": accepted_by})
            if intro.booking_id is None else None)

    async def reoffer_intro(self, programme_id: str, mentor: str, mentee: str,
                            expected: tuple[IntroSlot, ...],
                            slots: tuple[IntroSlot, ...]) -> bool:
        return await self._change_intro(
            programme_id, mentor, mentee,
            lambda intro: intro.model_copy(update={"slots": slots})
            if intro.booking_id is None and intro.slots == expected else None)

    async def _change_intro(self, programme_id: str, mentor: str, mentee: str,
                            change: Callable[[Intro], Intro | None]) -> bool:
        """Replace the pair's intro by ``change(intro)`` in one transaction (WATCH, retried
        if the intros change meanwhile); False if there is no such intro or ``change``
        gives None (nothing written)."""
        key = self._key(KEY, programme_id)
        done = False

        async def attempt(pipe: Pipeline) -> None:
            nonlocal done
            done = False
            intros = _intros(await pipe.hget(key, "intros"))
            for k, intro in enumerate(intros):
                if (intro.mentor, intro.mentee) == (mentor, mentee):
                    changed = change(intro)
                    if changed is not None:
                        intros[k] = changed
                        pipe.multi()
                        self._write_intros(pipe, programme_id, intros)
                        done = True
                    return

        await self._client.transaction(attempt, key)
        return done

    async def add_coffee_round(self, programme_id: str, intros: list[Intro]) -> int:
        return int(await self._client.rpush(self._key(COFFEE_KEY, programme_id), _dump(intros)))

    async def coffee_rounds(self, programme_id: str) -> list[list[Intro]]:
        items = await self._client.lrange(self._key(COFFEE_KEY, programme_id), 0, -1)
        return [_intros(i) for i in items]

    async def index_people(self, programme_id: str, identities: list[str]) -> None:
        if identities:
            await self._client.hset(self._key(PEOPLE_KEY), mapping=dict.fromkeys(identities,
                                                                      programme_id))

    async def unindex_people(self, programme_id: str, identities: list[str]) -> None:
        if identities:
            await self._unindex(keys=[self._key(PEOPLE_KEY)], args=[programme_id, *identities])

    async def programme_of(self, identity: str) -> str | None:
        found = await self._client.hget(self._key(PEOPLE_KEY), identity)
        return None if found is None else str(found)

    async def programmes_of(self, identities: Sequence[str]) -> list[str | None]:
        if not identities:
            return []
        found = await self._client.hmget(self._key(PEOPLE_KEY), list(identities))
        return [None if f is None else str(f) for f in found]

    async def save_session(self, programme_id: str, record: SessionRecord) -> None:
        await self._client.hset(self._key(SESSIONS_KEY, programme_id), record.booking_id,
                                record.model_dump_json())

    async def sessions(self, programme_id: str) -> list[SessionRecord]:
        found = await self._client.hvals(self._key(SESSIONS_KEY, programme_id))
        return [SessionRecord.model_validate_json(v) for v in found]

    async def acquire(self, programme_id: str, task: str, token: str, ttl_s: int) -> bool:
        key = self._key(LEASE_KEY, programme_id) + task
        return bool(await self._client.set(key, token, nx=True, px=ttl_s * 1000))

    async def release(self, programme_id: str, task: str, token: str) -> None:
        await self._release(keys=[self._key(LEASE_KEY, programme_id) + task], args=[token])
