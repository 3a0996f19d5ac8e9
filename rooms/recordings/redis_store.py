"""The Redis recording store: one truth for every process of a deployment.

Layout (after the key prefix; every key carries the ``{rec}`` hash tag, so the scripts
below touch one Redis Cluster slot):

* ``{rec}:recording:<id>``  hash: ``rev`` and ``json`` (the Recording)
* ``{rec}:by-start``        sorted set: recording ids scored by ``started_at``
* ``{rec}:room:<room>``, ``{rec}:booking:<booking>``, ``{rec}:person:<identity>``
                            sets of recording ids (the listing filters)
* ``{rec}:active:<room>``   the id of the room's recording in state ``recording``
* ``{rec}:policy:<room>``   the room's RecordingPolicy (expires with the room)
* ``{rec}:audit``           list of AuditEntry JSON, newest first, trimmed to a bound
* ``{rec}:revoked:<nonce>`` a signed-out admin session (expires when it would have ended)

Recordings and their index entries live until deleted (retention); the active key until
the recording ends (its owner, ``update``, removes it); the audit list is trimmed.
Creation (with the one-active-per-room check) and deletion are Lua scripts; updates are
compare-and-set on the revision, retried on a fresh read like the roundtable store.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random

import redis.asyncio as aioredis
from pydantic import ValidationError

from rooms.clock import Clock, SystemClock
from rooms.errors import RoomError
from rooms.recordings.audit import MAX_AUDIT_ENTRIES, MAX_TRAIL_ENTRIES, TRAIL_TTL_S, AuditEntry
from rooms.recordings.model import Recording, RecordingFilter, newest_first
from rooms.recordings.policy import DEFAULT_POLICY, RecordingPolicy
from rooms.recordings.store import (
    DEFAULT_LIMIT,
    RecordingChange,
    RecordingStore,
    check_change,
    clamp_limit,
    next_revision,
)
from rooms.redis_client import RedisBacked

logger = logging.getLogger(__name__)

TAG = "{rec}"
MAX_CAS_TRIES = 200
BACKOFF_S = 0.001
AUDIT_SCAN = 10_000  # entries of the whole log looked through for a recording's entries
# written before its own trail was kept (older versions)

# KEYS: recording, by-start, active, then index sets. ARGV: id, json, started_at, active.
CREATE_LUA = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 'exists' end
if ARGV[4] == '1' then
  if redis.call('EXISTS', KEYS[3]) == 1 then return 'active' end
  redis.call('SET', KEYS[3], ARGV[1])
end
redis.call('HSET', KEYS[1], 'rev', '1', 'json', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
for i = 4, #KEYS do redis.call('SADD', KEYS[i], ARGV[1]) end
return 'ok'
"""

# KEYS: recording, active, then person index sets. ARGV: expected rev, new rev, json, id,
# still active ('1'/'0').
UPDATE_LUA = """
local rev = redis.call('HGET', KEYS[1], 'rev')
if not rev then return -1 end
if rev ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'rev', ARGV[2], 'json', ARGV[3])
if ARGV[5] == '0' and redis.call('GET', KEYS[2]) == ARGV[4] then redis.call('DEL', KEYS[2]) end
for i = 3, #KEYS do redis.call('SADD', KEYS[i], ARGV[4]) end
return 1
"""

