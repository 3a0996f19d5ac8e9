"""TrackRecording: one published track, as a sink of its fan-out, into WebM segments.

Runs on the event loop: packets are collected as they come (a list append) and every
BATCH_S reordered, assembled into frames and put into clusters in memory in one go
(no decoding; in a batch the code stays in cache, a few microseconds per packet, where
the same work per packet between the forwarding's would cost several times more; a
batch of one stream's in-order packets takes the depacketiser's short path). The
batches of a recorder's tracks run together, from a packet's arrival rather than a
timer of their own, and end with one hand-over to the recorder's disk thread, which
writes the clusters and the sidecars (media/recording/batches.py, disk.py).
A crash loses at most a batch, the open cluster and a reorder wait: about 0.65 s.
One segment (one file and its sidecar) per RTP stream: a new SSRC (the publisher
re-published) ends the segment and starts the next. Video starts at a keyframe,
requested at once and again after any loss (paced by the SFU with the subscribers').
"""

from __future__ import annotations

import asyncio
import dataclasses
import errno
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aiortc.rtp import RtpPacket

from media.recording.batches import Batches
from media.recording.clock import PeerClock, TrackClock
from media.recording.depacketizer import Depacketizer, Frame
from media.recording.disk import DiskFile, DiskThread
from media.recording.finalize import finalize_track
from media.recording.sidecar import DISK_FULL, FAILED, RECORDING, TrackInfo, write_info
from media.recording.writer import CLOCK_RATES, CODECS, WebmTrackWriter

logger = logging.getLogger(__name__)

# (peer id, kind, the error) when writing a track stopped (disk full above all)
WriteFailed = Callable[[str, str, OSError], None]


@dataclass
class Segment:
    """One RTP stream of the track: one file."""

    ssrc: int
    path: Path
    number: int
    depacketizer: Depacketizer
    clock: TrackClock
    file: DiskFile
    writer: WebmTrackWriter
    described: bool = False  # the sidecar was written once frames came
    placed: bool = False  # ... and again once a sender report placed it


