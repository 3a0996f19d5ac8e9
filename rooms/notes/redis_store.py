"""The Redis notes store: every process serving a room appends to the same logs.

Layout (after the key prefix; ``{room}`` is the room's Redis Cluster hash tag, so one
document's keys share a slot; updates and snapshots are stored base64-encoded because
the process's client decodes replies to ``str``):

* ``notes:{room}:<doc>:meta`` hash: ``base`` (offset of the first logged update),
  ``size`` (raw bytes of snapshot + log), ``snap`` (the snapshot), ``snaplen``;
* ``notes:{room}:<doc>:log`` list: the updates logged after the snapshot;
* ``notes:{room}:<doc>:speakers`` hash awareness client id -> ``[connection, identity]``
  JSON: who speaks for it (expires AWARENESS_TTL_S after the last claim: a process that
  died without letting go leaves nothing behind for long);
* ``notes:items:{scope}`` hash id -> item JSON, and ``notes:items:{scope}:order`` list;
* ``notes:items:{scope}:members`` set: everyone in a session of the scope;
* ``notes:person:{identity}:scopes`` hash scope -> title: the scopes a person had a
  session in (their /schedule lists those scopes' open items);
* ``notes:context:{room}`` the room's SessionContext JSON.

Appending (with the size cap), reading and compacting are Lua scripts, so each is one
atomic step against concurrent appenders in other processes. Notes have no TTL: they
are read after the session (see docs/operations.md); only a document whose appends
carry an expiry (a shareable-link guest's private notes) goes then.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Sequence
from typing import Any

import redis.asyncio as aioredis

from rooms.errors import RoomError
from rooms.notes.model import ActionItem, SessionContext
from rooms.notes.store import LogRead, LogStats, NotesStore
from rooms.redis_client import RedisBacked

AWARENESS_TTL_S = 12 * 3600  # after the last claim: longer than any session

RAW_LEN_LUA = """
local function raw(s)
  local pad = 0
  if s:sub(-2) == '==' then pad = 2 elseif s:sub(-1) == '=' then pad = 1 end
  return #s / 4 * 3 - pad
end
"""

# KEYS: meta, log. ARGV: entry (b64), raw length, max bytes, only-if-empty ('1'/'0'),
# expiry (epoch seconds; '' for none: the document stays).
APPEND_LUA = """
local base = tonumber(redis.call('HGET', KEYS[1], 'base') or '0')
local size = tonumber(redis.call('HGET', KEYS[1], 'size') or '0')
local n = redis.call('LLEN', KEYS[2])
if ARGV[4] == '1' and (n > 0 or base > 0 or redis.call('HEXISTS', KEYS[1], 'snap') == 1) then
  return -1
end
if size + tonumber(ARGV[2]) > tonumber(ARGV[3]) then return -2 end
redis.call('RPUSH', KEYS[2], ARGV[1])
redis.call('HINCRBY', KEYS[1], 'size', ARGV[2])
if ARGV[5] ~= '' then
  redis.call('EXPIREAT', KEYS[1], ARGV[5])
  redis.call('EXPIREAT', KEYS[2], ARGV[5])
end
return base + n + 1
"""

# KEYS: meta, log. ARGV: since. Returns {base, snapshot or false, updates...}.
READ_LUA = """
local base = tonumber(redis.call('HGET', KEYS[1], 'base') or '0')
local since = tonumber(ARGV[1])
local snap = redis.call('HGET', KEYS[1], 'snap')
local out = {base}
local from = since - base
if since < base or (since == 0 and snap) then
  out[2] = snap or ''
  from = 0
else
  out[2] = false
