"""The Redis room store: shared state for several processes and machines.

Layout (``{id}`` is a Redis Cluster hash tag, so one room's keys share a slot and the
Lua scripts may touch them together):

* ``ROOM_KEY``          string, the Room as JSON
* ``PARTICIPANTS_KEY``  hash, identity -> Participant as JSON (without tracks)
* ``TRACKS_KEY``        hash, identity -> list of Track as JSON
* ``LEASES_KEY``        hash, identity -> the seat's lease expiry (epoch seconds)
* ``RESUME_KEY``        hash, identity -> the digest of its seat's current resume token
                        (dropped with the seat)
* ``JOIN_BUDGET_KEY``   hash per person, their join budget (rooms/join_budget.py)
* ``PRESENCE_KEY``      sorted set over all rooms, "<room id> <identity>" by lease expiry:
                        the index the sweepers read (a hint; the room's hash decides)

Tracks live apart from participants so that ``set_tracks`` is a plain field write inside
Lua (no JSON re-encoding there: cjson cannot tell an empty list from an empty object).

Every key carries the room's TTL: ``expires_at + grace_s`` measured from the injected
clock when the room is created, copied to the hashes on every write, so nothing outlives
its room. The clock's "now" is passed into the scripts, so tests can pin it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import redis.asyncio as aioredis

from rooms.clock import Clock, SystemClock
from rooms.errors import RoomError
from rooms.join_budget import RedisJoinBudgets
from rooms.models import Participant, Room, RoomSnapshot, Track, check_tracks
from rooms.owned_seats import OwnedSeats
from rooms.store import DEFAULT_GRACE_S, ResumeSwap, RoomStore, sort_participants

from .redis_client import RedisBacked, run_id

ROOM_KEY = "room:{{{room_id}}}"
PARTICIPANTS_KEY = "room:{{{room_id}}}:participants"
TRACKS_KEY = "room:{{{room_id}}}:tracks"
LEASES_KEY = "room:{{{room_id}}}:leases"
RESUME_KEY = "room:{{{room_id}}}:resume"
PRESENCE_KEY = "presence"
PRESENCE_SLACK_S = 3600  # the index lives this long after its latest lease

# KEYS: room, participants, tracks, leases. ARGV: room json, ttl ms.
CREATE_LUA = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 'room_exists' end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 'ok'
"""

# KEYS: room, participants, tracks, leases, resume. ARGV: identity, participant json, tracks
# json, now, lease expiry ('' for none), resume digest ('' for none). The capacity check and
# the insert are one step; the same identity replaces its entry.
JOIN_LUA = """
local room_json = redis.call('GET', KEYS[1])
if not room_json then return {'room_not_found'} end
local room = cjson.decode(room_json)
if tonumber(ARGV[4]) > tonumber(room['expires_at']) then return {'room_closed'} end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0
   and redis.call('HLEN', KEYS[2]) >= tonumber(room['capacity']) then
  return {'room_full'}
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
if ARGV[5] ~= '' then redis.call('HSET', KEYS[4], ARGV[1], ARGV[5]) end
if ARGV[6] ~= '' then redis.call('HSET', KEYS[5], ARGV[1], ARGV[6]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
  if redis.call('EXISTS', KEYS[4]) == 1 then redis.call('PEXPIRE', KEYS[4], ttl) end
  if redis.call('EXISTS', KEYS[5]) == 1 then redis.call('PEXPIRE', KEYS[5], ttl) end
end
return {'ok', room_json, redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[3])}
"""

# KEYS: room, participants, tracks. ARGV: identity, tracks json, now.
SET_TRACKS_LUA = """
local room_json = redis.call('GET', KEYS[1])
if not room_json then return 'room_not_found' end
local room = cjson.decode(room_json)
if tonumber(ARGV[3]) > tonumber(room['expires_at']) then return 'room_closed' end
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 'not_in_room' end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[3], ttl) end
return 'ok'
"""

# KEYS: participants, tracks, leases, resume. ARGV: identity. The seat's resume digest
# goes with it (a resume of a seat that is gone is expired anyway).
LEAVE_LUA = """
local removed = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
return removed
"""

