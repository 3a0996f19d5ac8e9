"""Finished recording files to the remote storage (S3), retried until confirmed.

The local copy is the queue's saved state: a file is deleted from the local folder only
after the remote store reports it with the same size *and* the ``on_uploaded`` callback
(which marks it uploaded in the recording's metadata) returned. Until then every failure
(store down, timeout, a short object, metadata store away) is retried with exponential
backoff, and after a restart :meth:`UploadQueue.resume` queues again whatever files are
still in the folder. An upload is idempotent (the object is replaced whole), so a file
uploaded twice across a crash does no harm.

One worker uploads one file at a time, in submission order: the files are large and
the remote store is one bottleneck, so parallel uploads would only share it.

A reader of the local folder (the composition job) may :meth:`UploadQueue.holding` a
recording: while held, confirmed files keep their local copies, which are deleted when
the last hold ends. When a recording's folder is left empty it is removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from rooms.errors import RoomError
from rooms.recordings.local_storage import LocalFolderStorage
from rooms.recordings.storage import RecordingStorage

logger = logging.getLogger(__name__)

Uploaded = Callable[[str, str, int], Awaitable[None]]  # recording id, name, size


@dataclass(frozen=True)
class Backoff:
    """Delays between tries: ``first_s`` doubling up to ``cap_s``, +-``jitter`` of it."""

    first_s: float = 1.0
    cap_s: float = 60.0
    jitter: float = 0.2

    def delay(self, failures: int) -> float:
        base = min(self.cap_s, self.first_s * 2 ** max(0, failures - 1))
        return base * random.uniform(1 - self.jitter, 1 + self.jitter)


class UploadQueue:
    """Uploads files of ``local`` to ``remote``; run :meth:`run` as a background task."""

    def __init__(self, local: LocalFolderStorage, remote: RecordingStorage,
                 on_uploaded: Uploaded | None = None, backoff: Backoff | None = None,
                 keep_local: bool = False) -> None:
        self._local = local
        self._remote = remote
        self._on_uploaded = on_uploaded
        self._backoff = backoff or Backoff()
        self._keep_local = keep_local
        self._queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._pending: set[tuple[str, str]] = set()
        self.failures = 0  # tries that failed, over the queue's life
        self.uploaded = 0
        self._holds: dict[str, int] = {}  # recording id: readers of its local folder
        self._kept: dict[str, set[str]] = {}  # confirmed files kept for those readers
        self._removing = asyncio.Lock()  # a local deletion and a new hold exclude each other

    @property
    def pending(self) -> int:
        """Files submitted and not yet confirmed."""
        return len(self._pending)

    def submit(self, recording_id: str, name: str) -> None:
        """Queue a finished local file (a file already queued is not queued twice)."""
        job = (recording_id, name)
        if job not in self._pending:
            self._pending.add(job)
            self._queue.put_nowait(job)

    async def resume(self) -> int:
        """Queue every file still in the local folder (after a restart); how many."""
        count = 0
        for folder in await asyncio.to_thread(self._folders):
            for stored in await self._local.files(folder):
                self.submit(folder, stored.name)
                count += 1
        return count

    def _folders(self) -> list[str]:
        root = self._local.root
        return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []

    @contextlib.asynccontextmanager
    async def holding(self, recording_id: str) -> AsyncIterator[None]:
        """Keep the local copies of ``recording_id``'s files while in this block (a
        deletion under way finishes first); the ones confirmed meanwhile are deleted at
        its end."""
        async with self._removing:
            self._holds[recording_id] = self._holds.get(recording_id, 0) + 1
        try:
            yield
        finally:
            self._holds[recording_id] -= 1
            if not self._holds[recording_id]:
                del self._holds[recording_id]
                for name in sorted(self._kept.pop(recording_id, set())):
                    try:
                        await self._remove_local(recording_id, name)
                    except RoomError as exc:  # uploaded: resume() finishes it at start-up
                        logger.warning("%s/%s stays in the folder: %s", recording_id, name,
                                       exc)

    async def _remove_local(self, recording_id: str, name: str) -> None:
        """Delete a confirmed file's local copy (or keep it for a hold), and the
        recording's folder once it is empty."""
        async with self._removing:
            if recording_id in self._holds:
                self._kept.setdefault(recording_id, set()).add(name)
                return
            await self._local.delete(recording_id, name)
            await self._local.remove_if_empty(recording_id)

    async def idle(self) -> None:
        """Wait until every submitted file is confirmed."""
        await self._queue.join()

    async def run(self) -> None:
        """Upload forever (cancel to stop; the current file is tried again on resume)."""
        while True:
            recording_id, name = await self._queue.get()
            try:
                await self._until_confirmed(recording_id, name)
            finally:
                self._pending.discard((recording_id, name))
                self._queue.task_done()

    async def _until_confirmed(self, recording_id: str, name: str) -> None:
        failures = 0
        while True:
            try:
                await self.upload_one(recording_id, name)
                return
            except Exception as exc:  # the worker never dies: anything is tried again
                if isinstance(exc, RoomError) and exc.code == "recording_file_not_found":
                    logger.warning("upload of %s/%s: the local file is gone", recording_id, name)
                    return
                failures += 1
                self.failures += 1
                delay = self._backoff.delay(failures)
                logger.warning("upload of %s/%s failed (%s); try %d again in %.1f s",
                               recording_id, name, exc, failures + 1, delay)
                await asyncio.sleep(delay)

    async def upload_one(self, recording_id: str, name: str) -> None:
        """One try: upload, confirm the size, record it, then (only then) delete locally."""
        size = await self._local.size(recording_id, name)
        remote_size = await self._remote.put(recording_id, name,
                                             self._local.path(recording_id, name))
        if remote_size != size:
            raise RoomError("storage_unavailable", f"The object store holds {remote_size} "
                            f"bytes of {recording_id}/{name}, not {size}.")
        if self._on_uploaded is not None:
            await self._on_uploaded(recording_id, name, size)
        self.uploaded += 1
        if not self._keep_local:
            await self._remove_local(recording_id, name)
