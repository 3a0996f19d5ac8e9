"""The disk side of recording: one thread does every file write; the event loop never does.

The muxer runs on the event loop into memory (media/recording/writer.py) and hands each
chunk FFmpeg writes - a Matroska cluster every ~200 ms, a few KB to tens of KB - to a
:class:`DiskFile` through :meth:`DiskThread.submit`. So the thread wakes a few times a
second per track and holds the interpreter lock only briefly (``os.write`` releases it):
the forwarding on the event loop keeps its CPU.

A failed write (ENOSPC above all) stops that file for good: later chunks are dropped,
what was written stays (a Matroska file cut after a cluster still plays), and
``on_error`` is called once, on the disk thread.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)


class DiskThread:
    """One thread running a recorder's file jobs in submission order."""

    def __init__(self, name: str = "recording-disk") -> None:
        self._queue: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[], None]) -> None:
        self._queue.put(job)

    def stop(self, timeout: float | None = None) -> None:
        """Finish the queued jobs, then end the thread."""
        self._queue.put(None)
        self._thread.join(timeout)

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
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            view = memoryview(data)
            while view:
                done = self._write_chunk(self._fd, view)
                self.written += done
                view = view[done:]
        except OSError as exc:
            self._fail(exc)

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
