"""Who joined which room: kept after the room is gone, so that a programme can tell a
session held from a no-show (nobody joined).

:class:`~rooms.service.RoomService` tells its join listeners of every join; the app adds
the programmes' listener, which records the joins of booked sessions' rooms. One
interface, an in-memory and a Redis implementation (``mentorcall:attendance:{room_id}``:
a set of identities, kept ``RETENTION_S``).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import redis.asyncio as aioredis

from rooms.redis_client import RedisBacked

RETENTION_S = 400 * 86400  # a year of programme progress, and some
KEY = "attendance:{room_id}"


class AttendanceLog(ABC):
    """The identities that joined each room."""

    @abstractmethod
    async def record(self, room_id: str, identity: str) -> None:
        """Note that ``identity`` joined ``room_id``."""

    @abstractmethod
    async def joined(self, room_id: str) -> set[str]:
        """Everyone who joined ``room_id`` (empty if nobody did or it is forgotten)."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections."""


class MemoryAttendanceLog(AttendanceLog):
    """Attendance in a dict of this process."""

    def __init__(self) -> None:
        self._rooms: dict[str, set[str]] = {}

    async def record(self, room_id: str, identity: str) -> None:
        self._rooms.setdefault(room_id, set()).add(identity)

    async def joined(self, room_id: str) -> set[str]:
        return set(self._rooms.get(room_id, ()))

    async def close(self) -> None:
        return None


class RedisAttendanceLog(RedisBacked, AttendanceLog):
    """Attendance in Redis sets (see the module docstring)."""

    def __init__(self, url_or_client: str | aioredis.Redis,
                 key_prefix: str = "mentorcall:") -> None:
        super().__init__(url_or_client)
        self._prefix = key_prefix

    async def record(self, room_id: str, identity: str) -> None:
        key = self._prefix + KEY.format(room_id=room_id)
        async with self._client.pipeline(transaction=True) as tx:
            tx.sadd(key, identity)
            tx.expire(key, RETENTION_S)
            await tx.execute()

    async def joined(self, room_id: str) -> set[str]:
        key = self._prefix + KEY.format(room_id=room_id)
        return {str(m) for m in await self._client.smembers(key)}
