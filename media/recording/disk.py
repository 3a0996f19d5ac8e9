"""The disk side of recording: one thread does every file write; the event loop never does.

The muxer runs on the event loop into memory (media/recording/writer.py) and queues
each chunk - a Matroska cluster every ~200 ms, a few KB to tens of KB - for its
:class:`DiskFile` with :meth:`DiskThread.write`; :meth:`DiskThread.flush` hands every
chunk queued since to the thread as one job (the recorder's batches end with it,
media/recording/batches.py; :meth:`DiskThread.submit` does it first, so jobs and chunks
keep their order). So the thread wakes a few times a second per recorder, not per
chunk (each wake-up of a sleeping thread costs far more CPU than the write), and holds
the interpreter lock only briefly (``os.write`` releases it): the forwarding on the
event loop keeps its CPU.

A failed write (ENOSPC above all) stops that file for good: the chunk it was writing is
cut back out (so the file ends after its last whole cluster and plays as it is), later
chunks are dropped, and ``on_error`` is called once, on the disk thread.

A full disk: the thread keeps a *reserve* (RESERVE_BYTES allocated in a file of the
recording's folder from its start). The first ENOSPC of a media write frees it and
marks the thread ``full``: from then on every media chunk of every file is refused
(each file fails as disk full), so the freed room is left to what must still be
written - sidecars, and the recording's consent log - and to nothing else.
"""

from __future__ import annotations

import errno
import functools
import logging
import os
import queue
import threading
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)


# in a recording's folder while it is written; ".part": the recordings storage never
# lists, uploads or counts it (rooms.recordings.local_storage.TEMP_SUFFIX)
RESERVE_NAME = "reserve.space.part"
RESERVE_BYTES = 256 * 1024


class DiskThread:
    """One thread running a recorder's file jobs in submission order; with ``reserve``,
    a file of RESERVE_BYTES kept there until the disk fills up (see the module
    docstring). :meth:`write`, :meth:`flush` and :meth:`submit` are called from one
    thread (the event loop's); :meth:`stop` once that thread is done with it."""

    def __init__(self, name: str = "recording-disk", reserve: Path | None = None) -> None:
        self.full = False  # a media write met ENOSPC: media chunks are refused from then
        self._reserve = reserve
        self._pending: list[tuple[DiskFile, bytes]] = []  # written, not yet handed over
        self._queue: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()
        if reserve is not None:
            self.submit(self._make_reserve)

    def submit(self, job: Callable[[], None]) -> None:
        """Run ``job`` on the thread, after every chunk written before."""
        self.flush()
        self._queue.put(job)

    def write(self, file: DiskFile, data: bytes) -> None:
        """Queue a media chunk for ``file`` (refused once the disk is full); it goes to
        the thread at the next :meth:`flush` or :meth:`submit`."""
        self._pending.append((file, data))

    def flush(self) -> None:
        """Hand the chunks written since the last flush to the thread, as one job."""
        if self._pending:
            writes, self._pending = self._pending, []
            self._queue.put(functools.partial(self._write_all, writes))

    def stop(self, timeout: float | None = None) -> None:
        """Finish the queued jobs and chunks, free the reserve, then end the thread."""
        self.flush()
        self._queue.put(self._release_reserve)
        self._queue.put(None)
        self._thread.join(timeout)

    def _write_all(self, writes: list[tuple[DiskFile, bytes]]) -> None:
        for file, data in writes:
            self._write(file, data)

    def _write(self, file: DiskFile, data: bytes) -> None:
        if self.full:
            file.fail(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))
            return
        file.write(data)
        error = file.error
        if error is not None and error.errno == errno.ENOSPC:
            self.full = True
            self._release_reserve()

    def _make_reserve(self) -> None:
        path = self._reserve
        assert path is not None
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.posix_fallocate(fd, 0, RESERVE_BYTES)
            finally:
                os.close(fd)
        except OSError as exc:  # already full, or no fallocate: recording goes on without
            logger.warning("no disk reserve for %s: %s", path.parent, exc)
            path.unlink(missing_ok=True)

    def _release_reserve(self) -> None:
        if self._reserve is not None:
            try:
                self._reserve.unlink(missing_ok=True)
            except OSError as exc:
                logger.warning("removing %s failed: %s", self._reserve, exc)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                job()
            except Exception:
                logger.exception("recording disk job failed")


class DiskFile:
    """A file written only by the disk thread: created at the first chunk, appended to."""

    def __init__(self, path: Path, on_error: Callable[[OSError], None] | None = None) -> None:
        self.path = path
        self.error: OSError | None = None
        self.written = 0  # bytes
        self.on_error = on_error
        self._fd: int | None = None
        self._closed = False

    @property
    def created(self) -> bool:
        return self._fd is not None or self.written > 0

    def write(self, data: bytes) -> None:
        if self.error is not None or self._closed:
            return
        start = self.written
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            view = memoryview(data)
            while view:
                done = self._write_chunk(self._fd, view)
                self.written += done
                view = view[done:]
        except OSError as exc:
            self._cut_back(start)
            self._fail(exc)

    def fail(self, error: OSError) -> None:
        """Stop the file without writing (the disk is known to be full)."""
        if not self._closed:
            self._fail(error)

    def _cut_back(self, size: int) -> None:
        """Drop the part of a chunk that was written: the file ends after a whole one."""
        if self._fd is None or self.written == size:
            return
        try:
            os.ftruncate(self._fd, size)
            self.written = size
        except OSError as exc:
            logger.warning("cutting %s back to %d bytes failed: %s", self.path, size, exc)

    def close(self) -> None:
        self._closed = True
        fd, self._fd = self._fd, None
        if fd is not None:
            try:
                os.close(fd)
            except OSError as exc:
                self._fail(exc)

    def _write_chunk(self, fd: int, data: memoryview) -> int:
        return os.write(fd, data)

    def _fail(self, exc: OSError) -> None:
        if self.error is not None:
            return
        self.error = exc
        logger.warning("recording to %s stopped: %s", self.path, exc)
        if self.on_error is not None:
            self.on_error(exc)
