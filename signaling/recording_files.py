"""Filing a finished recording: its track files and consent log registered with the
recording, handed to storage, composition requested; and start-up recovery.

The recorder writes into the local storage's folder of the recording
(``MENTORCALL_RECORDINGS_DIR/<recording id>/``), so the files are already where the
local storage serves them from. Filing then:

1. registers every track file (``<peer>.<kind>.<NNN>.webm``; its sidecar says whose
   and which kind) with its size, and writes ``consent.json`` (the consent log, as the
   recording holds it) beside them, registered as the ``consent`` file;
2. queues each file for upload when a remote store (S3) is configured (the upload queue
   keeps the local copy until the remote one is confirmed), each track's sidecar first:
   the sidecars are not listed files (nothing downloads them) but the composition needs
   them beside the tracks, wherever it runs;
3. requests the composition (``on_stopped(recording_id)``; the lead wires the
   composition job's ``enqueue`` there).

At start-up :meth:`RecordingFiler.recover_all` finalises the files of every recording
still marked ``recording`` or ``interrupted`` (the server died while writing it), marks
it ``recovered`` and files it the same way. It also reports (a warning per folder, see
:meth:`RecordingFiler.orphans`) every recording folder that has no recording any more
(its metadata deleted or lost while its files stayed): they are left on disk for the
operator, never deleted or registered on a guess (docs/operations.md, Recordings).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from media.recording import read_info, recover
from media.recording.sidecar import sidecar_path
from rooms.errors import RoomError
from rooms.recordings.local_storage import LocalFolderStorage
from rooms.recordings.model import (
    FileKind,
    Recording,
    RecordingFile,
    RecordingFilter,
    RecordingState,
)
from rooms.recordings.service import RecordingService
from rooms.recordings.store import MAX_LIMIT

logger = logging.getLogger(__name__)

CONSENT_FILE = "consent.json"
SAFE_LABEL = re.compile(r"[A-Za-z0-9_-]{1,64}")
Submit = Callable[[str, str], None]  # recording id, file name: queue it for upload
Stopped = Callable[[str], Awaitable[None]]  # recording id: request its composition
# left by a crash: still `recording`, or `interrupted` (the room recorded again elsewhere)
UNFINISHED = (RecordingState.RECORDING, RecordingState.INTERRUPTED)


def identity_of(peer_id: str) -> str:
    """The identity in a media peer id (``<room>:<identity>``, signaling/session.py)."""
    return peer_id.split(":", 1)[1] if ":" in peer_id else peer_id


def file_label(peer_id: str) -> str:
    """The ``<peer>`` of a track file's name: the identity when it is a plain token (the
    server makes them so), else a digest of it, so that every name stays within the
    recording file name alphabet (``[A-Za-z0-9_.-]``, 128 characters). The sidecar keeps
    the peer id itself."""
    identity = identity_of(peer_id)
    if SAFE_LABEL.fullmatch(identity):
        return identity
    return "p" + hashlib.sha256(identity.encode()).hexdigest()[:32]


def consent_document(recording: Recording) -> bytes:
    """``consent.json``: who answered what, when, from which session, in order."""
    document = {
        "recording_id": recording.recording_id,
        "room_id": recording.room_id,
        "started_by": recording.started_by,
        "started_at": recording.started_at,
        "stopped_at": recording.stopped_at,
        "consent": [entry.model_dump(mode="json") for entry in recording.consent],
    }
    return json.dumps(document, indent=1).encode()


def track_files(folder: Path) -> list[RecordingFile]:
    """The track files of a recording's folder, with their sizes (blocking)."""
    files = []
    for path in sorted(folder.glob("*.webm")):
        info = read_info(path)
        if info is None:
            continue
        files.append(RecordingFile(name=path.name, kind=FileKind.TRACK,
                                   size=path.stat().st_size,
                                   peer=identity_of(info.peer_id),
                                   track_kind=info.kind))  # type: ignore[arg-type]
    return files


def files_end(folder: Path) -> float | None:
    """When the last track file of ``folder`` ends on the server's clock (None if no
    file says; blocking): the end of a recording a crash interrupted."""
    ends = []
    for path in folder.glob("*.webm"):
        info = read_info(path)
        if info is not None and info.start_time is not None and info.duration is not None:
            ends.append(info.start_time + info.duration)
    return max(ends, default=None)


