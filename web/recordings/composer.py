"""The composition job runner: one composed file per finished recording, made by a
child process (``python -m media.composition``), one at a time.

The queue is the recordings store itself: a finished recording whose composition is
``pending`` (or ``running``, when the server died during it) is waiting for the worker.
:meth:`Composer.enqueue` (called when a recording stops or is recovered) puts one at
the front; the worker also scans the store at start-up and whenever it is idle for
``poll_s``, so nothing waits forever after a restart or a missed enqueue.

Several server processes may share the store: a runner takes a job only if it can reach
the track files (its folder or the object store) and only by claiming it atomically
(:meth:`RecordingService.claim_composition`): the claim is a lease of ``lease_s``,
renewed with the progress and every third of it. A job that was ``running`` when its
server died is restarted from the beginning once its lease has run out (the child stops
with its parent, and its output only appears complete under its final name); a runner
whose lease was taken over stops its child.

Progress: the child prints ``progress <percent>`` lines; the runner stores them via
:meth:`RecordingService.set_composition` (at most once per percent step), so ``GET
/api/recordings/{id}`` shows state and percent. Done: the file ``composed.webm`` is in
the recording's folder and listed as its ``composed`` file (and submitted to the upload
queue when there is one). Track files and sidecars the upload queue already moved to
the object store are copied back for the job and removed after it; while the job runs
it holds the recording's local copies (``hold``, the upload queue's
:meth:`~rooms.recordings.uploads.UploadQueue.holding`), so that none is deleted under
the child. A try that fails is retried after ``retry_delay_s`` up to ``max_attempts``
failures in all, then the composition is ``failed`` with the reason; nothing to compose
fails at once only for a recording that lists no track file (one that does may have its
files on the way: tried again). The per-track files are never changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import sys
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path

from rooms.errors import RoomError
from rooms.recordings.local_storage import LocalFolderStorage
from rooms.recordings.model import (
    CompositionState,
    FileKind,
    Recording,
    RecordingFile,
    RecordingFilter,
)
from rooms.recordings.service import RecordingService
from rooms.recordings.storage import RecordingStorage
from rooms.recordings.store import MAX_LIMIT

logger = logging.getLogger(__name__)

COMPOSED_NAME = "composed.webm"
NOTHING_TO_COMPOSE = 2  # the child's exit status when the folder has no usable track
WAITING = (CompositionState.PENDING, CompositionState.RUNNING)


@dataclass(frozen=True)
class ComposerOptions:
    width: int = 1280
    height: int = 720
    fps: int = 30
    nice: int = 10
    max_attempts: int = 3
    retry_delay_s: float = 10.0
    poll_s: float = 60.0
    lease_s: float = 30.0  # a running job's claim; renewed every third of it
    python: str = sys.executable


class Composer:
    """The queue and its single worker; run :meth:`run` as a background task."""

    def __init__(self, service: RecordingService, local: LocalFolderStorage,
                 options: ComposerOptions | None = None,
                 on_composed: Callable[[str, str], None] | None = None,
                 storage: RecordingStorage | None = None,
                 hold: Callable[[str], AbstractAsyncContextManager[None]] | None = None
                 ) -> None:
        self._service = service
        self._local = local
        self._storage = storage  # where uploaded track files are (local copy gone)
        self.options = options or ComposerOptions()
        self._on_composed = on_composed  # (recording id, file name): e.g. upload it
        self._hold = hold  # keeps a recording's local copies while a job reads them
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._queued: set[str] = set()
        self.child: asyncio.subprocess.Process | None = None  # the running job's process
        self.current: str | None = None
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.claimed = 0  # jobs this runner took
        self._percent = 0.0

    async def enqueue(self, recording_id: str) -> None:
        """Compose ``recording_id`` (a finished recording) soon. A composition already
        done is kept; a failed one starts again with a fresh count of attempts."""
        recording = await self._service.store.get(recording_id)
        if recording is None or recording.composition.state is CompositionState.DONE:
            return
        if recording.composition.state is CompositionState.FAILED:
            await self._service.set_composition(recording_id, CompositionState.PENDING, 0.0,
                                                attempts=0)
        self._put(recording_id)

    def _put(self, recording_id: str) -> None:
        if recording_id not in self._queued and recording_id != self.current:
            self._queued.add(recording_id)
            self._queue.put_nowait(recording_id)

    async def scan(self) -> int:
        """Queue every finished recording whose composition waits (oldest first)."""
        found = await self._service.store.find(RecordingFilter(), MAX_LIMIT)
        waiting = [r for r in reversed(found)
                   if r.is_finished and r.composition.state in WAITING]
        for recording in waiting:
            self._put(recording.recording_id)
        return len(waiting)

    async def run(self) -> None:
        """The worker: scan, then one job at a time until cancelled. A cancellation
        that something on the way dropped (3.11's wait_for, a store client) still ends
        it, at the next turn."""
        task = asyncio.current_task()
        while True:
            _stop_if_cancelled(task)
            try:
                await self.scan()
            except Exception:  # the store away: try again at the next scan
                logger.exception("composition scan failed")
            while True:
                _stop_if_cancelled(task)
                try:  # (not wait_for: on 3.11 it can drop a cancellation, see the test)
                    async with asyncio.timeout(self.options.poll_s):
                        recording_id = await self._queue.get()
                except TimeoutError:
                    break
                self._queued.discard(recording_id)
                self.current = recording_id
                try:
                    await self.run_job(recording_id)
                except RoomError as exc:  # deleted meanwhile, or the store away
                    logger.warning("composition of %s: %s", recording_id, exc)
                except Exception:  # never let one job stop the worker; the scan retries
                    logger.exception("composition of %s failed", recording_id)
                finally:
                    self.current = None

    async def run_job(self, recording_id: str) -> None:
        """One try at composing ``recording_id`` (and its retry or failure), if it waits
        and this runner can take it."""
        recording = await self._service.store.get(recording_id)
        if recording is None or not recording.is_finished:
            return
        if recording.composition.state not in WAITING:
            return
        if self._hold is None:
            await self._one_try(recording)
            return
        async with self._hold(recording_id):
            await self._one_try(recording)

    async def _one_try(self, recording: Recording) -> None:
        recording_id = recording.recording_id
        folder = self._local.folder(recording_id)
        if not await self._tracks_here(recording, folder):
            return  # its tracks are in another server process's folder: that one composes
        if not await self._service.claim_composition(recording_id, self.worker, time.time(),
                                                     self.options.lease_s):
            return  # another runner holds it
        self.claimed += 1
        await asyncio.to_thread(_remove_stale, folder)
        fetched = await self._fetch_tracks(recording_id, folder)
        try:
            status, reason = await self._compose(recording_id, folder)
        finally:
            for path in fetched:  # the storage has them; the folder keeps only its own
                path.unlink(missing_ok=True)
        output = folder / COMPOSED_NAME
        if status == 0 and await asyncio.to_thread(output.exists):
            size = (await asyncio.to_thread(output.stat)).st_size
            await self._service.put_file(recording_id, RecordingFile(
                name=COMPOSED_NAME, kind=FileKind.COMPOSED, size=size))
            await self._service.set_composition(recording_id, CompositionState.DONE, 100.0,
                                                worker=self.worker)
            if self._on_composed is not None:
                self._on_composed(recording_id, COMPOSED_NAME)
            return
        await self._failed(recording, status, reason or f"the composer exited with {status}")

    async def _tracks_here(self, recording: Recording, folder: Path) -> bool:
        """Whether this runner can reach the recording's track files (its folder, or the
        object store); a recording that lists no track file counts as here (it fails
        at once: nothing to compose)."""
        if track_files(await asyncio.to_thread(_names, folder)):
            return True
        if self._storage is not None and self._storage is not self._local:
            stored = await self._storage.files(recording.recording_id)
            if track_files({f.name for f in stored}):
                return True
        return not recording.lists_tracks

    async def _fetch_tracks(self, recording_id: str, folder: Path) -> list[Path]:
        """Copy into ``folder`` the track files and sidecars that were uploaded and left
        it (the upload queue removes confirmed local copies); the copies made."""
        if self._storage is None or self._storage is self._local:
            return []
        fetched = []
        stored_files = await self._storage.files(recording_id)
        wanted = track_files({stored.name for stored in stored_files})
        for stored in stored_files:
            target = folder / stored.name
            if stored.name not in wanted or await asyncio.to_thread(target.exists):
                continue
            temporary = folder / f"{stored.name}.part"  # never listed for upload
            await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
            with temporary.open("wb") as out:
                async for chunk in self._storage.read_range(recording_id, stored.name, 0,
                                                            stored.size):
                    await asyncio.to_thread(out.write, chunk)
            temporary.replace(target)
            fetched.append(target)
        return fetched

    async def _failed(self, recording: Recording, status: int, reason: str) -> None:
        recording_id = recording.recording_id
        attempts = recording.composition.attempts + 1
        logger.warning("composition of %s failed (try %d): %s", recording_id, attempts, reason)
        nothing = status == NOTHING_TO_COMPOSE and not recording.lists_tracks
        if nothing or attempts >= self.options.max_attempts:
            await self._service.set_composition(recording_id, CompositionState.FAILED, 0.0,
                                                attempts=attempts, error=reason,
                                                worker=self.worker)
            return
        await self._service.set_composition(recording_id, CompositionState.PENDING, 0.0,
                                            attempts=attempts, error=reason, worker=self.worker)
        asyncio.get_running_loop().call_later(self.options.retry_delay_s, self._put,
                                              recording_id)  # other jobs go on meanwhile

    async def _compose(self, recording_id: str, folder: Path) -> tuple[int, str]:
        """Run the child; store its progress; returns its exit status and last words."""
        options = self.options
        self.child = child = await asyncio.create_subprocess_exec(
            options.python, "-m", "media.composition", str(folder), str(folder / COMPOSED_NAME),
            "--width", str(options.width), "--height", str(options.height),
            "--fps", str(options.fps), "--nice", str(options.nice),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        errors = asyncio.create_task(self._last_line(child.stderr))
        self._percent = 0.0
        heartbeat = asyncio.create_task(self._heartbeat(recording_id, child))
        reason = ""
        try:
            assert child.stdout is not None
            async for raw in child.stdout:
                word, _, value = raw.decode(errors="replace").strip().partition(" ")
                if word == "progress":
                    percent = min(99.0, float(value))
                    if percent >= self._percent + 1.0:
                        self._percent = percent
                        await self._renew(recording_id, child)
                elif word == "failed":
                    reason = value
            status = await child.wait()
            last = await errors
        except BaseException:
            with contextlib.suppress(ProcessLookupError):
                child.kill()  # the server stops: the job restarts at the next start-up
            await child.wait()
            errors.cancel()
            raise
        finally:
            heartbeat.cancel()
            self.child = None
        return status, reason or last

    async def _renew(self, recording_id: str, child: asyncio.subprocess.Process) -> None:
        """Store the progress and extend the claim; stop the child if the claim was
        taken over (this runner was thought dead)."""
        try:
            stored = await self._service.set_composition(
                recording_id, CompositionState.RUNNING, self._percent, worker=self.worker,
                lease_until=time.time() + self.options.lease_s)
        except RoomError as exc:
            logger.warning("composition of %s: progress not stored: %s", recording_id, exc)
            return
        if stored.composition.worker != self.worker:
            logger.warning("composition of %s was taken over; stopping", recording_id)
            with contextlib.suppress(ProcessLookupError):
                child.kill()

    async def _heartbeat(self, recording_id: str, child: asyncio.subprocess.Process) -> None:
        while True:
            await asyncio.sleep(self.options.lease_s / 3)
            await self._renew(recording_id, child)

    @staticmethod
    async def _last_line(stream: asyncio.StreamReader | None) -> str:
        last = ""
        if stream is not None:
            async for raw in stream:
                line = raw.decode(errors="replace").strip()
                if line:
                    last = line
        return last


def track_files(names: set[str]) -> set[str]:
    """The Recorder's track files and sidecars among ``names`` (each ``.webm`` with its
    ``.json``)."""
    stems = {n[: -len(".webm")] for n in names if n.endswith(".webm")}
    stems &= {n[: -len(".json")] for n in names if n.endswith(".json")}
    return {f"{stem}{suffix}" for stem in stems for suffix in (".webm", ".json")}


def _names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def _remove_stale(folder: Path) -> None:
    for stale in folder.glob(f".{COMPOSED_NAME}.*.part"):  # left by a killed try
        stale.unlink(missing_ok=True)


def _stop_if_cancelled(task: asyncio.Task[object] | None) -> None:
    """Raise CancelledError if ``task`` was asked to stop, though none reached it."""
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
