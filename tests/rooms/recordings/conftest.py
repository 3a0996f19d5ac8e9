"""Fixtures for the recordings tests: both metadata stores, a service on each."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from itertools import count
from pathlib import Path

import pytest

from rooms.clock import ManualClock
from rooms.recordings.layered_storage import LayeredStorage
from rooms.recordings.local_storage import LocalFolderStorage
from rooms.recordings.memory_store import MemoryRecordingStore
from rooms.recordings.redis_store import RedisRecordingStore
from rooms.recordings.s3_storage import S3Storage
from rooms.recordings.service import RecordingService
from rooms.recordings.storage import RecordingStorage
from rooms.recordings.store import RecordingStore
from tests.s3_server import S3Server, options


@pytest.fixture(params=["memory", "redis"])
async def recording_store(request: pytest.FixtureRequest,
                          clock: ManualClock) -> AsyncIterator[RecordingStore]:
    """Each implementation in turn; the Redis one on a freshly flushed real redis-server."""
    made: RecordingStore
    if request.param == "redis":
        made = RedisRecordingStore(request.getfixturevalue("clean_redis_url"), clock,
                                   max_audit_entries=50)
    else:
        made = MemoryRecordingStore(clock, max_audit_entries=50)
    yield made
    await made.close()


@pytest.fixture
def ids() -> Iterator[str]:
    return (f"rec-{n}" for n in count(1))


@pytest.fixture
def recordings(recording_store: RecordingStore, clock: ManualClock,
               ids: Iterator[str]) -> RecordingService:
    return RecordingService(recording_store, clock, new_id=lambda: next(ids))


@pytest.fixture
def s3_storage(s3_server: S3Server) -> S3Storage:
    """An S3Storage on a fresh bucket of the session's S3-compatible server (a sync
    fixture, so that async fixtures can ask for it by name)."""
    bucket = f"rec-{uuid.uuid4().hex[:12]}"
    s3_server.client().create_bucket(Bucket=bucket)
    return S3Storage(options(s3_server.url, bucket))


@pytest.fixture(params=["folder", "s3", "layered"])
async def file_storage(request: pytest.FixtureRequest,
                       tmp_path: Path) -> AsyncIterator[RecordingStorage]:
    """Each file storage in turn: a folder under tmp_path, a bucket on a real S3 server,
    and the folder in front of the bucket."""
    made: RecordingStorage
    if request.param == "s3":
        made = request.getfixturevalue("s3_storage")
    elif request.param == "layered":
        made = LayeredStorage(LocalFolderStorage(tmp_path / "recordings"),
                              request.getfixturevalue("s3_storage"))
    else:
        made = LocalFolderStorage(tmp_path / "recordings")
    yield made
    await made.close()
