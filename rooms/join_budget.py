"""The join budget of one person in one room: a token bucket per (room, identity) that
every connection and every process of the deployment draws on.

Each ``join`` that is not a resume (a fresh arrival or a lobby knock: the room, or its
hosts, hear of it) spends one; a burst of :data:`JOIN_BURST`, then one every
``1 / JOIN_RATE_PER_S`` seconds. Keyed by person, not by connection, so opening a new
connection does not refill it. The stores keep it (:meth:`rooms.store.RoomStore.take_join`):
:class:`MemoryJoinBudgets` in one process, :data:`TAKE_JOIN_LUA` in Redis, where a
bucket is a key of its own that expires once it would be full again (so idle people and
ended rooms leave nothing behind).
"""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

JOIN_BUDGET_KEY = "room:{{{room_id}}}:join:{identity}"  # after the key prefix
JOIN_BURST = 10  # a resume's retries, breakout moves and a few reloads
JOIN_RATE_PER_S = 0.5
PRUNE_AT = 4096  # buckets kept in memory before the full ones are dropped

# KEYS: the person's bucket (hash: tokens, updated). ARGV: now, rate per s, burst.
# Returns the seconds to wait as a string ('0': one was taken); a Lua number would be
# cut to an integer on its way out.
TAKE_JOIN_LUA = """
local now, rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tokens, updated = burst, now
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
if saved[1] and saved[2] then tokens, updated = tonumber(saved[1]), tonumber(saved[2]) end
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
if tokens < 1 then return string.format('%.3f', (1 - tokens) / rate) end
tokens = tokens - 1
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens),
           'updated', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return '0'
"""


def refill(tokens: float, updated: float, now: float) -> float:
    """The tokens of a bucket that held ``tokens`` at ``updated``, at ``now``."""
    return min(float(JOIN_BURST), tokens + max(0.0, now - updated) * JOIN_RATE_PER_S)


class MemoryJoinBudgets:
    """The join budgets of one process (the in-memory room store's)."""

    def __init__(self) -> None:
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}  # tokens, updated

    def __len__(self) -> int:
        """How many buckets are kept."""
        return len(self._buckets)

    def take(self, room_id: str, identity: str, now: float) -> float:
        """Spend one of ``identity``'s joins in ``room_id``: 0 if taken, else the
        seconds until one is there."""
        key = (room_id, identity)
        tokens, updated = self._buckets.get(key, (float(JOIN_BURST), now))
        tokens = refill(tokens, updated, now)
        if tokens < 1:
            return (1 - tokens) / JOIN_RATE_PER_S
        if len(self._buckets) >= PRUNE_AT:
            self._prune(now)
        self._buckets[key] = (tokens - 1, now)
        return 0.0

    def _prune(self, now: float) -> None:
        """Drop the buckets that are full again (they start full anyway)."""
        for key in [k for k, (tokens, updated) in self._buckets.items()
                    if refill(tokens, updated, now) >= JOIN_BURST]:
            del self._buckets[key]


class RedisJoinBudgets:
    """The join budgets of a deployment, in Redis (the Redis room store's): one atomic
    script per take, so every process draws on the same bucket."""

    def __init__(self, client: aioredis.Redis, key_prefix: str) -> None:
        self._prefix = key_prefix
        self._take = client.register_script(TAKE_JOIN_LUA)

    def key(self, room_id: str, identity: str) -> str:
        return self._prefix + JOIN_BUDGET_KEY.format(room_id=room_id, identity=identity)

    async def take(self, room_id: str, identity: str, now: float) -> float:
        """As :meth:`MemoryJoinBudgets.take`."""
        wait: Any = await self._take(keys=[self.key(room_id, identity)],
                                     args=[repr(now), JOIN_RATE_PER_S, JOIN_BURST])
        return float(wait.decode() if isinstance(wait, bytes) else wait)
