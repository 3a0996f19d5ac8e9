"""The retention policy: recordings that started more than N days ago are deleted, their
files first and then their metadata, and nothing else (``MENTORCALL_RECORDING_RETENTION_DAYS``;
0 keeps everything). A recording still being written is never deleted.

Files go first so that a failure half-way leaves the metadata, and the next run tries
again; metadata without files is never left behind on purpose. Each deletion is written
to the audit log with the actor ``retention``.
"""

from __future__ import annotations

import asyncio
import logging

from rooms.clock import Clock, SystemClock
from rooms.errors import RoomError
from rooms.recordings.audit import AuditAction, AuditEntry, AuditOutcome
from rooms.recordings.model import Recording, RecordingFilter
from rooms.recordings.storage import RecordingStorage
from rooms.recordings.store import RecordingStore
from rooms.recordings.whereabouts import FileWhereabouts

logger = logging.getLogger(__name__)

DAY_S = 86_400
BATCH = 100
RETENTION_ACTOR = "retention"


class Retention:
    """Deletes recordings older than ``days`` (0: never)."""

    def __init__(self, store: RecordingStore, storage: RecordingStorage, days: int,
                 clock: Clock | None = None,
                 whereabouts: FileWhereabouts | None = None) -> None:
        if days < 0:
            raise ValueError("retention days must be 0 (keep) or more")
        # several nodes: a recording whose files only its node holds is that node's to
        # delete (its own hourly run); deleting it here would leave its files there
        self.whereabouts = whereabouts if whereabouts is not None else FileWhereabouts()
        self._store = store
        self._storage = storage
        self._days = days
        self._clock: Clock = clock if clock is not None else SystemClock()

    def cutoff(self) -> float | None:
        """Recordings that started before this instant are due (None: keep everything)."""
        return None if self._days == 0 else self._clock.now() - self._days * DAY_S

    async def run_once(self) -> list[str]:
        """Delete every due recording; the ids deleted."""
        cutoff = self.cutoff()
        if cutoff is None:
            return []
        deleted: list[str] = []
        skipped: set[str] = set()
        while True:
            due = [r for r in await self._store.find(RecordingFilter(until=cutoff),
                                                     BATCH + len(skipped))
                   if r.recording_id not in skipped]
            if not due:
                return deleted
            for recording in due:
                if await self._delete(recording, cutoff):
                    deleted.append(recording.recording_id)
                else:
                    skipped.add(recording.recording_id)

    async def _delete(self, recording: Recording, cutoff: float) -> bool:
        if not recording.is_finished:  # being written, or waiting for its node's recovery
            return False
        if await self.whereabouts.elsewhere(recording) is not None:
            return False  # its node's run deletes it
        try:
            count = await self._storage.delete_recording(recording.recording_id)
        except RoomError as exc:
            logger.warning("retention: the files of %s stay for now (%s)",
                           recording.recording_id, exc)
            return False
        await self._store.delete(recording.recording_id)
        await self._store.audit(AuditEntry(
            at=self._clock.now(), actor=RETENTION_ACTOR, action=AuditAction.RETENTION,
            outcome=AuditOutcome.ALLOWED, recording_id=recording.recording_id,
            detail=f"started {recording.started_at:.0f} < cutoff {cutoff:.0f}; "
                   f"{count} files"))
        return True

    async def run_forever(self, every_s: float = 3600.0) -> None:
        """:meth:`run_once` now and every ``every_s`` (a failed run is logged, not fatal)."""
        while True:
            try:
                gone = await self.run_once()
                if gone:
                    logger.info("retention: deleted %d recordings", len(gone))
            except Exception:
                logger.exception("retention run failed")
            await asyncio.sleep(every_s)
