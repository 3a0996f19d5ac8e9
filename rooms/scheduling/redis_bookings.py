"""The Redis booking store: bookings shared by several processes, booked atomically.

Layout (after the key prefix):

* ``BOOKING_KEY``   hash: ``json`` (the Booking), ``seq`` (its sequence), ``member`` (its
  entry in the calendars, empty once cancelled)
* ``CALENDAR_KEY``  sorted set per person: member ``"<start>:<end>:<buffer>:<id>"`` (UTC
  seconds), score = start. The member carries what the conflict check needs, so the Lua
  scripts never decode JSON nor touch undeclared keys.
* ``CANCELLED_KEY`` sorted set per person: the cancelled bookings (same members, score =
  start), kept as long as the bookings themselves, so a feed still lists them.

All scheduling keys share the hash tag ``{sched}``: one booking touches the calendars of
every participant, and a Lua script may only touch keys of one Redis Cluster slot.

Every write is one Lua script, so the conflict check and the write are a single step for
all clients: of two overlapping bookings for the same person, exactly one succeeds.
Reschedule and cancel read the booking, build the new version in Python and apply it with
a compare-and-set on ``seq``: retried if another writer got there first, unless the caller
named the revision it meant to change (``expected_sequence``): then ``booking_changed``.

Expiry: a booking's hash expires ``retention_s`` after its end; a calendar sheds members
that ended more than ``retention_s`` ago on every write and expires ``retention_s`` after
its last booking could end (it is deleted when it empties). TTLs are measured from the
injected clock, like the room store's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis

from rooms.clock import Clock, SystemClock
from rooms.errors import RoomError
from rooms.redis_client import RedisBacked
from rooms.scheduling.booking_store import (
    DEFAULT_RETENTION_S,
    BookingStore,
    check_expected,
    check_new_batch,
    check_not_past,
)
from rooms.scheduling.bookings import MAX_BOOKING_S, MAX_BUFFER_S, Booking
from rooms.scheduling.zones import epoch_seconds

BOOKING_KEY = "sched:{{sched}}:booking:{booking_id}"
CALENDAR_KEY = "sched:{{sched}}:calendar:{identity}"
CANCELLED_KEY = "sched:{{sched}}:cancelled:{identity}"
MAX_CAS_TRIES = 20
# A stored booking can reach back this far before a new one and still conflict with it.
LOOK_BACK_S = MAX_BOOKING_S + MAX_BUFFER_S

_COMMON_LUA = """
local function parse(member)
  local s, e, b, id = string.match(member, '^(%-?%d+):(%-?%d+):(%d+):(.+)$')
  return tonumber(s), tonumber(e), tonumber(b), id
end
local function conflict(cal, member, back, maxbuf)
  local s, e, b, id = parse(member)
  for _, other in ipairs(redis.call('ZRANGEBYSCORE', cal, s - back, e + maxbuf)) do
    local os, oe, ob, oid = parse(other)
    local pad = math.max(b, ob)
    if oid ~= id and os < e + pad and s < oe + pad then return true end
  end
  return false
end
local function refresh(cal, now, retention, back)
  redis.call('ZREMRANGEBYSCORE', cal, '-inf', now - retention - back)
  local last = redis.call('ZRANGE', cal, -1, -1)
  if #last == 0 then
    redis.call('DEL', cal)
  else
    local s = parse(last[1])
    redis.call('PEXPIRE', cal, (s + back + retention - now) * 1000)
  end
end
"""

# KEYS: the n booking keys, then calendar keys. ARGV: n, now, retention, back, maxbuf, then
# per booking: json, member, number of calendars, their indexes in KEYS.
CREATE_LUA = _COMMON_LUA + """
local n, now, retention = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local back, maxbuf = tonumber(ARGV[4]), tonumber(ARGV[5])
local items, at = {}, 6
for i = 1, n do
  local item = {key = KEYS[i], json = ARGV[at], member = ARGV[at + 1], cals = {}}
  local ncal = tonumber(ARGV[at + 2])
  at = at + 3
  for c = 1, ncal do item.cals[c] = KEYS[tonumber(ARGV[at])]; at = at + 1 end
  if redis.call('EXISTS', item.key) == 1 then return 'booking_exists' end
  items[i] = item