def _subfolders(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


class RecordingFiler:
    """Files finished recordings (see the module docstring)."""

    def __init__(self, service: RecordingService, local: LocalFolderStorage,
                 submit: Submit | None = None, on_stopped: Stopped | None = None) -> None:
        self.service = service
        self.local = local
        self.submit = submit
        self.on_stopped = on_stopped
        # Several nodes on one store (web/nodes/): the ids of the live nodes; None: one
        # node (every recording left `recording` is this process's).
        self.live_nodes: Callable[[], Awaitable[set[str]]] | None = None
        self.deferred: list[Recording] = []  # left by recover_all for a second look

    def folder(self, recording_id: str) -> Path:
        """Where the recorder writes the recording's track files."""
        return self.local.folder(recording_id)

    async def file(self, recording_id: str) -> Recording:
        """Register the (finalised) files and the consent log, upload, compose."""
        folder = self.folder(recording_id)
        files = await asyncio.to_thread(track_files, folder) if folder.is_dir() else []
        recording = None
        for track in files:
            try:
                recording = await self.service.put_file(recording_id, track)
            except RoomError as exc:
                if exc.code != "recording_segment_limit":
                    raise
                logger.error("recording %s: track file %s not registered: the recording "
                             "lists as many files as it can", recording_id, track.name)
        recording = recording or await self.service.store.get(recording_id)
        if recording is None:  # deleted meanwhile
            raise LookupError(recording_id)
        size = await self.local.put_bytes(recording_id, CONSENT_FILE,
                                          consent_document(recording))
        recording = await self.service.put_file(
            recording_id, RecordingFile(name=CONSENT_FILE, kind=FileKind.CONSENT, size=size))
        if self.submit is not None:
            for track in files:  # before its track: an uploaded track has its sidecar
                self.submit(recording_id, sidecar_path(folder / track.name).name)
            for stored in recording.files:
                self.submit(recording_id, stored.name)
        if self.on_stopped is not None:
            try:
                await self.on_stopped(recording_id)
            except Exception:
                logger.exception("requesting the composition of %s failed", recording_id)
        return recording

    async def recover_all(self) -> list[str]:
        """Finalise, mark ``recovered`` and file every recording left ``recording`` (or
        ``interrupted``) by a crash; returns their ids. Call once at start-up, before
        anyone can record. With several nodes (``live_nodes`` set) only the recordings
        whose folder is here and whose node (``Recording.node_id``) is not another live
        one: another node's running recording (a worker sharing this folder), or one
        whose files are on another machine, is left to that node. A node that looks live
        may be this machine's dead node whose lease has not lapsed yet (a restart within
        the lease): :meth:`recover_deferred` looks at those again (``self.deferred``) a
        lease later."""
        recovered, deferred = await self._recover(
            [r for r in await self.service.store.find(RecordingFilter(), MAX_LIMIT)
             if r.state in UNFINISHED])
        self.deferred = deferred
        for recording_id, tracks in await self.orphans():
            logger.warning(
                "recording folder %s has no recording (deleted, or lost with the store): "
                "its %d track file(s) are left on disk; nothing serves, uploads or deletes "
                "them. Delete the folder, or keep it elsewhere",
                self.folder(recording_id), tracks)
        return recovered

    async def orphans(self) -> list[tuple[str, int]]:
        """The recording folders of this node's recordings folder that no recording
        names (id, number of track files), e.g. a lost node's recording stopped and
        deleted elsewhere before the fix of ``RecordingService.stop``."""
        root = self.local.root
        names = await asyncio.to_thread(_subfolders, root)
        found = []
        for name in names:
            try:
                folder = self.folder(name)
            except RoomError:
                continue  # not a recording's folder
            if await self.service.store.get(name) is None:
                tracks = len(await asyncio.to_thread(list, folder.glob("*.webm")))
                found.append((name, tracks))
        return found

    async def recover_deferred(self, after_s: float) -> None:
        """The second look at the recordings :meth:`recover_all` left (see there)."""
        await asyncio.sleep(after_s)
        current = []
        for left in self.deferred:
            recording = await self.service.store.get(left.recording_id)
            if recording is not None and recording.state in UNFINISHED:
                current.append(recording)
        self.deferred = []
        await self._recover(current)

    async def _recover(self, candidates: list[Recording]) -> tuple[list[str], list[Recording]]:
        recovered, deferred = [], []
        live = set() if self.live_nodes is None or not candidates else await self.live_nodes()
        for recording in candidates:
            folder = self.folder(recording.recording_id)
            if self.live_nodes is not None:
                if not folder.is_dir():
                    continue  # another machine's: its node recovers it
                if recording.node_id in live - {self.service.node_id}:
                    deferred.append(recording)  # a live node writes it
                    continue
            ended = None
            if folder.is_dir():
                await asyncio.to_thread(recover, folder)
                ended = await asyncio.to_thread(files_end, folder)
            await self.service.finish(recording.recording_id, RecordingState.RECOVERED,
                                      at=max(ended or recording.started_at,
                                             recording.started_at))
            await self.file(recording.recording_id)
            recovered.append(recording.recording_id)
            logger.warning("recording %s was left by a crash: recovered",
                           recording.recording_id)
        return recovered, deferred
