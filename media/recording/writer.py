"""WebM track files from encoded frames: PyAV writes the header, clusters follow.

:class:`WebmTrackWriter` writes one track's frames as they are into a WebM file: no
encoder and no decoder is ever opened. PyAV (FFmpeg's Matroska muxer) writes the file's
header at the first frame: the VP8 stream is created by codec name with the picture
size of the first keyframe; the Opus stream carries an OpusHead (its codec context is
only a holder for the parameters, never opened). The frames then go into clusters of
SimpleBlocks built by media/recording/clusters.py, a microsecond a frame where a PyAV
mux call per frame cost most of what recording added to a live call's event loop.
Frame timestamps are the frames' unwrapped RTP timestamps minus the first one.

Crash safety: a cluster is handed over (to the disk thread, media/recording/disk.py)
whole as soon as it spans CLUSTER_MS: a SIGKILL loses at most about CLUSTER_MS of
media plus the reorder wait after a loss and a queued write. Such a file decodes but
lacks duration and cues until finalised (media/recording/finalize.py), which remuxes
it with PyAV.
"""

from __future__ import annotations

import fractions
import io
import struct
from collections.abc import Callable
from typing import Any

import av

from media.recording.clusters import CLUSTER_MS, ClusterBuilder
from media.recording.depacketizer import Frame

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


class SpoolFile(io.RawIOBase):
    """What FFmpeg writes the file into: each chunk goes to ``put`` (the disk thread).

    Not seekable, so the muxer never seeks back (no cues or duration in the header: the
    finalising remux adds them)."""

    def __init__(self, put: Callable[[bytes], None]) -> None:
        super().__init__()
        self._put = put

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._put(chunk)
        return len(chunk)


class WebmTrackWriter:
    """One track's frames into WebM bytes handed to ``put`` (on the event loop: a frame
    is a few bytes of block header, the header a PyAV call at the first frame; ``put``
    queues the disk write). After a failure (:meth:`fail`, or PyAV's own) :attr:`error`
    holds it and writes are ignored.
    """

    def __init__(self, kind: str, put: Callable[[bytes], None]) -> None:
        self.kind = kind
        self.clock_rate = CLOCK_RATES[kind]
        self.error: OSError | None = None
        self.frames = 0
        self.width: int | None = None
        self.height: int | None = None
        self._put = put
        self._clusters: ClusterBuilder | None = None
        self._origin: int | None = None
        self._last_pts = -1

    @property
    def started(self) -> bool:
        """True once the file was begun (its first frame came)."""
        return self._origin is not None

    def write(self, frame: Frame) -> bool:
        """Add one frame; False once the writer failed (see :attr:`error`)."""
        if self.error is not None:
            return False
        clusters = self._clusters
        if clusters is None:
            if self.kind == "video" and not frame.keyframe:
                return True  # a file starts at a keyframe (the depacketiser sees to it)
            try:
                clusters = self._open(frame)
            except (OSError, av.FFmpegError) as exc:
                self._fail(exc)
                return False
        assert self._origin is not None
        pts = frame.timestamp - self._origin
        if pts <= self._last_pts:
            return True
        clusters.add(pts, frame.data, frame.keyframe)
        self._last_pts = pts
        self.frames += 1
        return True

    def close(self) -> None:
        """Hand the last cluster over (a failed writer just lets the file go). No
        trailer: the finalising remux writes the duration and cues."""
        clusters, self._clusters = self._clusters, None
        if clusters is not None and self.error is None:
            clusters.flush()

    def fail(self, error: OSError) -> None:
        """Writing the file failed (the disk said so): stop."""
        if self.error is None:
            self._fail(error)

    def _open(self, frame: Frame) -> ClusterBuilder:
        """The file's header, written by FFmpeg's muxer (nothing more is asked of it)."""
        header: list[bytes] = []
        container = av.open(
            SpoolFile(header.append), "w", format="webm", container_options=CONTAINER_OPTIONS
        )
        try:
            if self.kind == "video":
                width, height = frame.width, frame.height
                stream = container.add_mux_stream("vp8", width=width, height=height)
            else:
                stream = _opus_stream(container)
            stream.time_base = fractions.Fraction(1, self.clock_rate)
            container.start_encoding()  # the header, flushed (flush_packets)
            written = len(header)
        finally:
            container.close()  # no packet was muxed: it adds nothing (dropped regardless)
        if self.kind == "video":
            self.width, self.height = width, height
        self._put(b"".join(header[:written]))
        self._origin = frame.timestamp
        self._clusters = ClusterBuilder(self.clock_rate, self._put)
        return self._clusters

    def _fail(self, exc: BaseException) -> None:
        self.error = exc if isinstance(exc, OSError) else OSError(str(exc))
        clusters, self._clusters = self._clusters, None
        if clusters is not None:
            clusters.discard()
        self._put = _discard  # nothing more reaches the file


def _discard(data: bytes) -> None:
    pass


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