end
for _, item in ipairs(items) do
  for _, cal in ipairs(item.cals) do
    if conflict(cal, item.member, back, maxbuf) then return 'slot_taken' end
  end
end
for _, item in ipairs(items) do
  local s, e = parse(item.member)
  redis.call('HSET', item.key, 'json', item.json, 'seq', '0', 'member', item.member)
  redis.call('PEXPIRE', item.key, (e + retention - now) * 1000)
  for _, cal in ipairs(item.cals) do redis.call('ZADD', cal, s, item.member) end
end
for i = n + 1, #KEYS do refresh(KEYS[i], now, retention, back) end
return 'ok'
"""

# KEYS: booking, n calendars, then the same people's n cancelled sets. ARGV: expected seq,
# json, new seq, new member ('' to cancel), now, retention, back, maxbuf, n.
UPDATE_LUA = _COMMON_LUA + """
local current = redis.call('HMGET', KEYS[1], 'seq', 'member')
if not current[1] then return 'booking_not_found' end
if current[1] ~= ARGV[1] then return 'retry' end
local member, now, retention = ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
local back, maxbuf, n = tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
if member ~= '' then
  for i = 2, n + 1 do
    if conflict(KEYS[i], member, back, maxbuf) then return 'slot_taken' end
  end
end
for i = 2, n + 1 do
  if current[2] ~= '' then redis.call('ZREM', KEYS[i], current[2]) end
  if member ~= '' then redis.call('ZADD', KEYS[i], parse(member), member) end
  refresh(KEYS[i], now, retention, back)
  if member == '' and current[2] ~= '' then
    local cancelled = KEYS[i + n]
    redis.call('ZADD', cancelled, parse(current[2]), current[2])
    refresh(cancelled, now, retention, back)
  end
end
redis.call('HSET', KEYS[1], 'json', ARGV[2], 'seq', ARGV[3], 'member', member)
if member ~= '' then
  local _, e = parse(member)
  redis.call('PEXPIRE', KEYS[1], (e + retention - now) * 1000)