end
local rest = redis.call('LRANGE', KEYS[2], from, -1)
for i = 1, #rest do out[#out + 1] = rest[i] end
return out
"""

# KEYS: meta, log. ARGV: snapshot (b64), its raw length, upto.
COMPACT_LUA = RAW_LEN_LUA + """
local base = tonumber(redis.call('HGET', KEYS[1], 'base') or '0')
local upto = tonumber(ARGV[3])
local n = redis.call('LLEN', KEYS[2])
if upto <= base or upto > base + n then return 0 end
local k = upto - base
local freed = 0
for _, s in ipairs(redis.call('LRANGE', KEYS[2], 0, k - 1)) do freed = freed + raw(s) end
local old = tonumber(redis.call('HGET', KEYS[1], 'snaplen') or '0')
redis.call('LTRIM', KEYS[2], k, -1)
redis.call('HSET', KEYS[1], 'base', upto, 'snap', ARGV[1], 'snaplen', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'size', tonumber(ARGV[2]) - old - freed)
return 1
"""

# KEYS: items, order. ARGV: id1, json1, id2, json2, ...
UPSERT_LUA = """
for i = 1, #ARGV, 2 do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 0 then redis.call('RPUSH', KEYS[2], ARGV[i]) end
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
return 1
"""

# KEYS: items, order. ARGV: ids.
REMOVE_LUA = """
for i = 1, #ARGV do
  if redis.call('HDEL', KEYS[1], ARGV[i]) == 1 then redis.call('LREM', KEYS[2], 0, ARGV[i]) end
end
return 1
"""

# KEYS: speakers. ARGV: identity, connection, ttl, clients...
CLAIM_LUA = """
for i = 4, #ARGV do
  local j = redis.call('HGET', KEYS[1], ARGV[i])
  if j and cjson.decode(j)[2] ~= ARGV[1] then return 0 end
