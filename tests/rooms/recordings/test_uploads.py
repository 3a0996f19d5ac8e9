"""The upload queue: finished files reach the S3 server even if it is down at first, and
the local copy stays until the upload is confirmed."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from rooms.errors import RoomError
from rooms.recordings.layered_storage import LayeredStorage
from rooms.recordings.local_storage import LocalFolderStorage
from rooms.recordings.s3_storage import S3Storage
from rooms.recordings.storage import read_all
from rooms.recordings.uploads import Backoff, UploadQueue
from tests.rooms.builders import expect_error
from tests.s3_server import S3Server, options

FAST = Backoff(first_s=0.05, cap_s=0.2)
WAIT_S = 60.0  # the most any wait below may take on a loaded machine


async def eventually(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(WAIT_S):
        while True:
            if condition():
                return
            await asyncio.sleep(0.02)



def s3_at(url: str, bucket: str) -> S3Storage:
    return S3Storage(options(url, bucket, attempts=1, timeout_s=2))


@pytest.fixture
def local(tmp_path: Path) -> LocalFolderStorage:
    return LocalFolderStorage(tmp_path / "recordings")


async def test_server_down_at_first_then_up(local: LocalFolderStorage) -> None:
    data = os.urandom(300_000)
    await local.put_bytes("rec-1", "mentor.video.webm", data)
    outage = S3Server()  # its port is chosen, nothing listens there yet
    remote = s3_at(outage.url, "recordings")
    confirmed: list[tuple[str, str, int]] = []

    async def on_uploaded(recording_id: str, name: str, size: int) -> None:
        confirmed.append((recording_id, name, size))

    queue = UploadQueue(local, remote, on_uploaded, FAST)
    task = asyncio.create_task(queue.run())
    try:
        queue.submit("rec-1", "mentor.video.webm")
        await eventually(lambda: queue.failures >= 3)
        assert await read_all(local, "rec-1", "mentor.video.webm") == data  # kept
        assert confirmed == [] and queue.pending == 1
        await asyncio.to_thread(outage.start)
        try:
            await asyncio.to_thread(outage.client().create_bucket, Bucket="recordings")
            async with asyncio.timeout(WAIT_S):
                await queue.idle()
            assert confirmed == [("rec-1", "mentor.video.webm", len(data))]
            assert await read_all(remote, "rec-1", "mentor.video.webm") == data
            assert await local.files("rec-1") == []  # deleted once confirmed
        finally:
            await asyncio.to_thread(outage.stop)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await remote.close()


class ShortStore(LocalFolderStorage):
    """A remote that loses the end of every file (an upload that did not complete)."""

    async def put(self, recording_id: str, name: str, source: Path) -> int:
        return await super().put(recording_id, name, source) - 1


async def test_unconfirmed_upload_keeps_the_local_copy(local: LocalFolderStorage,
                                                       tmp_path: Path) -> None:
    await local.put_bytes("rec-1", "a.webm", b"0123456789")
    queue = UploadQueue(local, ShortStore(tmp_path / "remote"), backoff=FAST)
    with pytest.raises(RoomError) as refused:
        await queue.upload_one("rec-1", "a.webm")
    assert refused.value.code == "storage_unavailable"
    assert await local.size("rec-1", "a.webm") == 10


async def test_metadata_failure_keeps_the_local_copy_and_retries(
        local: LocalFolderStorage, s3_storage: S3Storage) -> None:
    await local.put_bytes("rec-1", "a.webm", b"abc")
    calls = 0

    async def flaky(recording_id: str, name: str, size: int) -> None:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise RoomError("unavailable")  # the metadata store is away

    queue = UploadQueue(local, s3_storage, flaky, FAST)
    task = asyncio.create_task(queue.run())
    try:
        queue.submit("rec-1", "a.webm")
        await eventually(lambda: queue.failures >= 1)
        async with asyncio.timeout(WAIT_S):
            await queue.idle()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert calls == 3 and queue.failures == 2 and queue.uploaded == 1
    await expect_error("recording_file_not_found", local.size("rec-1", "a.webm"))
    assert await read_all(s3_storage, "rec-1", "a.webm") == b"abc"


async def test_resume_after_restart_and_layered_reads(local: LocalFolderStorage,
                                                      s3_storage: S3Storage) -> None:
    await local.put_bytes("rec-1", "a.webm", b"aaa")
    await local.put_bytes("rec-2", "b.webm", b"bbbb")
    files = LayeredStorage(local, s3_storage)
    assert await read_all(files, "rec-2", "b.webm") == b"bbbb"  # only local yet
    queue = UploadQueue(local, s3_storage, backoff=FAST)
    assert await queue.resume() == 2
    queue.submit("rec-1", "a.webm")  # already queued: not twice
    assert queue.pending == 2
    task = asyncio.create_task(queue.run())
    try:
        async with asyncio.timeout(WAIT_S):
            await queue.idle()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert queue.uploaded == 2
    assert await local.files("rec-1") == [] and await local.files("rec-2") == []
    assert await read_all(files, "rec-2", "b.webm") == b"bbbb"  # now from S3
    assert await files.delete_recording("rec-2") == 1
    await expect_error("recording_file_not_found", files.size("rec-2", "b.webm"))


async def test_unreachable_store_is_storage_unavailable() -> None:
    remote = s3_at(S3Server().url, f"b-{uuid.uuid4().hex[:8]}")
    await expect_error("storage_unavailable", remote.size("rec-1", "a.webm"))
    await expect_error("storage_unavailable", remote.put_bytes("rec-1", "a.webm", b"x"))
    await remote.close()


async def test_missing_bucket_is_storage_unavailable(s3_server: S3Server,
                                                     tmp_path: Path) -> None:
    remote = s3_at(s3_server.url, f"b-{uuid.uuid4().hex[:8]}")
    await expect_error("storage_unavailable", remote.put_bytes("rec-1", "a.webm", b"x"))
    source = tmp_path / "a.webm"
    source.write_bytes(b"x")
    # upload_file wraps the store's refusal in its own exception type
    await expect_error("storage_unavailable", remote.put("rec-1", "a.webm", source))
    await remote.ensure_bucket()
    assert await remote.put_bytes("rec-1", "a.webm", b"x") == 1
    await remote.close()


class BuggyStore(LocalFolderStorage):
    """A remote whose first put fails with an unexpected exception."""

    broke = False

    async def put(self, recording_id: str, name: str, source: Path) -> int:
        if not self.broke:
            self.broke = True
            raise KeyError("unexpected")
        return await super().put(recording_id, name, source)


async def test_an_unexpected_error_does_not_stop_the_worker(local: LocalFolderStorage,
                                                           tmp_path: Path) -> None:
    await local.put_bytes("rec-1", "a.webm", b"abc")
    queue = UploadQueue(local, BuggyStore(tmp_path / "remote"), backoff=FAST)
    task = asyncio.create_task(queue.run())
    try:
        queue.submit("rec-1", "a.webm")
        async with asyncio.timeout(WAIT_S):
            await queue.idle()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert queue.failures == 1 and queue.uploaded == 1


async def test_a_held_recording_keeps_its_local_copies_until_released(
        local: LocalFolderStorage, s3_storage: S3Storage) -> None:
    await local.put_bytes("rec-1", "a.webm", b"aaa")
    await local.put_bytes("rec-1", "a.json", b"{}")
    await local.put_bytes("rec-2", "b.webm", b"bb")
    queue = UploadQueue(local, s3_storage, backoff=FAST)
    task = asyncio.create_task(queue.run())
    try:
        async with queue.holding("rec-1"):  # e.g. the composition reads the folder
            for recording_id, name in (("rec-1", "a.webm"), ("rec-1", "a.json"),
                                       ("rec-2", "b.webm")):
                queue.submit(recording_id, name)
            async with asyncio.timeout(WAIT_S):
                await queue.idle()
            assert queue.uploaded == 3
            assert [f.name for f in await local.files("rec-1")] == ["a.json", "a.webm"]
            assert not local.folder("rec-2").exists()  # not held: emptied and removed
        assert not local.folder("rec-1").exists()  # released: deleted, folder removed
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert await read_all(s3_storage, "rec-1", "a.json") == b"{}"
