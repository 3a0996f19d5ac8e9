"""The webhook outbox: events waiting to be delivered, durable in the shared store.

An event is :meth:`~WebhookOutbox.add`-ed (due now) in the same request that changed the
booking. Senders in any process :meth:`~WebhookOutbox.claim` due events: a claim is a
*lease* (the event is due again ``lease_s`` later, so the event of a sender that died is
claimed by another one), counts an attempt, and names its holder. The holder then
:meth:`~WebhookOutbox.finish`-es it (delivered, or given up) or
:meth:`~WebhookOutbox.retry`-es it at a later time; both only while it still holds the
lease. Every event is therefore attempted by one sender at a time and, once delivered,
never again.

Times here are wall-clock epoch seconds given by the caller (the senders of several
processes must agree on them). In Redis every key carries ``hash tag {outbox}`` (one
Cluster slot, so the scripts may touch them together) and a TTL of ``KEEP_S`` refreshed
on every add: an outbox nobody drains any more goes away.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import redis.asyncio as aioredis

from rooms.redis_client import RedisBacked

KEEP_S = 7 * 24 * 3600
DUE_KEY = "sched:{outbox}:due"  # sorted set: event id -> due (or lease expiry)
BODIES_KEY = "sched:{outbox}:bodies"  # hash: event id -> body
ATTEMPTS_KEY = "sched:{outbox}:attempts"  # hash: event id -> attempts so far
HOLDERS_KEY = "sched:{outbox}:holders"  # hash: event id -> holder of the lease

# KEYS: due, bodies, attempts, holders. ARGV: id, body, due, keep.
ADD_LUA = """
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 1 then
  redis.call('HSET', KEYS[3], ARGV[1], 0)
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
end
for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ARGV[4]) end
return 1
"""

# KEYS: due, bodies, attempts, holders. ARGV: now, lease expiry, holder, limit, keep.
CLAIM_LUA = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[4])
local out = {}
for _, id in ipairs(ids) do
  local body = redis.call('HGET', KEYS[2], id)
  if body then
    local attempts = redis.call('HINCRBY', KEYS[3], id, 1)
    redis.call('HSET', KEYS[4], id, ARGV[3])
    redis.call('ZADD', KEYS[1], ARGV[2], id)
    out[#out + 1] = id
    out[#out + 1] = body
    out[#out + 1] = attempts
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
if #out > 0 then for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ARGV[5]) end end
return out
"""

# KEYS: due, bodies, attempts, holders. ARGV: id, holder, due ('' to remove the event).
SETTLE_LUA = """
if redis.call('HGET', KEYS[4], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[4], ARGV[1])
if ARGV[3] == '' then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('HDEL', KEYS[3], ARGV[1])
else
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
end
return 1
"""


@dataclass(frozen=True)
class OutboxItem:
    """A claimed event: its id, its body (as queued) and which attempt this is (1, 2, …)."""

    event_id: str
    body: str
    attempt: int


class WebhookOutbox(ABC):
    """Durable queue of webhook events with leased claims; each method is atomic."""

    @abstractmethod
    async def add(self, event_id: str, body: str, due: float) -> None:
        """Queue ``body`` under ``event_id`` (no-op if that id is queued already)."""

    @abstractmethod
    async def claim(self, now: float, lease_s: float, holder: str,
                    limit: int = 8) -> list[OutboxItem]:
        """Up to ``limit`` events due at ``now``, leased to ``holder`` for ``lease_s``."""

    @abstractmethod
    async def finish(self, event_id: str, holder: str) -> bool:
        """Remove the event (delivered or given up) if ``holder`` holds it."""

    @abstractmethod
    async def retry(self, event_id: str, holder: str, due: float) -> bool:
        """Release ``holder``'s lease; the event is due again at ``due``."""

    @abstractmethod
    async def pending(self) -> int:
        """How many events are queued (due, leased or waiting for a retry)."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections."""


class MemoryWebhookOutbox(WebhookOutbox):
    """The outbox in this process's memory (single process; lost on restart)."""

    def __init__(self) -> None:
        self._due: dict[str, float] = {}
        self._bodies: dict[str, str] = {}
        self._attempts: dict[str, int] = {}
        self._holders: dict[str, str] = {}

    async def add(self, event_id: str, body: str, due: float) -> None:
        if event_id not in self._bodies:
            self._bodies[event_id], self._attempts[event_id] = body, 0
            self._due[event_id] = due

    async def claim(self, now: float, lease_s: float, holder: str,
                    limit: int = 8) -> list[OutboxItem]:
        ids = sorted((due, i) for i, due in self._due.items() if due <= now)[:limit]
        items = []
        for _, event_id in ids:
            self._attempts[event_id] += 1
            self._holders[event_id] = holder
            self._due[event_id] = now + lease_s
            items.append(OutboxItem(event_id, self._bodies[event_id], self._attempts[event_id]))
        return items

    async def finish(self, event_id: str, holder: str) -> bool:
        if self._holders.get(event_id) != holder:
            return False
        for table in (self._due, self._bodies, self._attempts, self._holders):
            table.pop(event_id, None)
        return True

    async def retry(self, event_id: str, holder: str, due: float) -> bool:
        if self._holders.get(event_id) != holder:
            return False
        del self._holders[event_id]
        self._due[event_id] = due
        return True

    async def pending(self) -> int:
        return len(self._bodies)

    async def close(self) -> None:
        return None


class RedisWebhookOutbox(RedisBacked, WebhookOutbox):
    """The outbox in Redis, shared by every process (see the module docstring)."""

    def __init__(self, url_or_client: str | aioredis.Redis,
                 key_prefix: str = "mentorcall:") -> None:
        super().__init__(url_or_client)
        self.keys = [key_prefix + k for k in (DUE_KEY, BODIES_KEY, ATTEMPTS_KEY, HOLDERS_KEY)]
        self._add = self._client.register_script(ADD_LUA)
        self._claim = self._client.register_script(CLAIM_LUA)
        self._settle = self._client.register_script(SETTLE_LUA)

    async def add(self, event_id: str, body: str, due: float) -> None:
        await self._add(keys=self.keys, args=[event_id, body, repr(due), KEEP_S])

    async def claim(self, now: float, lease_s: float, holder: str,
                    limit: int = 8) -> list[OutboxItem]:
        flat = await self._claim(keys=self.keys,
                                 args=[repr(now), repr(now + lease_s), holder, limit,
                                       KEEP_S])
        values = [v.decode() if isinstance(v, bytes) else v for v in flat]
        return [OutboxItem(str(values[i]), str(values[i + 1]), int(values[i + 2]))
                for i in range(0, len(values), 3)]

    async def finish(self, event_id: str, holder: str) -> bool:
        return bool(await self._settle(keys=self.keys, args=[event_id, holder, ""]))

    async def retry(self, event_id: str, holder: str, due: float) -> bool:
        return bool(await self._settle(keys=self.keys, args=[event_id, holder, repr(due)]))

    async def pending(self) -> int:
        return int(await self._client.hlen(self.keys[1]))