# KEYS: room, participants, tracks, leases. ARGV: until, identities... Renews the seats
# still present; returns them.
RENEW_LUA = """
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then return {} end
local renewed = {}
for i = 2, #ARGV do
  if redis.call('HEXISTS', KEYS[2], ARGV[i]) == 1 then
    redis.call('HSET', KEYS[4], ARGV[i], ARGV[1])
    renewed[#renewed + 1] = ARGV[i]
  end
end
if #renewed > 0 then redis.call('PEXPIRE', KEYS[4], ttl) end
return renewed
"""

# KEYS: room, participants, tracks, leases, resume. ARGV: identity, now. Removes the seat
# (and its resume digest) if its lease ran out: 1 removed, 0 not there, -1 still leased
# (or never leased).
LAPSE_LUA = """
local expiry = redis.call('HGET', KEYS[4], ARGV[1])
if not expiry or tonumber(expiry) > tonumber(ARGV[2]) then return -1 end
redis.call('HDEL', KEYS[4], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[5], ARGV[1])
return redis.call('HDEL', KEYS[2], ARGV[1])
"""

# KEYS: presence. ARGV: now, slack, then score/member pairs. The index lives ``slack``
# seconds past its latest lease.
INDEX_LUA = """
for i = 3, #ARGV, 2 do redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1]) end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local ttl = math.ceil(tonumber(last[2]) - tonumber(ARGV[1]) + tonumber(ARGV[2]))
if ttl > 0 then redis.call('EXPIRE', KEYS[1], ttl) end
return 1
"""

# KEYS: presence. ARGV: member, now. Drops an index entry that has not been renewed.
UNINDEX_LUA = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) <= tonumber(ARGV[2]) then redis.call('ZREM', KEYS[1], ARGV[1]) end
return 1
"""

# KEYS: room, participants, leases, resume. ARGV: identity, old digest, new digest, now,
# lease expiry. The seat's presence, its lease, the digest check and the swap (with the
# lease extended, so no sweeper takes the seat meanwhile) are one step.
SWAP_RESUME_LUA = """
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then
  return 'expired'
end
local lease = redis.call('HGET', KEYS[3], ARGV[1])
if lease and tonumber(lease) <= tonumber(ARGV[4]) then return 'expired' end
if redis.call('HGET', KEYS[4], ARGV[1]) ~= ARGV[2] then return 'invalid' end
redis.call('HSET', KEYS[4], ARGV[1], ARGV[3])
if lease then
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[5])
  return 'leased'
