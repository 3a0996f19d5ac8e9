"""The composition job runner: one composed file per finished recording, made by a
child process (``python -m media.composition``), one at a time.

The queue is the recordings store itself: a finished recording whose composition is
``pending`` (or ``running``, when the server died during it) is waiting for the worker.
:meth:`Composer.enqueue` (called when a recording stops or is recovered) puts one at
the front; the worker also scans the store at start-up and whenever it is idle for
``poll_s``, so nothing waits forever after a restart or a missed enqueue. A job that
was ``running`` when the server died is restarted from the beginning (the child stops
with its parent, and its output only appears complete under its final name).

Progress: the child prints ``progress <percent>`` lines; the runner stores them via
:meth:`RecordingService.set_composition` (at most once per percent step), so ``GET
/api/recordings/{id}`` shows state and percent. Done: the file ``composed.webm`` is in
the recording's folder and listed as its ``composed`` file (and submitted to the upload
queue when there is one). Track files the upload queue already moved to the object
store are copied back for the job and removed after it. A try that fails is retried
after ``retry_delay_s`` up to ``max_attempts`` failures in all, then the composition is
``failed`` with the reason; a folder with nothing to compose fails at once. The
per-track files are never changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Callable
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
    python: str = sys.executable


class Composer:
    """The queue and its single worker; run :meth:`run` as a background task."""

    def __init__(self, service: RecordingService, local: LocalFolderStorage,
                 options: ComposerOptions | None = None,
                 on_composed: Callable[[str, str], None] | None = None,
                 storage: RecordingStorage | None = None) -> None:
        self._service = service
        self._local = local
        self._storage = storage  # where uploaded track files are (local copy gone)
        self.options = options or ComposerOptions()
        self._on_composed = on_composed  # (recording id, file name): e.g. upload it
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._queued: set[str] = set()
        self.child: asyncio.subprocess.Process | None = None  # the running job's process
        self.current: str | None = None

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
                   if not r.is_active and r.composition.state in WAITING]
        for recording in waiting:
            self._put(recording.recording_id)
        return len(waiting)

    async def run(self) -> None:
        """The worker: scan, then one job at a time until cancelled."""
        while True:
            try:
                await self.scan()
            except RoomError as exc:  # the store away: try again later
                logger.warning("composition scan failed: %s", exc)
            while True:
                try:
                    recording_id = await asyncio.wait_for(self._queue.get(),
                                                          self.options.poll_s)
                except TimeoutError:
                    break
                self._queued.discard(recording_id)
                self.current = recording_id
                try:
                    await self.run_job(recording_id)
                except RoomError as exc:
                    logger.warning("composition of %s: %s", recording_id, exc)
                finally:
                    self.current = None

    async def run_job(self, recording_id: str) -> None:
        """One try at composing ``recording_id`` (and its retry or failure)."""
        recording = await self._service.store.get(recording_id)
        if recording is None or recording.is_active:
            return
        composition = recording.composition
        if composition.state not in WAITING:
            return
        folder = self._local.folder(recording_id)
        for stale in folder.glob(f".{COMPOSED_NAME}.*.part"):  # left by a killed try
            stale.unlink(missing_ok=True)
        await self._service.set_composition(recording_id, CompositionState.RUNNING, 0.0,
                                            error=composition.error)
        fetched = await self._fetch_tracks(recording_id, folder)
        try:
            status, reason = await self._compose(recording_id, folder)
        finally:
            for path in fetched:  # the storage has them; the folder keeps only its own
                path.unlink(missing_ok=True)
        if status == 0 and (folder / COMPOSED_NAME).exists():
            size = (folder / COMPOSED_NAME).stat().st_size
            await self._service.put_file(recording_id, RecordingFile(
                name=COMPOSED_NAME, kind=FileKind.COMPOSED, size=size))
            await self._service.set_composition(recording_id, CompositionState.DONE, 100.0)
            if self._on_composed is not None:
                self._on_composed(recording_id, COMPOSED_NAME)
            return
        await self._failed(recording, status, reason or f"the composer exited with {status}")

    async def _fetch_tracks(self, recording_id: str, folder: Path) -> list[Path]:
        """Copy into ``folder`` the track files and sidecars that were uploaded and left
        it (the upload queue removes confirmed local copies); the copies made."""
        if self._storage is None or self._storage is self._local:
            return []
        fetched = []
        stored_files = await self._storage.files(recording_id)
        names = {stored.name for stored in stored_files}
        for stored in stored_files:
            target = folder / stored.name
            stem, _, suffix = stored.name.rpartition(".")
            if (suffix not in ("webm", "json") or not {f"{stem}.webm", f"{stem}.json"} <= names
                    or target.exists()):
                continue  # only the Recorder's track files: each has its sidecar
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
        if status == NOTHING_TO_COMPOSE or attempts >= self.options.max_attempts:
            await self._service.set_composition(recording_id, CompositionState.FAILED, 0.0,
                                                attempts=attempts, error=reason)
            return
        await self._service.set_composition(recording_id, CompositionState.PENDING, 0.0,
                                            attempts=attempts, error=reason)
        await asyncio.sleep(self.options.retry_delay_s)
        self._put(recording_id)

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
        reason = ""
        try:
            assert child.stdout is not None
            stored = 0.0
            async for raw in child.stdout:
                word, _, value = raw.decode(errors="replace").strip().partition(" ")
                if word == "progress":
                    percent = min(99.0, float(value))
                    if percent >= stored + 1.0:
                        stored = percent
                        await self._service.set_composition(
                            recording_id, CompositionState.RUNNING, percent)
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
            self.child = None
        return status, reason or last

    @staticmethod
    async def _last_line(stream: asyncio.StreamReader | None) -> str:
        last = ""
        if stream is not None:
            async for raw in stream:
                line = raw.decode(errors="replace").strip()
                if line:
                    last = line
        return last