end
return 'ok'
"""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def calendar_member(booking: Booking) -> str:
    """The booking's entry in its people's calendars."""
    start, end = booking.span()
    return f"{start}:{end}:{booking.buffer_s}:{booking.booking_id}"


class RedisBookingStore(RedisBacked, BookingStore):
    """Bookings in Redis; every mutation is a single Lua script, hence atomic.

    ``url_or_client`` is a redis URL (the store then owns, and closes, its client) or an
    existing ``redis.asyncio.Redis`` (left open on ``close()``).
    """

    def __init__(self, url_or_client: str | aioredis.Redis, clock: Clock | None = None,
                 key_prefix: str = "mentorcall:",
                 retention_s: int = DEFAULT_RETENTION_S) -> None:
        if retention_s < 0:
            raise ValueError("retention_s must not be negative")
        super().__init__(url_or_client)
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._prefix = key_prefix
        self._retention_s = int(retention_s)
        self._create = self._client.register_script(CREATE_LUA)
        self._update = self._client.register_script(UPDATE_LUA)

    def booking_key(self, booking_id: str) -> str:
        return self._prefix + BOOKING_KEY.format(booking_id=booking_id)

    def calendar_key(self, identity: str) -> str:
        return self._prefix + CALENDAR_KEY.format(identity=identity)

    def cancelled_key(self, identity: str) -> str:
        return self._prefix + CANCELLED_KEY.format(identity=identity)

    def _now(self) -> int:
        return int(self._clock.now())

    def _limits(self) -> list[int]:
        return [self._retention_s, LOOK_BACK_S, MAX_BUFFER_S]

    async def create_all(self, bookings: Sequence[Booking]) -> list[Booking]:
        check_new_batch(bookings, self._clock.now())
        calendars = sorted({p for b in bookings for p in b.people})
        index = {p: len(bookings) + i + 1 for i, p in enumerate(calendars)}
        keys = [self.booking_key(b.booking_id) for b in bookings]
        keys += [self.calendar_key(p) for p in calendars]
        args: list[Any] = [len(bookings), self._now(), *self._limits()]
        for b in bookings:
            args += [b.model_dump_json(), calendar_member(b), len(b.people)]
            args += [index[p] for p in b.people]
        status = _text(await self._create(keys=keys, args=args))
        if status != "ok":
            raise RoomError("booking_exists" if status == "booking_exists" else "slot_taken")
        return list(bookings)

    async def _read(self, booking_id: str) -> Booking:
        data = await self._client.hget(self.booking_key(booking_id), "json")
        if data is None:
            raise RoomError("booking_not_found")
        return Booking.model_validate_json(_text(data))

    async def get(self, booking_id: str) -> Booking:
        return await self._read(booking_id)

    async def _apply(self, booking_id: str, change: str, start: datetime | None = None,
                     end: datetime | None = None, expected_sequence: int | None = None,
                     rules_moved: Sequence[str] = ()) -> Booking:
        for _ in range(MAX_CAS_TRIES):
            current = await self._read(booking_id)
            check_expected(current, expected_sequence)  # a lost race is seen on re-read
            now = self._clock.now()
            if change == "cancel":
                new = current.cancelled(now)
                member = ""
            else:
                assert start is not None and end is not None
                new = current.rescheduled(start, end, now, rules_moved)
                check_not_past(new.start, now)
                member = calendar_member(new)
            keys = [self.booking_key(booking_id)]
            keys += [self.calendar_key(p) for p in current.people]
            keys += [self.cancelled_key(p) for p in current.people]
            status = _text(await self._update(
                keys=keys,
                args=[current.sequence, new.model_dump_json(), new.sequence, member,
                      self._now(), *self._limits(), len(current.people)],
            ))
            if status == "ok":
                return new
            if status == "booking_not_found":
                raise RoomError("booking_not_found")
            if status == "slot_taken":
                raise RoomError("slot_taken")
        raise RuntimeError(f"booking {booking_id} kept changing; gave up after "
                           f"{MAX_CAS_TRIES} tries")

    async def reschedule(self, booking_id: str, start: datetime, end: datetime,
                         expected_sequence: int | None = None, *,
                         rules_moved: Sequence[str] = ()) -> Booking:
        return await self._apply(booking_id, "reschedule", start, end, expected_sequence,
                                 rules_moved)

    async def cancel(self, booking_id: str, expected_sequence: int | None = None) -> Booking:
        return await self._apply(booking_id, "cancel", expected_sequence=expected_sequence)

    async def bookings_for(self, identity: str, start: datetime, end: datetime) -> list[Booking]:
        found = await self._listed(self.calendar_key(identity), identity, start, end)
        return [b for b in found if b.is_confirmed]

    async def cancelled_for(self, identity: str, start: datetime,
                            end: datetime) -> list[Booking]:
        found = await self._listed(self.cancelled_key(identity), identity, start, end)
        return [b for b in found if not b.is_confirmed]

    async def _listed(self, key: str, identity: str, start: datetime,
                      end: datetime) -> list[Booking]:
        """The bookings of ``identity`` listed in the sorted set ``key`` overlapping
        [start, end), by start."""
        lo, hi = epoch_seconds(start), epoch_seconds(end)
        members = await self._client.zrangebyscore(key, lo - LOOK_BACK_S, f"({hi}")
        ids = []
        for member in map(_text, members):
            m_start, m_end, _, booking_id = member.split(":", 3)
            if int(m_start) < hi and int(m_end) > lo:
                ids.append(booking_id)
        if not ids:
            return []
        async with self._client.pipeline(transaction=False) as pipe:
            for booking_id in ids:
                pipe.hget(self.booking_key(booking_id), "json")
            replies = await pipe.execute()
        found = [Booking.model_validate_json(_text(r)) for r in replies if r is not None]
        return sorted((b for b in found if identity in b.people),
                      key=lambda b: (b.start, b.booking_id))