class TrackRecording:
    """Records one track of one peer (see the module docstring); a fan-out's PacketSink.

    ``next_path`` gives ``(path, number)`` of the next segment's file; ``finalizing``
    receives the future of each ended segment's finalisation; ``batches`` are the
    recorder's (shared by its tracks; by default the track's own).
    """

    def __init__(
        self,
        peer_id: str,
        kind: str,
        disk: DiskThread,
        peer_clock: PeerClock,
        next_path: Callable[[], tuple[Path, int] | None],
        finalizing: Callable[[asyncio.Future[None]], None],
        on_failed: WriteFailed | None = None,
        batches: Batches | None = None,
        on_limit: Callable[[str, str], None] | None = None,
    ) -> None:
        self.peer_id = peer_id
        self.kind = kind
        self.request_keyframe: Callable[[], None] = lambda: None
        self.failed: OSError | None = None
        self.ended = False
        self._disk = disk
        self._peer_clock = peer_clock
        self._next_path = next_path
        self._finalizing = finalizing
        self._on_failed = on_failed
        self._on_limit = on_limit
        self._loop = asyncio.get_running_loop()
        self._segment: Segment | None = None
        self._timer: asyncio.TimerHandle | None = None  # the reorder wait
        self._inbox: list[tuple[RtpPacket, float]] = []
        self._batches = Batches(disk.flush) if batches is None else batches
        self._batches.join(self._process)
        self._stopped = False

    # -- PacketSink ------------------------------------------------------------------------

    def packet(self, packet: RtpPacket, keyframe_start: bool, now: float) -> None:
        if self._stopped:
            return
        self._inbox.append((packet, now))
        self._batches.collected(now)

    def sender_report(self, ssrc: int, rtp_timestamp: int, ntp: int, now: float) -> None:
        self._process()
        segment = self._segment
        if segment is None or ssrc != segment.ssrc or self._stopped:
            return
        segment.clock.sender_report(rtp_timestamp, ntp, now)
        if segment.described and not segment.placed and segment.clock.first_report:
            segment.placed = True
            self._describe(segment)

    def source_ended(self) -> None:
        self._process()
        self._end_segment()
        self._batches.leave(self._process)
        self.ended = True  # the track is gone from the SFU: a rejoin needs a new recording

    # -- control ---------------------------------------------------------------------------

    def stop(self) -> None:
        """End the current segment (finalised in the background); nothing more is written."""
        self._process()
        self._end_segment()
        self._stopped = True
        self._batches.leave(self._process)

    # -- internals -------------------------------------------------------------------------

    def _process(self) -> None:
        """The packets collected since the last batch, in arrival order (what it
        writes goes to the disk thread at the batch's end, media/recording/batches.py)."""
        inbox, self._inbox = self._inbox, []
        if not inbox or self._stopped:
            return
        segment = self._segment
        ssrc = None if segment is None else segment.ssrc
        if all(packet.ssrc == ssrc for packet, _ in inbox):
            # nearly always: one stream, no re-publish within the batch
            assert segment is not None
            depacketizer = segment.depacketizer
            frames = depacketizer.push_all(inbox)
        else:
            segment, frames = self._process_by_stream(inbox)
            if self._stopped or segment is None:  # writing failed (on a full disk) or
                return  # the file limit was reached meanwhile
            depacketizer = segment.depacketizer
        if frames:
            self._write(segment, frames)
        if self._stopped:
            return
        if depacketizer.needs_keyframe:
            self.request_keyframe()
        deadline = depacketizer.buffer.deadline
        if self._timer is None and deadline is not None:
            self._arm(deadline - inbox[-1][1])

    def _process_by_stream(
        self, inbox: list[tuple[RtpPacket, float]]
    ) -> tuple[Segment | None, list[Frame]]:
        """Packets of more than one SSRC (a re-publish): a segment per stream. Returns
        the last segment and its frames, not yet written (None: the recorder's limit
        of files was reached, and this track stopped)."""
        segment = self._segment
        frames: list[Frame] = []
        start = 0
        for index, (packet, _) in enumerate(inbox):
            if segment is not None and packet.ssrc == segment.ssrc:
                continue
            if segment is not None:
                frames += segment.depacketizer.push_all(inbox[start:index])
                if frames:
                    self._write(segment, frames)
                    frames = []
                if self._stopped:
                    return segment, []
                self._end_segment()
            segment = self._start_segment(packet.ssrc)
            if segment is None:  # no file may be started any more: stopped
                return None, []
            start = index
        assert segment is not None
        return segment, frames + segment.depacketizer.push_all(inbox[start:])

    def _start_segment(self, ssrc: int) -> Segment | None:
        """The new segment's file; None (and the track stops for good, the caller is
        told through ``on_limit``) when no more files may be started."""
        chosen = self._next_path()
        if chosen is None:
            self.stop()
            if self._on_limit is not None:
                self._on_limit(self.peer_id, self.kind)
            return None
        path, number = chosen
        disk, loop = self._disk, self._loop
        file = DiskFile(path)
        segment = Segment(
            ssrc,
            path,
            number,
            Depacketizer(self.kind),
            TrackClock(CLOCK_RATES[self.kind], self._peer_clock),
            file,
            WebmTrackWriter(
                self.kind, lambda data: disk.write(file, data)
            ),
        )

        def failed(error: OSError) -> None:  # on the disk thread
            loop.call_soon_threadsafe(self._write_failed, segment, error)

        file.on_error = failed
        self._segment = segment
        return segment

    def _write(self, segment: Segment, frames: list[Frame]) -> None:
        clock = segment.clock
        writer = segment.writer
        first, last = frames[0], frames[-1]
        clock.frame(first.timestamp, first.arrival)  # (the clock keeps the first and the
        if last is not first:  # latest frame)
            clock.frame(last.timestamp, last.arrival)
        for frame in frames:
            if not writer.write(frame):
                error = writer.error
                assert error is not None
                self._write_failed(segment, error)
                return
        if not segment.described:
            segment.described = True
            segment.placed = clock.first_report is not None
            self._describe(segment)

    def _describe(self, segment: Segment, final: bool = False) -> None:
        """Write the segment's sidecar (on the disk thread, after the frames queued)."""
        clock = segment.clock
        writer = segment.writer
        if final:
            writer.close()  # the trailer goes to the file before it is closed
            self._disk.submit(segment.file.close)
        start, source = clock.start()
        first = clock.first_report
        error = writer.error
        info = TrackInfo(
            peer_id=self.peer_id,
            kind=self.kind,
            codec=CODECS[self.kind],
            file=segment.path.name,
            segment=segment.number,
            ssrc=segment.ssrc,
            clock_rate=clock.clock_rate,
            first_rtp_timestamp=None if clock.origin is None else clock.origin & 0xFFFFFFFF,
            first_packet_time=clock.first_arrival,
            start_time=start,
            start_time_source=source,
            sender_start_time=clock.sender_start(),
            clock_offset=self._peer_clock.offset if first is not None else None,
            sender_report=None
            if first is None or clock.origin is None
            else {
                "rtp_timestamp": first.rtp_timestamp - clock.origin,
                "sender_time": first.sender_time,
                "received_at": first.received_at,
            },
            width=writer.width,
            height=writer.height,
            frames=writer.frames,
            packets_lost=segment.depacketizer.buffer.lost,
            frames_dropped=segment.depacketizer.frames_dropped,
            state=RECORDING if error is None else _error_state(error),
            error=None if error is None else str(error),
        )
        self._disk.submit(functools.partial(self._write_info, segment, info))

    def _write_info(self, segment: Segment, info: TrackInfo) -> None:
        """On the disk thread, after the file's chunks queued before."""
        file = segment.file
        if not file.created:
            return  # nothing was written (no keyframe came): no file, no sidecar
        if file.error is not None:  # the disk knows first
            info = dataclasses.replace(info, state=_error_state(file.error), error=str(file.error))
        try:
            write_info(segment.path, info)
        except OSError as exc:
            logger.warning("writing the sidecar of %s failed: %s", segment.path, exc)

    def _end_segment(self) -> None:
        segment, self._segment = self._segment, None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if segment is None:
            return
        frames = segment.depacketizer.flush()
        if frames:
            self._write(segment, frames)
        self._describe(segment, final=True)
        done: asyncio.Future[None] = self._loop.create_future()
        self._disk.submit(functools.partial(self._finalize, segment, done))
        self._finalizing(done)

    def _finalize(self, segment: Segment, done: asyncio.Future[None]) -> None:
        """On the disk thread, after the close: remux (duration, cues) if anything was
        written. Remuxing is the one long job, so it has a thread of its own. Not on a
        full disk: the file stays as written (it plays) and its sidecar unfinalised."""

        if self._disk.full:  # no room for the remux's copy: the next start-up's recover()
            self._loop.call_soon_threadsafe(_resolve, done)  # finalises it
            return

        def run() -> None:
            try:
                if segment.path.exists():
                    finalize_track(segment.path)
            finally:
                self._loop.call_soon_threadsafe(_resolve, done)

        asyncio.run_coroutine_threadsafe(_in_executor(run), self._loop)

    def _write_failed(self, segment: Segment, error: OSError) -> None:
        """Writing ``segment`` failed (on the loop): stop this track for good."""
        segment.writer.fail(error)
        if self.failed is not None:
            return
        self.failed = error
        self.stop()
        if self._on_failed is not None:
            self._on_failed(self.peer_id, self.kind, error)

    def _arm(self, delay: float) -> None:
        self._timer = self._loop.call_later(max(delay, 0.0), self._release)

    def _release(self) -> None:
        self._timer = None
        self._process()
        segment = self._segment
        if segment is None or self._stopped:
            return
        depacketizer = segment.depacketizer
        now = time.time()
        frames = depacketizer.release(now)
        if frames:
            self._write(segment, frames)
            self._disk.flush()  # no batch may follow soon: the packets stopped
        if depacketizer.needs_keyframe:
            self.request_keyframe()
        deadline = depacketizer.buffer.deadline
        if self._timer is None and deadline is not None:  # (processing may have armed it)
            self._arm(deadline - now)


def _error_state(error: OSError) -> str:
    return DISK_FULL if error.errno == errno.ENOSPC else FAILED


def _resolve(done: asyncio.Future[None]) -> None:
    if not done.done():
        done.set_result(None)


async def _in_executor(job: Callable[[], None]) -> None:
    await asyncio.get_running_loop().run_in_executor(None, job)