end
local me = cjson.encode({ARGV[2], ARGV[1]})
for i = 4, #ARGV do redis.call('HSET', KEYS[1], ARGV[i], me) end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
"""

# KEYS: speakers. ARGV: connection, clients... Returns the clients let go.
RELEASE_LUA = """
local out = {}
for i = 2, #ARGV do
  local j = redis.call('HGET', KEYS[1], ARGV[i])
  if j and cjson.decode(j)[1] == ARGV[1] then
    redis.call('HDEL', KEYS[1], ARGV[i])
    out[#out + 1] = ARGV[i]
  end
end
return out
"""

# KEYS: items. ARGV: id, done ('1'/'0').
DONE_LUA = """
local j = redis.call('HGET', KEYS[1], ARGV[1])
if not j then return false end
local item = cjson.decode(j)
item['done'] = ARGV[2] == '1'
local out = cjson.encode(item)
redis.call('HSET', KEYS[1], ARGV[1], out)
return out
"""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _raw(text: Any) -> bytes:
    return base64.b64decode(text)


class RedisNotesStore(RedisBacked, NotesStore):
    """Notes in Redis (see the module docstring)."""

    def __init__(self, url_or_client: str | aioredis.Redis,
                 key_prefix: str = "mentorcall:") -> None:
        super().__init__(url_or_client)
        self._prefix = key_prefix
        self._append = self._client.register_script(APPEND_LUA)
        self._read = self._client.register_script(READ_LUA)
        self._compact = self._client.register_script(COMPACT_LUA)
        self._upsert = self._client.register_script(UPSERT_LUA)
        self._done = self._client.register_script(DONE_LUA)
        self._remove = self._client.register_script(REMOVE_LUA)
        self._claim = self._client.register_script(CLAIM_LUA)
        self._release = self._client.register_script(RELEASE_LUA)

    def _doc_keys(self, doc_id: str) -> list[str]:
        room, _, owner = doc_id.partition("/")
        stem = f"{self._prefix}notes:{{{room}}}:{owner or '-shared'}"
        return [f"{stem}:meta", f"{stem}:log"]

    def _speakers_key(self, doc_id: str) -> str:
        return self._doc_keys(doc_id)[0].removesuffix(":meta") + ":speakers"

    def _item_keys(self, scope: str) -> list[str]:
        stem = f"{self._prefix}notes:items:{{{scope}}}"
        return [stem, f"{stem}:order"]

    async def append(self, doc_id: str, update: bytes, max_bytes: int,
                     only_if_empty: bool = False,
                     expires_at: float | None = None) -> int | None:
        expiry = "" if expires_at is None else str(math.ceil(expires_at))
        end = int(await self._append(keys=self._doc_keys(doc_id), args=[
            _b64(update), len(update), max_bytes, "1" if only_if_empty else "0", expiry]))
        if end == -1:
            return None
        if end == -2:
            raise RoomError("notes_too_large")
        return end

    async def read(self, doc_id: str, since: int) -> LogRead:
        reply = await self._read(keys=self._doc_keys(doc_id), args=[since])
        base, snap, rest = int(reply[0]), reply[1], reply[2:]
        updates = [_raw(u) for u in rest]
        if snap is None:  # Lua false arrives as None
            return LogRead(None, updates, since + len(updates))
        return LogRead(_raw(snap) if snap else b"\x00\x00", updates, base + len(updates))

    async def compact(self, doc_id: str, snapshot: bytes, upto: int) -> None:
        await self._compact(keys=self._doc_keys(doc_id),
                            args=[_b64(snapshot), len(snapshot), upto])

    async def stats(self, doc_id: str) -> LogStats:
        meta, log = self._doc_keys(doc_id)
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.hget(meta, "size")
            pipe.llen(log)
            size, count = await pipe.execute()
        return LogStats(int(count), int(size or 0))

    async def upsert_items(self, scope: str, items: Sequence[ActionItem]) -> None:
        if not items:
            return
        args: list[str] = []
        for item in items:
            args += [item.id, item.model_dump_json()]
        await self._upsert(keys=self._item_keys(scope), args=args)

    async def items(self, scope: str) -> list[ActionItem]:
        index, order = self._item_keys(scope)
        ids = await self._client.lrange(order, 0, -1)
        if not ids:
            return []
        found = await self._client.hmget(index, ids)
        return [ActionItem.model_validate_json(j) for j in found if j is not None]

    async def remove_items(self, scope: str, item_ids: Sequence[str]) -> None:
        if item_ids:
            await self._remove(keys=self._item_keys(scope), args=list(item_ids))

    async def set_item_done(self, scope: str, item_id: str, done: bool) -> ActionItem:
        reply = await self._done(keys=self._item_keys(scope)[:1],
                                 args=[item_id, "1" if done else "0"])
        if reply is None:
            raise RoomError("item_not_found")
        data = json.loads(reply)
        return ActionItem.model_validate({k: v for k, v in data.items() if v is not None})

    async def put_context(self, context: SessionContext) -> None:
        async with self._client.pipeline(transaction=False) as pipe:
            pipe.set(f"{self._prefix}notes:context:{{{context.room_id}}}",
                     context.model_dump_json())
            if context.people:  # SADD with no members is an error
                pipe.sadd(self._item_keys(context.scope)[0] + ":members", *context.people)
            for person in context.people:
                pipe.hset(self._person_scopes(person), context.scope, context.title)
            await pipe.execute()

    def _person_scopes(self, identity: str) -> str:
        return f"{self._prefix}notes:person:{{{identity}}}:scopes"

    async def scopes_of(self, identity: str) -> dict[str, str]:
        found = await self._client.hgetall(self._person_scopes(identity))
        return {str(scope): str(title) for scope, title in found.items()}

    async def claim_awareness(self, doc_id: str, clients: Sequence[int], identity: str,
                              connection: str) -> bool:
        if not clients:
            return True
        return bool(await self._claim(keys=[self._speakers_key(doc_id)], args=[
            identity, connection, AWARENESS_TTL_S, *clients]))

    async def release_awareness(self, doc_id: str, clients: Sequence[int],
                                connection: str) -> list[int]:
        if not clients:
            return []
        released = await self._release(keys=[self._speakers_key(doc_id)],
                                       args=[connection, *dict.fromkeys(clients)])
        return [int(client) for client in released]

    async def context(self, room_id: str) -> SessionContext | None:
        data = await self._client.get(f"{self._prefix}notes:context:{{{room_id}}}")
        return None if data is None else SessionContext.model_validate_json(data)

    async def members(self, scope: str) -> set[str]:
        found = await self._client.smembers(self._item_keys(scope)[0] + ":members")
        return {str(member) for member in found}
