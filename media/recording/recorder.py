"""Recorder: published tracks of an Sfu into per-track WebM files, never decoded.

The recorder is one more consumer of the SFU's fan-out (``Sfu.add_track_sink``): it
gets each recorded track's RTP packets as the publisher sent them, and its RTCP sender
reports, with no SRTP, ICE or rewriting. Signaling decides what is recorded (start,
stop, consent) and calls :meth:`Recorder.start` / :meth:`Recorder.stop` per peer.

Files, in ``folder``: ``<peer>.<kind>.<NNN>.webm`` with ``<peer>.<kind>.<NNN>.json``
beside it (media/recording/sidecar.py), ``<peer>`` the peer id percent-encoded (or the
``label`` given for it) and
``NNN`` the segment number (1, 2, ... per peer and kind, continuing after what the
folder holds).

The timeline rule (every track on one clock, pauses kept):

* Within a segment, a frame's timestamp is its RTP timestamp minus the segment's
  first: a pause in which the publisher sends nothing (host mute, camera off, a
  network stall) is a gap in the file's timestamps, not a jump cut, because RTP
  timestamps keep counting in real time.
* A new segment starts when the track's SSRC changes (a re-publish: a reconnect, or
  leaving and rejoining - call :meth:`start` again after the peer publishes anew), or
  when recording of the track stops and starts again (consent withdrawn, then given).
* Each segment's sidecar places its first frame on the common clock (the server's):
  through the publisher's RTCP sender reports, with one clock offset per publisher
  (media/recording/clock.py), or by the first packet's arrival before any report.
  A composition puts segment ``s`` at ``s.start_time`` (+ pts).

At most ``max_files`` segment files are started (the recording's metadata lists a
bounded number): a track that would start one more stops for good instead (what it
wrote stays), ``on_limit(peer_id, kind)`` is called, and :meth:`start` records nothing
new from then on.

Disk full (or any write error) stops that track's writer, keeps its file playable,
marks its sidecar and calls ``on_failed(peer_id, kind, error)``; the caller decides
whether to stop the rest. A full disk also stops every other track's media writes at
once and frees the recorder's reserve for the sidecars and the caller's consent log
(media/recording/disk.py); its files are left unfinalised (recover() does it later).
:meth:`close` finalises every file (duration, cues); after
a crash, :func:`~media.recording.finalize.recover` does it at the next start-up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import quote

from media.recording.batches import Batches
from media.recording.clock import PeerClock
from media.recording.disk import RESERVE_NAME, DiskThread
from media.recording.track import TrackRecording, WriteFailed
from media.sfu import Sfu

KINDS = ("audio", "video")
MAX_NAME = 120  # characters of a peer id kept in a file name


def file_stem(peer_id: str, kind: str, number: int) -> str:
    """``<peer>.<kind>.<NNN>`` (no path separator can appear: ``/`` is encoded)."""
    return f"{quote(peer_id, safe='')[:MAX_NAME]}.{kind}.{number:03d}"


class Recorder:
    """Records chosen peers' published tracks of ``sfu`` into ``folder``."""

    def __init__(self, sfu: Sfu, folder: Path, on_failed: WriteFailed | None = None,
                 label: Callable[[str], str] | None = None, max_files: int | None = None,
                 on_limit: Callable[[str, str], None] | None = None) -> None:
        self._sfu = sfu
        self._max_files = max_files  # segment files it may start (None: no bound)
        self._on_limit = on_limit
        self.full = False  # max_files were started: no new segment, no new track
        self._label = label  # peer id -> the ``<peer>`` of file names (default: encoded)
        self.folder = folder
        self._on_failed = on_failed
        self._disk: DiskThread | None = None
        self._batches: Batches | None = None  # of every track, with the disk thread
        self._tracks: dict[tuple[str, str], TrackRecording] = {}
        self._clocks: dict[str, PeerClock] = {}
        self._numbers: dict[tuple[str, str], int] = {}
        self._finalizing: set[asyncio.Future[None]] = set()
        self.paths: list[Path] = []  # every segment file started, in order

    def recording(self, peer_id: str) -> list[str]:
        """The kinds of ``peer_id``'s tracks being recorded."""
        return [k for (p, k), track in self._tracks.items() if p == peer_id and not track.ended]

    def start(self, peer_id: str, kinds: Iterable[str] = KINDS) -> list[str]:
        """Record ``peer_id``'s published tracks of ``kinds`` from now on (already
        recorded ones continue); returns the kinds being recorded now. A kind the peer
        does not publish is skipped: call again after it publishes (also after it left
        and joined again: its tracks ended with it)."""
        if self.full:
            return self.recording(peer_id)
        self.folder.mkdir(parents=True, exist_ok=True)
        if self._disk is None or self._batches is None:
            self._disk = DiskThread(reserve=self.folder / RESERVE_NAME)
            self._batches = Batches(self._disk.flush)
        for kind in kinds:
            key = (peer_id, kind)
            current = self._tracks.get(key)
            if current is not None and not current.ended:
                continue
            track = TrackRecording(
                peer_id,
                kind,
                self._disk,
                self._clocks.setdefault(peer_id, PeerClock()),
                lambda key=key: self._next_path(*key),  # type: ignore[misc]
                self._track_finalizing,
                self._failed,
                self._batches,
                self._limited,
            )
            request_keyframe = self._sfu.add_track_sink(peer_id, kind, track)
            if request_keyframe is None:
                track.stop()  # (leaves the batches)
                continue
            track.request_keyframe = request_keyframe
            self._tracks[key] = track
            if kind == "video":  # a file starts at a keyframe: ask now, not a batch later
                request_keyframe()
        return self.recording(peer_id)

    def stop(self, peer_id: str, kinds: Iterable[str] = KINDS) -> None:
        """Stop recording ``peer_id``'s tracks of ``kinds`` (at once: nothing more is
        written); their files are finalised in the background (see :meth:`drain`)."""
        for kind in kinds:
            track = self._drop(peer_id, kind)
            if track is not None:
                track.stop()

    async def drain(self) -> None:
        """Wait until every ended segment is finalised."""
        while self._finalizing:
            await asyncio.gather(*list(self._finalizing))

    async def close(self) -> list[Path]:
        """Stop everything, finalise every file; returns the files written."""
        for peer_id, kind in list(self._tracks):
            self.stop(peer_id, [kind])
        await self.drain()
        if self._batches is not None:
            self._batches.close()
            self._batches = None
        disk, self._disk = self._disk, None
        if disk is not None:
            await asyncio.get_running_loop().run_in_executor(None, disk.stop)
        await self.drain()
        return [path for path in self.paths if path.exists()]

    # -- internals -----------------------------------------------------------------------

    def _stem(self, peer_id: str, kind: str, number: int) -> str:
        if self._label is None:
            return file_stem(peer_id, kind, number)
        return file_stem(self._label(peer_id), kind, number)

    def _next_path(self, peer_id: str, kind: str) -> tuple[Path, int] | None:
        if self._max_files is not None and len(self.paths) >= self._max_files:
            self.full = True
            return None
        key = (peer_id, kind)
        number = self._numbers.get(key)
        if number is None:  # continue after what the folder holds
            prefix = self._stem(peer_id, kind, 0)[:-3]
            taken = [
                int(p.stem[len(prefix) :])
                for p in self.folder.glob(f"{prefix}*.webm")
                if p.stem[len(prefix) :].isdigit()
            ]
            number = max(taken, default=0)
        number += 1
        self._numbers[key] = number
        path = self.folder / f"{self._stem(peer_id, kind, number)}.webm"
        self.paths.append(path)
        return path, number

    def _track_finalizing(self, done: asyncio.Future[None]) -> None:
        self._finalizing.add(done)
        done.add_done_callback(self._finalizing.discard)

    def _drop(self, peer_id: str, kind: str) -> TrackRecording | None:
        """Forget ``peer_id``'s track of ``kind`` and take it off its publisher's fan-out
        (the track, if there was one)."""
        track = self._tracks.pop((peer_id, kind), None)
        if track is not None:
            self._sfu.remove_track_sink(peer_id, kind, track)
        return track

    def _limited(self, peer_id: str, kind: str) -> None:
        """A track could not start a file (``max_files`` reached): it stopped."""
        self._drop(peer_id, kind)
        if self._on_limit is not None:
            self._on_limit(peer_id, kind)

    def _failed(self, peer_id: str, kind: str, error: OSError) -> None:
        self._drop(peer_id, kind)
        if self._on_failed is not None:
            self._on_failed(peer_id, kind, error)
