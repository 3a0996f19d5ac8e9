"""Retention deletes recordings older than N days, files and metadata, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from rooms.clock import ManualClock
from rooms.errors import RoomError
from rooms.recordings.audit import AuditAction
from rooms.recordings.local_storage import LocalFolderStorage
from rooms.recordings.model import RecordingFilter, RecordingState
from rooms.recordings.retention import DAY_S, Retention
from rooms.recordings.storage import StoredFile
from rooms.recordings.store import RecordingStore
from tests.rooms.builders import START
from tests.rooms.recordings.builders import recording


class BrokenDisk(LocalFolderStorage):
    async def delete_recording(self, recording_id: str) -> int:
        raise RoomError("storage_unavailable")


async def seed(store: RecordingStore, files: LocalFolderStorage) -> None:
    ages = {"old-1": 40, "old-2": 31, "edge": 30, "new": 29, "today": 0}
    for n, (rid, days) in enumerate(ages.items()):
        await store.create(recording(rid, f"room-{n}", START - days * DAY_S, active=False))
        await files.put_bytes(rid, "track.webm", rid.encode())
    await files.put_bytes("orphan", "track.webm", b"no metadata")  # not a recording's


async def test_deletes_old_recordings_files_and_metadata_only(
        recording_store: RecordingStore, clock: ManualClock, tmp_path: Path) -> None:
    files = LocalFolderStorage(tmp_path / "recordings")
    await seed(recording_store, files)
    # a long recording started 35 days ago and still running is never deleted
    await recording_store.create(recording("running", "room-9", START - 35 * DAY_S))
    # ... nor one whose node was lost while writing it (its files wait for recovery)
    await recording_store.create(recording("lost", "room-8", START - 36 * DAY_S))
    await recording_store.update("lost", lambda r: r.model_copy(
        update={"state": RecordingState.INTERRUPTED}))
    retention = Retention(recording_store, files, days=30, clock=clock)
    assert sorted(await retention.run_once()) == ["old-1", "old-2"]
    left = [r.recording_id for r in await recording_store.find(RecordingFilter())]
    assert left == ["today", "new", "edge", "running", "lost"]
    for rid in ("old-1", "old-2"):
        assert await files.files(rid) == []
        assert await recording_store.get(rid) is None
    for rid in ("edge", "new", "today"):
        assert await files.files(rid) == [StoredFile("track.webm", len(rid))]
    assert await files.files("orphan") == [StoredFile("track.webm", 11)]
    audit = await recording_store.audit_log()
    assert sorted(e.recording_id or "" for e in audit) == ["old-1", "old-2"]
    assert {(e.actor, e.action) for e in audit} == {("retention", AuditAction.RETENTION)}
    assert await retention.run_once() == []  # nothing more is due
    clock.advance(1)  # "edge" is now a second past 30 days
    assert await retention.run_once() == ["edge"]


async def test_zero_days_keeps_everything(recording_store: RecordingStore,
                                          clock: ManualClock, tmp_path: Path) -> None:
    files = LocalFolderStorage(tmp_path / "recordings")
    await seed(recording_store, files)
    assert await Retention(recording_store, files, days=0, clock=clock).run_once() == []
    assert len(await recording_store.find(RecordingFilter())) == 5
    with pytest.raises(ValueError):
        Retention(recording_store, files, days=-1, clock=clock)


async def test_files_that_cannot_be_deleted_keep_their_metadata(
        recording_store: RecordingStore, clock: ManualClock, tmp_path: Path) -> None:
    files = BrokenDisk(tmp_path / "recordings")
    await seed(recording_store, files)
    assert await Retention(recording_store, files, days=30, clock=clock).run_once() == []
    assert await recording_store.get("old-1") is not None
    assert await files.files("old-1") == [StoredFile("track.webm", 5)]
    assert await recording_store.audit_log() == []
