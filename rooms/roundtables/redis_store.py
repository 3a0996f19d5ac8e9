"""The Redis roundtable store: one truth for every signaling process.

Layout (after the key prefix; ``{id}`` is the room's Redis Cluster hash tag, shared with
the room store's keys):

* ``STATE_KEY``  hash: ``rev`` (the state's revision) and ``json`` (the RoundtableState)

Writes are a compare-and-set in Lua (``CAS_LUA``): the new state is computed in Python by
the same pure functions as in memory, from the state read at revision ``n``, and stored
only if the revision is still ``n``; otherwise the change runs again on the fresh state
(after a short jittered pause). So every successful change saw the state it replaced,
and concurrent changes serialise: none is lost, none applied twice. The key expires with
its room (``until``, the room's end plus its grace period, from the injected clock).
"""

from __future__ import annotations

import asyncio
import math
import random
from typing import Any

import redis.asyncio as aioredis

from rooms.clock import Clock, SystemClock
from rooms.errors import RoomError
from rooms.redis_client import RedisBacked
from rooms.roundtables.model import RoundtableState
from rooms.roundtables.store import Change, RoundtableStore, next_revision

STATE_KEY = "room:{{{room_id}}}:roundtable"
MAX_CAS_TRIES = 500  # 50 people raising a hand at once need up to 50
BACKOFF_S = 0.001  # times the try number (capped at 20), jittered

# KEYS: state. ARGV: expected rev ('' for none), new rev, new json, ttl ms.
CAS_LUA = """
local rev = redis.call('HGET', KEYS[1], 'rev')
if (rev or '') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'rev', ARGV[2], 'json', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
"""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisRoundtableStore(RedisBacked, RoundtableStore):
    """Roundtable states in Redis, changed by compare-and-set on their revision.

    ``url_or_client`` is a redis URL (the store then owns, and closes, its client) or an
    existing ``redis.asyncio.Redis`` (left open on ``close()``).
    """

    def __init__(self, url_or_client: str | aioredis.Redis, clock: Clock | None = None,
                 key_prefix: str = "mentorcall:") -> None:
        super().__init__(url_or_client)
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._prefix = key_prefix
        self._cas = self._client.register_script(CAS_LUA)
        # each room's state as last read or written here, with its expiry: written back
        # by reassert() after a Redis restart lost it
        self._last: dict[str, tuple[RoundtableState, float]] = {}

    def _remember(self, room_id: str, state: RoundtableState, until: float | None) -> None:
        now = self._clock.now()
        if until is None:
            known = self._last.get(room_id)
            if known is None:
                return  # never written here: the writer remembers it
            until = known[1]
        self._last[room_id] = (state, until)
        for stale in [r for r, (_, end) in self._last.items() if end <= now]:
            del self._last[stale]

    def state_key(self, room_id: str) -> str:
        return self._prefix + STATE_KEY.format(room_id=room_id)

    async def _read(self, room_id: str) -> tuple[str, RoundtableState | None]:
        rev, data = await self._client.hmget(self.state_key(room_id), ["rev", "json"])
        if rev is None or data is None:
            return "", None
        return _text(rev), RoundtableState.model_validate_json(_text(data))

    async def get(self, room_id: str) -> RoundtableState | None:
        state = (await self._read(room_id))[1]
        if state is not None:
            self._remember(room_id, state, None)
        return state

    async def update(self, room_id: str, until: float, change: Change) -> RoundtableState:
        for attempt in range(MAX_CAS_TRIES):
            rev, current = await self._read(room_id)
            new = change(current)
            if new is current and current is not None:
                self._remember(room_id, current, until)
                return current
            ttl_ms = math.ceil((until - self._clock.now()) * 1000)
            if ttl_ms <= 0:
                raise RoomError("room_not_found")
            stored = next_revision(current, new)
            done = await self._cas(keys=[self.state_key(room_id)],
                                   args=[rev, stored.revision, stored.model_dump_json(), ttl_ms])
            if int(done) == 1:
                self._remember(room_id, stored, until)
                return stored
            await asyncio.sleep(random.uniform(0, BACKOFF_S * min(attempt + 1, 20)))
        raise RuntimeError(f"roundtable {room_id} kept changing; gave up after "
                           f"{MAX_CAS_TRIES} tries")

    async def delete(self, room_id: str) -> None:
        self._last.pop(room_id, None)
        await self._client.delete(self.state_key(room_id))

    async def reassert(self, room_id: str) -> bool:
        known = self._last.get(room_id)
        if known is None:
            return False
        state, until = known
        ttl_ms = math.ceil((until - self._clock.now()) * 1000)
        if ttl_ms <= 0:
            return False
        # only where the key is missing (expected revision ''): never over a live state
        done = await self._cas(keys=[self.state_key(room_id)],
                               args=["", state.revision, state.model_dump_json(), ttl_ms])
        return int(done) == 1
