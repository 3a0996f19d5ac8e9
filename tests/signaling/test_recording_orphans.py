"""Start-up recovery reports the recording folders no recording names (their metadata
was deleted or lost while the files stayed on disk), and leaves them alone."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from rooms.clock import ManualClock
from rooms.models import Role
from rooms.recordings.local_storage import LocalFolderStorage
from rooms.recordings.memory_store import MemoryRecordingStore
from rooms.recordings.service import RecordingService
from signaling.recording_files import RecordingFiler
from tests.rooms.builders import START, coffee


async def test_recovery_reports_folders_without_a_recording(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    clock = ManualClock(START)
    store = MemoryRecordingStore(clock)
    service = RecordingService(store, clock)
    filer = RecordingFiler(service, LocalFolderStorage(tmp_path))
    kept = await service.start(coffee(), "mentor-1", Role.MENTOR, True)
    await service.stop(coffee(), Role.MENTOR, True)
    filer.folder(kept.recording_id).mkdir()
    orphan = tmp_path / "rec_orphanOrphan01"
    orphan.mkdir()
    for name in ("ada.audio.001.webm", "ada.video.001.webm", "ada.audio.001.json"):
        (orphan / name).write_bytes(b"x")
    (tmp_path / "not a recording").mkdir()
    with caplog.at_level(logging.WARNING, logger="signaling.recording_files"):
        assert await filer.recover_all() == []
    assert await filer.orphans() == [("rec_orphanOrphan01", 2)]
    warnings = [r.getMessage() for r in caplog.records if "has no recording" in r.getMessage()]
    assert warnings == [f"recording folder {orphan} has no recording (deleted, or lost with "
                        "the store): its 2 track file(s) are left on disk; nothing serves, "
                        "uploads or deletes them. Delete the folder, or keep it elsewhere"]
    assert sorted(p.name for p in orphan.iterdir())[0] == "ada.audio.001.json"  # untouched
    await store.close()
