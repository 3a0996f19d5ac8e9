"""WebM track files written from encoded frames with PyAV, off the event loop.

:class:`WebmTrackWriter` muxes one track's frames as they are into a WebM file: no
encoder and no decoder is ever opened. The VP8 stream is created by codec name with the
picture size of the first keyframe; the Opus stream carries an OpusHead (its codec
context is only a holder for the parameters, never opened). Packet timestamps are the
frames' unwrapped RTP timestamps minus the first one, in 1/clock-rate units.

Crash safety: Matroska keeps the open cluster in memory, so clusters are closed every
CLUSTER_MS and ``flush_packets`` writes each one out at once: a SIGKILL loses at most
about CLUSTER_MS of media plus what is still queued. Such a file decodes but lacks
duration and cues until finalised (media/recording/finalize.py).

Every file operation runs on a :class:`DiskThread`; a failure (ENOSPC above all) stops
that writer only: it closes what it can and keeps the file as written.
"""

from __future__ import annotations

import fractions
import io
import logging
import queue
import struct
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import av

from media.recording.depacketizer import Frame

logger = logging.getLogger(__name__)

CLUSTER_MS = 200
CONTAINER_OPTIONS = {"flush_packets": "1", "cluster_time_limit": str(CLUSTER_MS)}
CLOCK_RATES = {"audio": 48000, "video": 90000}
CODECS = {"audio": "opus", "video": "VP8"}
OPUS_CHANNELS = 2  # WebRTC's Opus is always signalled as 2 channels
OPUS_PRE_SKIP = 312


def opus_head(channels: int = OPUS_CHANNELS) -> bytes:
    """The OpusHead identification header (RFC 7845 5.1), mapping family 0."""
    return b"OpusHead" + struct.pack("<BBHIhB", 1, channels, OPUS_PRE_SKIP, 48000, 0, 0)


def opus_duration(packet: bytes) -> int | None:
    """Samples at 48 kHz in an Opus packet, from its TOC byte (RFC 6716 3.1)."""
    if not packet:
        return None
    toc = packet[0]
    config = toc >> 3
    if config < 12:
        size = (480, 960, 1920, 2880)[config & 3]
    elif config < 16:
        size = (480, 960)[config & 1]
    else:
        size = (120, 240, 480, 960)[config & 3]
    count = toc & 3
    if count == 0:
        frames = 1
    elif count < 3:
        frames = 2
    elif len(packet) < 2:
        return None
    else:
        frames = packet[1] & 0x3F
    return size * frames


class DiskThread:
    """One thread doing a recorder's file work in order; the event loop never waits on disk."""

    def __init__(self, name: str = "recording-disk") -> None:
        self._queue: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[], None]) -> None:
        self._queue.put(job)

    def stop(self, timeout: float | None = None) -> None:
        """Finish the queued work, then end the thread."""
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


class WebmTrackWriter:
    """One track's frames into one WebM file (call every method on the disk thread).

    ``opener`` (tests) opens the file object to write to; by default FFmpeg opens the
    path itself. After a failure :attr:`error` holds it and writes are ignored.
    """

    def __init__(
        self, path: Path, kind: str, opener: Callable[[Path], BinaryIO] | None = None
    ) -> None:
        self.path = path
        self.kind = kind
        self.clock_rate = CLOCK_RATES[kind]
        self.error: OSError | None = None
        self.frames = 0
        self.width: int | None = None
        self.height: int | None = None
        self._opener = opener
        self._container: Any = None
        self._stream: Any = None
        self._file: BinaryIO | None = None
        self._origin: int | None = None
        self._last_pts = -1
        self._time_base = fractions.Fraction(1, self.clock_rate)

    @property
    def started(self) -> bool:
        return self._container is not None

    def write(self, frame: Frame) -> bool:
        """Mux one frame; False once the writer failed (see :attr:`error`)."""
        if self.error is not None:
            return False
        try:
            if self._container is None:
                if self.kind == "video" and not frame.keyframe:
                    return True  # a file starts at a keyframe (the depacketiser sees to it)
                self._open(frame)
            assert self._origin is not None
            pts = frame.timestamp - self._origin
            if pts <= self._last_pts:
                return True
            packet = av.Packet(frame.data)
            packet.stream = self._stream
            packet.time_base = self._time_base
            packet.pts = packet.dts = pts
            if self.kind == "audio":
                packet.duration = opus_duration(frame.data) or 960
            packet.is_keyframe = frame.keyframe
            self._container.mux(packet)
            self._last_pts = pts
            self.frames += 1
            return True
        except (OSError, av.FFmpegError) as exc:
            self._fail(exc)
            return False

    def close(self) -> None:
        """Write the trailer and close (a failed writer just lets the file go)."""
        container, self._container = self._container, None
        if container is not None:
            try:
                container.close()
            except (OSError, av.FFmpegError) as exc:
                if self.error is None:
                    self._fail(exc)
        if self._file is not None:
            try:
                self._file.close()
            except OSError:
                pass
            self._file = None

    def _open(self, frame: Frame) -> None:
        if self._opener is not None:
            self._file = self._opener(self.path)
            target: Any = self._file
        else:
            target = str(self.path)
        container = av.open(target, "w", format="webm", container_options=CONTAINER_OPTIONS)
        try:
            if self.kind == "video":
                self.width, self.height = frame.width, frame.height
                stream = container.add_mux_stream("vp8", width=frame.width, height=frame.height)
            else:
                stream = _opus_stream(container)
            stream.time_base = self._time_base
        except BaseException:
            container.close()
            raise
        self._container, self._stream = container, stream
        self._origin = frame.timestamp

    def _fail(self, exc: BaseException) -> None:
        self.error = exc if isinstance(exc, OSError) else OSError(str(exc))
        logger.warning("recording to %s stopped: %s", self.path, exc)
        container, self._container = self._container, None
        if container is not None:
            try:
                container.close()  # the trailer may not fit: the clusters written stay
            except Exception:
                pass
        if self._file is not None:
            try:
                self._file.close()
            except Exception:
                pass
            self._file = None


def _opus_stream(container: Any) -> Any:
    """An Opus stream with an OpusHead, its codec context never opened.

    PyAV's codec-less streams cannot carry extradata, and a stream with a codec
    context would open an encoder when the header is written, unless it was made from a
    template: so the parameters are staged on a template stream of a scratch container
    that is never written.
    """
    scratch = av.open(io.BytesIO(), "w", format="webm")
    try:
        template = scratch.add_stream("opus", rate=48000)
        stream = container.add_stream_from_template(template)
    finally:
        scratch.close()
    stream.codec_context.extradata = opus_head()
    return stream