end
return 'ok'
"""

# KEYS: room, participants, tracks.
SNAPSHOT_LUA = """
local room_json = redis.call('GET', KEYS[1])
if not room_json then return {'room_not_found'} end
return {'ok', room_json, redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[3])}
"""


def _text(value: Any) -> str:
    """Redis replies are bytes unless the client decodes them; accept both."""
    return value.decode() if isinstance(value, bytes) else str(value)


def _pairs(flat: Sequence[Any]) -> dict[str, str]:
    """A Lua HGETALL reply (k1, v1, k2, v2, ...) as a dict."""
    items = [_text(v) for v in flat]
    return dict(zip(items[0::2], items[1::2], strict=True))


class RedisRoomStore(RedisBacked, RoomStore):
    """Rooms in Redis; every mutation is a single Lua script, hence atomic across processes.

    ``url_or_client`` is a redis URL (the store then owns, and closes, its client) or an
    existing ``redis.asyncio.Redis`` (left open on ``close()``).
    """

    def __init__(
        self,
        url_or_client: str | aioredis.Redis,
        clock: Clock | None = None,
        key_prefix: str = "mentorcall:",
        grace_s: float = DEFAULT_GRACE_S,
    ) -> None:
        if grace_s < 0:
            raise ValueError("grace_s must not be negative")
        super().__init__(url_or_client)
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._prefix = key_prefix
        self._grace_s = grace_s
        self._create = self._client.register_script(CREATE_LUA)
        self._join = self._client.register_script(JOIN_LUA)
        self._set_tracks = self._client.register_script(SET_TRACKS_LUA)
        self._leave = self._client.register_script(LEAVE_LUA)
        self._snapshot = self._client.register_script(SNAPSHOT_LUA)
        self._renew = self._client.register_script(RENEW_LUA)
        self._lapse = self._client.register_script(LAPSE_LUA)
        self._unindex = self._client.register_script(UNINDEX_LUA)
        self._index_seats = self._client.register_script(INDEX_LUA)
        self._swap_resume = self._client.register_script(SWAP_RESUME_LUA)
        self._joins = RedisJoinBudgets(self._client, key_prefix)
        # the seats this process wrote with a lease, written back after a Redis restart
        self.owned = OwnedSeats()

    def room_keys(self, room_id: str) -> list[str]:
        """The keys the room's scripts share: room, participants, tracks, leases (the
        resume digests are :meth:`resume_key`)."""
        return [
            self._prefix + template.format(room_id=room_id)
            for template in (ROOM_KEY, PARTICIPANTS_KEY, TRACKS_KEY, LEASES_KEY)
        ]

    @property
    def presence_key(self) -> str:
        return self._prefix + PRESENCE_KEY

    async def _index(self, room_id: str, identities: Sequence[str], until: float) -> None:
        if not identities:
            return
        pairs = [part for identity in identities
                 for part in (repr(until), f"{room_id} {identity}")]
        await self._index_seats(keys=[self.presence_key],
                                args=[repr(self._clock.now()), PRESENCE_SLACK_S, *pairs])

    @staticmethod
    def _parse_snapshot(reply: Sequence[Any]) -> RoomSnapshot:
        room = Room.model_validate_json(_text(reply[1]))
        people = _pairs(reply[2])
        tracks = _pairs(reply[3])
        participants = [
            Participant.from_dict(
                {**json.loads(data), "tracks": json.loads(tracks.get(identity, "[]"))}
            )
            for identity, data in people.items()
        ]
        return RoomSnapshot(room=room, participants=sort_participants(participants))

    async def create_room(self, room: Room) -> None:
        ttl_ms = math.ceil((room.expires_at + self._grace_s - self._clock.now()) * 1000)
        if ttl_ms <= 0:
            raise RoomError("room_closed")
        status = _text(
            await self._create(
                keys=self.room_keys(room.room_id), args=[room.model_dump_json(), ttl_ms]
            )
        )
        if status != "ok":
            raise RoomError("room_exists")

    async def get_room(self, room_id: str) -> Room | None:
        data = await self._client.get(self.room_keys(room_id)[0])
        return Room.model_validate_json(_text(data)) if data is not None else None

    async def join(self, room_id: str, participant: Participant,
                   lease_until: float | None = None,
                   resume_digest: str | None = None) -> RoomSnapshot:
        tracks_json = json.dumps([t.to_dict() for t in participant.tracks])
        reply = await self._join(
            keys=[*self.room_keys(room_id), self.resume_key(room_id)],
            args=[
                participant.identity,
                participant.model_dump_json(exclude={"tracks"}),
                tracks_json,
                repr(self._clock.now()),
                "" if lease_until is None else repr(lease_until),
                resume_digest or "",
            ],
        )
        status = _text(reply[0])
        if status == "room_not_found":
            raise RoomError("room_not_found")
        if status == "room_closed":
            raise RoomError("room_closed")
        if status == "room_full":
            raise RoomError("room_full")
        if lease_until is not None:
            await self._index(room_id, [participant.identity], lease_until)
        snapshot = self._parse_snapshot(reply)
        if lease_until is not None:
            self.owned.joined(snapshot.room, participant, resume_digest)
        return snapshot

    async def leave(self, room_id: str, identity: str) -> bool:
        _, participants_key, tracks_key, leases_key = self.room_keys(room_id)
        removed = await self._leave(
            keys=[participants_key, tracks_key, leases_key, self.resume_key(room_id)],
            args=[identity])
        await self._client.zrem(self.presence_key, f"{room_id} {identity}")
        self.owned.left(room_id, identity)
        return int(removed) > 0

    async def renew_leases(self, room_id: str, identities: list[str], until: float) -> None:
        if not identities:
            return
        renewed = await self._renew(keys=self.room_keys(room_id),
                                    args=[repr(until), *identities])
        await self._index(room_id, [_text(i) for i in renewed], until)

    async def lapsed_seats(self, now: float, limit: int = 100) -> list[tuple[str, str]]:
        members = await self._client.zrangebyscore(self.presence_key, "-inf", now,
                                                   start=0, num=limit)
        seats = [_text(m).split(" ", 1) for m in members]
        return [(seat[0], seat[1]) for seat in seats if len(seat) == 2]

    async def remove_lapsed(self, room_id: str, identity: str, now: float) -> bool:
        removed = int(await self._lapse(
            keys=[*self.room_keys(room_id), self.resume_key(room_id)],
            args=[identity, repr(now)]))
        await self._unindex(keys=[self.presence_key], args=[f"{room_id} {identity}", repr(now)])
        if removed > 0:
            self.owned.left(room_id, identity)
        return removed > 0

    def resume_key(self, room_id: str) -> str:
        return self._prefix + RESUME_KEY.format(room_id=room_id)

    async def swap_resume_digest(self, room_id: str, identity: str, old: str, new: str,
                                 now: float, lease_until: float) -> ResumeSwap:
        room_key, participants_key, _, leases_key = self.room_keys(room_id)
        status = _text(await self._swap_resume(
            keys=[room_key, participants_key, leases_key, self.resume_key(room_id)],
            args=[identity, old, new, repr(now), repr(lease_until)]))
        if status in ("leased", "ok"):
            self.owned.resumed(room_id, identity, new)
        if status == "leased":
            await self._index(room_id, [identity], lease_until)
            return "ok"
        return "expired" if status == "expired" else "invalid" if status == "invalid" else "ok"

    async def take_join(self, room_id: str, identity: str, now: float) -> float:
        return await self._joins.take(room_id, identity, now)

    async def set_tracks(self, room_id: str, identity: str, tracks: list[Track]) -> None:
        # The store must never hold tracks that a Participant would refuse to load.
        checked = check_tracks(tracks)
        status = _text(
            await self._set_tracks(
                keys=self.room_keys(room_id),
                args=[
                    identity,
                    json.dumps([t.to_dict() for t in checked]),
                    repr(self._clock.now()),
                ],
            )
        )
        if status == "room_not_found":
            raise RoomError("room_not_found")
        if status == "room_closed":
            raise RoomError("room_closed")
        if status == "not_in_room":
            raise RoomError("not_in_room")
        self.owned.set_tracks(room_id, identity, checked)

    async def snapshot(self, room_id: str) -> RoomSnapshot:
        reply = await self._snapshot(keys=self.room_keys(room_id), args=[])
        if _text(reply[0]) != "ok":
            raise RoomError("room_not_found")
        return self._parse_snapshot(reply)

    async def delete_room(self, room_id: str) -> None:
        self.owned.room_gone(room_id)  # ended on purpose: never written back
        await self._client.delete(*self.room_keys(room_id), self.resume_key(room_id))

    # -- after a Redis restart (rooms/owned_seats.py) -------------------------------------

    async def restarted(self, held: Mapping[str, Sequence[str]]) -> bool:
        return self.owned.saw(await run_id(self._client), held)

    async def reassert_room(self, room_id: str, identities: Sequence[str],
                            until: float) -> int:
        owned = self.owned.get(room_id)
        if owned is None:
            return 0
        try:
            await self.create_room(owned.room)
        except RoomError:
            pass  # there (persisted, or written back by another process), or past its grace
        try:
            present = {p.identity for p in (await self.snapshot(room_id)).participants}
        except RoomError:
            return 0
        written = 0
        for seat in [owned.seats[i] for i in identities if i in owned.seats and i not in present]:
            try:
                await self.join(room_id, seat, until, owned.resume.get(seat.identity))
                written += 1
            except RoomError:
                pass  # closed (past its end) meanwhile
        return written

    def reasserted(self) -> None:
        self.owned.rebuild_due = False