# KEYS: recording, by-start, active, then index sets. ARGV: id.
DELETE_LUA = """
if redis.call('DEL', KEYS[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('GET', KEYS[3]) == ARGV[1] then redis.call('DEL', KEYS[3]) end
for i = 4, #KEYS do redis.call('SREM', KEYS[i], ARGV[1]) end
return 1
"""


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisRecordingStore(RedisBacked, RecordingStore):
    """Recordings in Redis. ``url_or_client``: a redis URL (owned client) or a shared
    ``redis.asyncio.Redis`` (left open on ``close()``)."""

    def __init__(self, url_or_client: str | aioredis.Redis, clock: Clock | None = None,
                 key_prefix: str = "mentorcall:",
                 max_audit_entries: int = MAX_AUDIT_ENTRIES) -> None:
        super().__init__(url_or_client)
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._prefix = key_prefix + TAG + ":"
        self._max_audit = max_audit_entries
        self._create = self._client.register_script(CREATE_LUA)
        self._cas = self._client.register_script(UPDATE_LUA)
        self._delete = self._client.register_script(DELETE_LUA)
        # what reassert() writes back after a Redis restart lost it: the active recording
        # of each room as last written here, and the policies set here (with their end)
        self._active_here: dict[str, Recording] = {}
        self._policies_here: dict[str, tuple[RecordingPolicy, float]] = {}
        self._unreadable: set[str] = set()  # ids logged as failing validation

    def _wrote(self, recording: Recording) -> None:
        if recording.is_active:
            self._active_here[recording.room_id] = recording
        elif self._active_here.get(recording.room_id, recording).recording_id \
                == recording.recording_id:
            self._active_here.pop(recording.room_id, None)

    def key(self, *parts: str) -> str:
        """A key of this store: the prefix, the hash tag, then ``parts`` joined by ':'."""
        return self._prefix + ":".join(parts)

    def _index_keys(self, recording: Recording) -> list[str]:
        keys = [self.key("room", recording.room_id)]
        if recording.booking_id is not None:
            keys.append(self.key("booking", recording.booking_id))
        return keys + [self.key("person", i) for i in recording.participants]

    def _parse(self, recording_id: str, data: bytes | str) -> Recording | None:
        """The stored recording, or None (logged once) if it fails validation: one bad
        value (written by an older version past a bound) must not stop every listing,
        the retention run or the start-up recovery."""
        try:
            return Recording.model_validate_json(data)
        except ValidationError as exc:
            if recording_id not in self._unreadable:
                self._unreadable.add(recording_id)
                problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['type']}"
                                     for e in exc.errors()[:5])
                logger.error("recording %s in the store is not valid (%s): it is skipped "
                             "by listings, retention and recovery", recording_id, problems)
            return None

    async def _read(self, recording_id: str) -> tuple[str, Recording | None]:
        rev, data = await self._client.hmget(self.key("recording", recording_id),
                                             ["rev", "json"])
        if rev is None or data is None:
            return "", None
        return _text(rev), self._parse(recording_id, data)

    async def create(self, recording: Recording) -> Recording:
        stored = next_revision(None, recording)
        keys = [self.key("recording", recording.recording_id), self.key("by-start"),
                self.key("active", recording.room_id), *self._index_keys(recording)]
        args = [recording.recording_id, stored.model_dump_json(), repr(recording.started_at),
                "1" if recording.is_active else "0"]
        outcome = _text(await self._create(keys=keys, args=args))
        if outcome == "exists":
            raise RoomError("recording_exists")
        if outcome == "active":
            raise RoomError("already_recording")
        self._wrote(stored)
        return stored

    async def get(self, recording_id: str) -> Recording | None:
        return (await self._read(recording_id))[1]

    async def active(self, room_id: str) -> Recording | None:
        recording_id = await self._client.get(self.key("active", room_id))
        if recording_id is None:
            return None
        recording = await self.get(_text(recording_id))
        return recording if recording is not None and recording.is_active else None

    async def update(self, recording_id: str, change: RecordingChange) -> Recording:
        for attempt in range(MAX_CAS_TRIES):
            rev, current = await self._read(recording_id)
            if current is None:
                raise RoomError("recording_not_found")
            new = change(current)
            if new is current:
                return current
            check_change(current, new)
            stored = next_revision(current, new)
            keys = [self.key("recording", recording_id), self.key("active", current.room_id),
                    *(self.key("person", i) for i in stored.participants)]
            args = [rev, str(stored.revision), stored.model_dump_json(), recording_id,
                    "1" if stored.is_active else "0"]
            done = int(await self._cas(keys=keys, args=args))
            if done == 1:
                self._wrote(stored)
                return stored
            if done == -1:
                raise RoomError("recording_not_found")
            await asyncio.sleep(random.uniform(0, BACKOFF_S * min(attempt + 1, 20)))
        raise RuntimeError(f"recording {recording_id} kept changing; gave up after "
                           f"{MAX_CAS_TRIES} tries")

    async def _candidates(self, where: RecordingFilter, limit: int) -> list[str]:
        indexes = [self.key(kind, value) for kind, value in (
            ("room", where.room_id), ("booking", where.booking_id),
            ("person", where.participant)) if value is not None]
        if indexes:
            return [_text(i) for i in await self._client.sinter(indexes)]
        low = "-inf" if where.since is None else repr(where.since)
        high = "+inf" if where.until is None else f"({where.until!r}"
        # Only dates filter here, so the first ``limit`` ids are the answer.
        ids = await self._client.zrevrangebyscore(self.key("by-start"), high, low,
                                                  start=0, num=limit)
        return [_text(i) for i in ids]

    async def find(self, where: RecordingFilter, limit: int = DEFAULT_LIMIT) -> list[Recording]:
        limit = clamp_limit(limit)
        ids = await self._candidates(where, limit)
        if not ids:
            return []
        async with self._client.pipeline(transaction=False) as pipe:
            for recording_id in ids:
                pipe.hget(self.key("recording", recording_id), "json")
            found = await pipe.execute()
        # An id whose recording was deleted meanwhile reads as None: skipped, as is one
        # that fails validation (logged once).
        parsed = [self._parse(recording_id, data)
                  for recording_id, data in zip(ids, found, strict=True) if data]
        recordings = [r for r in parsed if r is not None]
        return newest_first([r for r in recordings if where.matches(r)])[:limit]

    async def delete(self, recording_id: str) -> bool:
        current = await self.get(recording_id)
        if current is None:
            return False
        keys = [self.key("recording", recording_id), self.key("by-start"),
                self.key("active", current.room_id), *self._index_keys(current)]
        if self._active_here.get(current.room_id, current).recording_id == recording_id:
            self._active_here.pop(current.room_id, None)
        return int(await self._delete(keys=keys, args=[recording_id])) == 1

    async def policy(self, room_id: str) -> RecordingPolicy:
        data = await self._client.get(self.key("policy", room_id))
        return DEFAULT_POLICY if data is None else RecordingPolicy.model_validate_json(data)

    async def set_policy(self, room_id: str, policy: RecordingPolicy, until: float) -> None:
        ttl_ms = math.ceil((until - self._clock.now()) * 1000)
        if ttl_ms <= 0:
            raise RoomError("room_closed")
        await self._client.set(self.key("policy", room_id), policy.model_dump_json(),
                               px=ttl_ms)
        self._policies_here[room_id] = (policy, until)
        now = self._clock.now()
        for stale in [r for r, (_, end) in self._policies_here.items() if end <= now]:
            del self._policies_here[stale]

    async def reassert(self, room_id: str) -> bool:
        known = self._policies_here.get(room_id)
        if known is not None:
            ttl_ms = math.ceil((known[1] - self._clock.now()) * 1000)
            if ttl_ms > 0:  # only where missing: never over a newer policy
                await self._client.set(self.key("policy", room_id),
                                       known[0].model_dump_json(), px=ttl_ms, nx=True)
        recording = self._active_here.get(room_id)
        if recording is None:
            return False
        try:
            await self.create(recording.model_copy(update={"revision": 0}))
        except RoomError:
            return False  # there (persisted), or another recording is active now
        return True

    async def revoke_session(self, nonce: str, until: float) -> None:
        ttl_ms = math.ceil((until - self._clock.now()) * 1000)
        if ttl_ms > 0:
            await self._client.set(self.key("revoked", nonce), "1", px=ttl_ms)

    async def session_revoked(self, nonce: str) -> bool:
        return bool(await self._client.exists(self.key("revoked", nonce)))

    async def audit(self, entry: AuditEntry) -> None:
        async with self._client.pipeline(transaction=True) as pipe:
            data = entry.model_dump_json()
            pipe.lpush(self.key("audit"), data)
            pipe.ltrim(self.key("audit"), 0, self._max_audit - 1)
            if entry.recording_id is not None:  # its own trail, apart from the rest
                trail = self.key("audit", entry.recording_id)
                pipe.lpush(trail, data)
                pipe.ltrim(trail, 0, MAX_TRAIL_ENTRIES - 1)
                pipe.expire(trail, TRAIL_TTL_S)
            await pipe.execute()

    async def audit_log(self, limit: int = DEFAULT_LIMIT,
                        recording_id: str | None = None) -> list[AuditEntry]:
        limit = clamp_limit(limit)
        if recording_id is None:
            raw = await self._client.lrange(self.key("audit"), 0, limit - 1)
            return [AuditEntry.model_validate_json(item) for item in raw]
        raw = await self._client.lrange(self.key("audit", recording_id), 0, limit - 1)
        trail = [AuditEntry.model_validate_json(item) for item in raw]
        if len(trail) < limit:  # and what was written before trails were kept
            oldest = trail[-1].at if trail else math.inf
            raw = await self._client.lrange(self.key("audit"), 0, AUDIT_SCAN - 1)
            trail += [e for e in map(AuditEntry.model_validate_json, raw)
                      if e.recording_id == recording_id and e.at < oldest]
        return trail[:limit]
