"""The reminder ledger: which sessions start when, and one-time claims across processes.

The scheduling service *plans* a reminder for every booked session (its start, in UTC
seconds) and *unplans* it when the booking is cancelled; rescheduling plans it again at the
new start. A background task asks for the sessions :meth:`ReminderLedger.due` within the
reminder lead time and, before sending anything, *claims* a key naming the event: the
claim is atomic (Redis ``SET NX`` with a TTL; a dict under the event loop in memory), so
of several processes running the same task exactly one sends each reminder.

A claim is a *lease*: its holder (a token) may :meth:`~ReminderLedger.release` it when the
work failed, so the next round can try again, or :meth:`~ReminderLedger.settle` it when
the work is done, keeping it for a long TTL so it is never done twice. A holder that dies
holding a lease loses it when the lease's (short) TTL runs out.

Sessions that have started are dropped from the ledger by :meth:`~ReminderLedger.due`
(and on every plan); claims expire after their TTL. So every key here has a TTL or is
cleaned by its owner.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod

import redis.asyncio as aioredis

from rooms.clock import Clock, SystemClock
from rooms.redis_client import RedisBacked

LEDGER_KEY = "sched:reminders"
CLAIM_KEY = "sched:claim:{key}"
LEDGER_SLACK_S = 24 * 3600  # the ledger lives this long after its last planned start

# KEYS: ledger. ARGV: booking id, start, now, slack. Started sessions are dropped here too,
# so the ledger stays small even when no reminder task runs.
PLAN_LUA = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local ttl = tonumber(last[2]) - tonumber(ARGV[3]) + tonumber(ARGV[4])
if ttl > 0 then redis.call('EXPIRE', KEYS[1], math.ceil(ttl)) end
return 1
"""

# KEYS: claim. ARGV: holder. Deletes the claim only if ``holder`` still holds it.
RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
SETTLED = "settled"

# KEYS: ledger. ARGV: now, now + lead.
DUE_LUA = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
return redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], ARGV[2], 'WITHSCORES')
"""


class ReminderLedger(ABC):
    """Planned session starts and one-time claims; each method is one atomic step."""

    @abstractmethod
    async def plan(self, booking_id: str, start: int) -> None:
        """Remind about ``booking_id`` before ``start`` (replacing an earlier plan)."""

    @abstractmethod
    async def unplan(self, booking_id: str) -> None:
        """No reminder for ``booking_id`` (no error if none was planned)."""

    @abstractmethod
    async def due(self, now: int, lead_s: int) -> list[tuple[str, int]]:
        """The planned (booking id, start) with ``now < start <= now + lead_s``, by start;
        plans whose start is at or before ``now`` are forgotten."""

    @abstractmethod
    async def claim(self, key: str, ttl_s: int, holder: str = "1") -> bool:
        """True for the first caller to claim ``key`` within ``ttl_s`` (held by
        ``holder``); False while it is claimed or settled."""

    @abstractmethod
    async def release(self, key: str, holder: str) -> None:
        """Give up ``holder``'s claim of ``key`` (nothing if someone else holds it)."""

    @abstractmethod
    async def settle(self, key: str, ttl_s: int) -> None:
        """Mark ``key`` done: claimed by nobody, and unclaimable, for ``ttl_s``."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections; the ledger is not used afterwards."""


class MemoryReminderLedger(ReminderLedger):
    """The ledger in dicts in this process; claims expire by the injected clock."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._starts: dict[str, int] = {}
        self._claims: dict[str, tuple[float, str]] = {}  # key -> (expiry, holder)

    async def plan(self, booking_id: str, start: int) -> None:
        self._forget_started(math.floor(self._clock.now()))
        self._starts[booking_id] = start

    def _forget_started(self, now: int) -> None:
        for booking_id in [b for b, s in self._starts.items() if s <= now]:
            del self._starts[booking_id]

    async def unplan(self, booking_id: str) -> None:
        self._starts.pop(booking_id, None)

    async def due(self, now: int, lead_s: int) -> list[tuple[str, int]]:
        self._forget_started(now)
        found = [(b, s) for b, s in self._starts.items() if s <= now + lead_s]
        return sorted(found, key=lambda item: (item[1], item[0]))

    async def claim(self, key: str, ttl_s: int, holder: str = "1") -> bool:
        if ttl_s <= 0:
            raise ValueError("ttl_s must be positive")
        now = self._clock.now()
        for old in [k for k, (expiry, _) in self._claims.items() if expiry <= now]:
            del self._claims[old]
        if key in self._claims:
            return False
        self._claims[key] = (now + ttl_s, holder)
        return True

    async def release(self, key: str, holder: str) -> None:
        found = self._claims.get(key)
        if found is not None and found[1] == holder:
            del self._claims[key]

    async def settle(self, key: str, ttl_s: int) -> None:
        if ttl_s <= 0:
            raise ValueError("ttl_s must be positive")
        self._claims[key] = (self._clock.now() + ttl_s, SETTLED)

    async def close(self) -> None:
        return None


class RedisReminderLedger(RedisBacked, ReminderLedger):
    """The ledger in Redis: a sorted set of starts, and ``SET NX EX`` claims.

    ``url_or_client`` is a redis URL (the ledger then owns, and closes, its client) or an
    existing ``redis.asyncio.Redis`` (left open on ``close()``).
    """

    def __init__(self, url_or_client: str | aioredis.Redis, clock: Clock | None = None,
                 key_prefix: str = "mentorcall:") -> None:
        super().__init__(url_or_client)
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._prefix = key_prefix
        self._plan = self._client.register_script(PLAN_LUA)
        self._due = self._client.register_script(DUE_LUA)
        self._release = self._client.register_script(RELEASE_LUA)

    @property
    def ledger_key(self) -> str:
        return self._prefix + LEDGER_KEY

    def claim_key(self, key: str) -> str:
        return self._prefix + CLAIM_KEY.format(key=key)

    async def plan(self, booking_id: str, start: int) -> None:
        await self._plan(keys=[self.ledger_key],
                         args=[booking_id, start, math.floor(self._clock.now()), LEDGER_SLACK_S])

    async def unplan(self, booking_id: str) -> None:
        await self._client.zrem(self.ledger_key, booking_id)

    async def due(self, now: int, lead_s: int) -> list[tuple[str, int]]:
        flat = await self._due(keys=[self.ledger_key], args=[now, now + lead_s])
        items = [str(v.decode() if isinstance(v, bytes) else v) for v in flat]
        pairs = [(b, int(float(s))) for b, s in zip(items[0::2], items[1::2], strict=True)]
        return sorted(pairs, key=lambda item: (item[1], item[0]))

    async def claim(self, key: str, ttl_s: int, holder: str = "1") -> bool:
        if ttl_s <= 0:
            raise ValueError("ttl_s must be positive")
        return bool(await self._client.set(self.claim_key(key), holder, nx=True, ex=ttl_s))

    async def release(self, key: str, holder: str) -> None:
        await self._release(keys=[self.claim_key(key)], args=[holder])

    async def settle(self, key: str, ttl_s: int) -> None:
        if ttl_s <= 0:
            raise ValueError("ttl_s must be positive")
        await self._client.set(self.claim_key(key), SETTLED, ex=ttl_s)
