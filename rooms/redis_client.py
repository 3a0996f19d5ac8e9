"""The Redis client every Redis-backed store holds: owned when made from a URL."""

from __future__ import annotations

import redis.asyncio as aioredis


class RedisBacked:
    """Base of the Redis stores: a ``redis.asyncio`` client, decoded to ``str``.

    ``url_or_client`` is a redis URL (the store then owns, and closes, its client) or an
    existing client (left open on ``close()``, for callers that share one connection pool).
    """

    def __init__(self, url_or_client: str | aioredis.Redis) -> None:
        if isinstance(url_or_client, str):
            self._client = aioredis.Redis.from_url(url_or_client, decode_responses=True)
            self._owns_client = True
        else:
            self._client = url_or_client
            self._owns_client = False

    async def close(self) -> None:
        """Close the client if this store created it."""
        if self._owns_client:
            await self._client.aclose()
