"""Both node registries: in memory and on a freshly flushed real redis-server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from rooms.clock import ManualClock
from rooms.nodes.memory_registry import MemoryNodeRegistry
from rooms.nodes.redis_registry import RedisNodeRegistry
from rooms.nodes.registry import NodeRegistry


@pytest.fixture(params=["memory", "redis"])
async def registry(request: pytest.FixtureRequest,
                   clock: ManualClock) -> AsyncIterator[NodeRegistry]:
    made: NodeRegistry
    if request.param == "redis":
        made = RedisNodeRegistry(request.getfixturevalue("clean_redis_url"), clock)
    else:
        made = MemoryNodeRegistry(clock)
    yield made
    await made.close()
