"""The Redis node registry: every node of a deployment, and every room's placement.

Layout (every key carries the ``{nodes}`` hash tag, so all of them share one Redis
Cluster slot and the placement script may read every node; it builds node keys from
``NODE_PREFIX``, which is why they must):

* ``INDEX_KEY``            set of node ids ever registered (pruned by the scripts)
* ``NODE_PREFIX + id``     hash: url, ice_hosts, max_rooms, draining, load fields,
                           ``lease_end`` (epoch seconds); the key expires a little after
* ``NODE_PREFIX + id + ROOMS_SUFFIX``  sorted set of the rooms placed on the node,
                           scored by the placement's end
* ``PLACEMENT_KEY``        string, the room's node id, expiring with the room

A node is live while its ``lease_end`` is ahead of the caller's clock ("now" is passed
into the scripts, so tests can pin it); the key's own TTL only cleans up after it.
"""

from __future__ import annotations

import math
from typing import Any

import redis.asyncio as aioredis

from rooms.clock import Clock, SystemClock
from rooms.nodes.model import Node, NodeLoad, Placement
from rooms.nodes.registry import NodeRegistry
from rooms.redis_client import RedisBacked

INDEX_KEY = "node:{nodes}:index"
NODE_PREFIX = "node:{nodes}:n:"
ROOMS_SUFFIX = ":rooms"
PLACEMENT_KEY = "node:{{nodes}}:room:{room_id}"
KEY_SLACK_S = 10  # a node's key outlives its lease by this much (cleanup only)

# KEYS: index, node. ARGV: id, lease end, key ttl ms, then field/value pairs.
HEARTBEAT_LUA = """
local was_draining = redis.call('HGET', KEYS[2], 'draining')
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
if was_draining == '1' then redis.call('HSET', KEYS[2], 'draining', '1') end
redis.call('HSET', KEYS[2], 'lease_end', ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('SADD', KEYS[1], ARGV[1])
return 1
"""

# KEYS: placement, index. ARGV: node key prefix, rooms suffix, room id, now, until,
# placement ttl ms. Returns {node id, url, 'kept' | 'placed' | 'moved'} or {}.
PLACE_LUA = """
local prefix, suffix, room, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local function live(id)
  local lease = redis.call('HGET', prefix .. id, 'lease_end')
  return lease and tonumber(lease) > now
end
local current = redis.call('GET', KEYS[1])
local current_live = current and live(current)
if current_live and redis.call('HGET', prefix .. current, 'draining') ~= '1' then
  return {current, redis.call('HGET', prefix .. current, 'url'), 'kept'}
end
local best, best_rank = nil, nil
for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local key = prefix .. id
  if not live(id) then
    if redis.call('EXISTS', key) == 0 then redis.call('SREM', KEYS[2], id) end
  elseif redis.call('HGET', key, 'draining') ~= '1' then
    redis.call('ZREMRANGEBYSCORE', key .. suffix, '-inf', now)
    local placed = redis.call('ZCARD', key .. suffix)
    local cap = tonumber(redis.call('HGET', key, 'max_rooms'))
    if placed < cap then
      local rank = {placed / cap,
                    tonumber(redis.call('HGET', key, 'published') or '0')
                      + tonumber(redis.call('HGET', key, 'forwarded') or '0'),
                    tonumber(redis.call('HGET', key, 'cpu') or '0'), id}
      local better = best_rank == nil
      if not better then
        for i = 1, 4 do
          if rank[i] ~= best_rank[i] then better = rank[i] < best_rank[i]; break end
        end
      end
      if better then best, best_rank = id, rank end
    end
  end
end
if best == nil then
  if current_live then
    return {current, redis.call('HGET', prefix .. current, 'url'), 'kept'}
  end
  return {}
end
redis.call('SET', KEYS[1], best, 'PX', ARGV[6])
local rooms = prefix .. best .. suffix
redis.call('ZADD', rooms, ARGV[5], room)
local last = redis.call('ZRANGE', rooms, -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', rooms, math.max(1000, math.ceil((tonumber(last[2]) - now) * 1000)))
if current then redis.call('ZREM', prefix .. current .. suffix, room) end
return {best, redis.call('HGET', prefix .. best, 'url'), current and 'moved' or 'placed'}
"""

