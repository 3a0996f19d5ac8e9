"""Both notes stores: in memory and on a freshly flushed real redis-server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from rooms.notes.memory_store import MemoryNotesStore
from rooms.notes.redis_store import RedisNotesStore
from rooms.notes.store import NotesStore


@pytest.fixture(params=["memory", "redis"])
async def notes_store(request: pytest.FixtureRequest) -> AsyncIterator[NotesStore]:
    made: NotesStore
    if request.param == "redis":
        made = RedisNotesStore(request.getfixturevalue("clean_redis_url"))
    else:
        made = MemoryNotesStore()
    yield made
    await made.close()
