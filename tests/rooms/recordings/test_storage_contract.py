"""One contract for every RecordingStorage: a local folder and a real S3-compatible
server (moto on loopback)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rooms.recordings.storage import RecordingStorage, StoredFile, read_all
from tests.rooms.builders import expect_error

PATH_LIKE = ["../x", "a/b", "..", ".", ".hidden", "a\\b", "", "x" * 65, "a b", "%2e%2e",
             "/etc"]
PATH_LIKE_NAMES = ["../x.webm", "a/b.webm", "..", ".", ".env", "a..b", "a\\b", "",
                   "x" * 129, "a b", "/etc/passwd", "nul\x00.webm"]


def source(tmp_path: Path, data: bytes, name: str = "src.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


async def read(storage: RecordingStorage, rid: str, name: str, start: int,
               length: int) -> bytes:
    return b"".join([c async for c in storage.read_range(rid, name, start, length)])


async def test_put_then_read_whole_and_ranges(file_storage: RecordingStorage,
                                              tmp_path: Path) -> None:
    data = os.urandom(700_000)  # several read chunks
    assert await file_storage.put("rec-1", "mentor.video.webm", source(tmp_path, data)) == len(
        data)
    assert await file_storage.size("rec-1", "mentor.video.webm") == len(data)
    assert await read_all(file_storage, "rec-1", "mentor.video.webm") == data
    assert await read(file_storage, "rec-1", "mentor.video.webm", 0, 1) == data[:1]
    assert await read(file_storage, "rec-1", "mentor.video.webm", 123_456, 300_000) == (
        data[123_456:423_456])
    assert await read(file_storage, "rec-1", "mentor.video.webm", len(data) - 5, 5) == (
        data[-5:])
    assert await read(file_storage, "rec-1", "mentor.video.webm", 10, 0) == b""


async def test_put_replaces_and_bytes(file_storage: RecordingStorage, tmp_path: Path) -> None:
    await file_storage.put("rec-1", "a.webm", source(tmp_path, b"first version"))
    await file_storage.put("rec-1", "a.webm", source(tmp_path, b"second"))
    assert await read_all(file_storage, "rec-1", "a.webm") == b"second"
    assert await file_storage.put_bytes("rec-1", "consent.json", b'{"x":1}') == 7
    assert await read_all(file_storage, "rec-1", "consent.json") == b'{"x":1}'
    assert await file_storage.put_bytes("rec-1", "empty.json", b"") == 0
    assert await file_storage.size("rec-1", "empty.json") == 0


async def test_files_and_deletes(file_storage: RecordingStorage) -> None:
    assert await file_storage.files("rec-1") == []
    await file_storage.put_bytes("rec-1", "b.webm", b"bb")
    await file_storage.put_bytes("rec-1", "a.webm", b"a")
    await file_storage.put_bytes("rec-10", "c.webm", b"ccc")  # a prefix of rec-10 is rec-1
    assert await file_storage.files("rec-1") == [StoredFile("a.webm", 1), StoredFile("b.webm", 2)]
    assert await file_storage.delete("rec-1", "a.webm") is True
    assert await file_storage.delete("rec-1", "a.webm") is False
    assert await file_storage.files("rec-1") == [StoredFile("b.webm", 2)]
    assert await file_storage.delete_recording("rec-1") == 1
    assert await file_storage.files("rec-1") == []
    assert await file_storage.delete_recording("rec-1") == 0
    assert await file_storage.files("rec-10") == [StoredFile("c.webm", 3)]


async def test_missing_files(file_storage: RecordingStorage) -> None:
    await expect_error("recording_file_not_found", file_storage.size("rec-1", "a.webm"))
    await expect_error("recording_file_not_found", read(file_storage, "rec-1", "a.webm", 0, 1))
    await file_storage.put_bytes("rec-1", "b.webm", b"b")
    await expect_error("recording_file_not_found", file_storage.size("rec-1", "a.webm"))


@pytest.mark.parametrize("bad", PATH_LIKE)
async def test_path_like_recording_ids_are_refused(file_storage: RecordingStorage,
                                                   bad: str) -> None:
    await expect_error("invalid_recording_id", file_storage.put_bytes(bad, "a.webm", b"x"))
    await expect_error("invalid_recording_id", file_storage.size(bad, "a.webm"))
    await expect_error("invalid_recording_id", file_storage.files(bad))
    await expect_error("invalid_recording_id", file_storage.delete_recording(bad))


@pytest.mark.parametrize("bad", PATH_LIKE_NAMES)
async def test_path_like_file_names_are_refused(file_storage: RecordingStorage,
                                                bad: str) -> None:
    await expect_error("invalid_recording_id", file_storage.put_bytes("rec-1", bad, b"x"))
    await expect_error("invalid_recording_id", file_storage.size("rec-1", bad))
    await expect_error("invalid_recording_id", read(file_storage, "rec-1", bad, 0, 1))
    await expect_error("invalid_recording_id", file_storage.delete("rec-1", bad))
    assert await file_storage.files("rec-1") == []