# KEYS: placement, the node's rooms. ARGV: node id, room id.
RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('ZREM', KEYS[2], ARGV[2])
return 1
"""

LOAD_FIELDS = ("rooms", "participants", "published", "forwarded")


class RedisNodeRegistry(RedisBacked, NodeRegistry):
    """Nodes and placements in Redis; heartbeats and placements are single Lua scripts."""

    def __init__(self, url_or_client: str | aioredis.Redis, clock: Clock | None = None,
                 key_prefix: str = "mentorcall:") -> None:
        super().__init__(url_or_client)
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._prefix = key_prefix
        self._heartbeat = self._client.register_script(HEARTBEAT_LUA)
        self._place = self._client.register_script(PLACE_LUA)
        self._release = self._client.register_script(RELEASE_LUA)

    def _node_key(self, node_id: str) -> str:
        return self._prefix + NODE_PREFIX + node_id

    def _placement_key(self, room_id: str) -> str:
        return self._prefix + PLACEMENT_KEY.format(room_id=room_id)

    @property
    def _index_key(self) -> str:
        return self._prefix + INDEX_KEY

    async def heartbeat(self, node: Node, lease_s: float) -> None:
        fields: dict[str, Any] = {
            "url": node.url,
            "ice_hosts": ",".join(node.ice_hosts),
            "max_rooms": node.max_rooms,
            "draining": "1" if node.draining else "0",
            "started_at": repr(node.started_at),
            "cpu": repr(round(node.load.cpu, 4)),
            **{name: getattr(node.load, name) for name in LOAD_FIELDS},
        }
        ttl_ms = math.ceil((lease_s + KEY_SLACK_S) * 1000)
        args: list[Any] = [node.node_id, repr(self._clock.now() + lease_s), ttl_ms]
        for name, value in fields.items():
            args += [name, value]
        await self._heartbeat(keys=[self._index_key, self._node_key(node.node_id)],
                              args=args)

    async def set_draining(self, node_id: str) -> None:
        key = self._node_key(node_id)
        if await self._client.exists(key):
            await self._client.hset(key, "draining", "1")

    async def leave(self, node_id: str) -> None:
        await self._client.delete(self._node_key(node_id))
        await self._client.srem(self._index_key, node_id)

    async def nodes(self) -> list[Node]:
        now = self._clock.now()
        ids = sorted(str(i) for i in await self._client.smembers(self._index_key))
        async with self._client.pipeline(transaction=False) as pipe:
            for node_id in ids:
                pipe.hgetall(self._node_key(node_id))
                pipe.zcount(self._node_key(node_id) + ROOMS_SUFFIX, f"({now!r}", "+inf")
            replies = await pipe.execute()
        found = []
        for node_id, fields, placed in zip(ids, replies[0::2], replies[1::2], strict=True):
            if fields and float(fields.get("lease_end", 0)) > now:
                found.append(_node_of(node_id, fields, int(placed)))
        return found

    async def place(self, room_id: str, ttl_s: float) -> Placement | None:
        now = self._clock.now()
        ttl_ms = max(1000, math.ceil(ttl_s * 1000))
        until = now + ttl_ms / 1000
        reply = await self._place(
            keys=[self._placement_key(room_id), self._index_key],
            args=[self._prefix + NODE_PREFIX, ROOMS_SUFFIX, room_id, repr(now), repr(until),
                  ttl_ms])
        if not reply:
            return None
        node_id, url, how = (str(v) for v in reply)
        return Placement(room_id, node_id, url, moved=how == "moved")

    async def placement(self, room_id: str) -> str | None:
        value = await self._client.get(self._placement_key(room_id))
        return None if value is None else str(value)

    async def release(self, room_id: str, node_id: str) -> None:
        await self._release(
            keys=[self._placement_key(room_id), self._node_key(node_id) + ROOMS_SUFFIX],
            args=[node_id, room_id])


def _node_of(node_id: str, fields: dict[str, str], placed: int) -> Node:
    return Node(
        node_id=node_id,
        url=fields.get("url", ""),
        max_rooms=max(1, int(fields.get("max_rooms", "1"))),
        ice_hosts=tuple(h for h in fields.get("ice_hosts", "").split(",") if h),
        draining=fields.get("draining") == "1",
        load=NodeLoad(cpu=float(fields.get("cpu", "0")),
                      **{name: int(fields.get(name, "0")) for name in LOAD_FIELDS}),
        placed=placed,
        started_at=float(fields.get("started_at", "0")),
    )
