"""The in-memory recording store: the zero-setup default for a single process."""

from __future__ import annotations

import itertools
from collections import OrderedDict, deque

from rooms.clock import Clock, SystemClock
from rooms.errors import RoomError
from rooms.recordings.audit import (
    MAX_AUDIT_ENTRIES,
    MAX_TRAIL_ENTRIES,
    MAX_TRAILS,
    AuditEntry,
)
from rooms.recordings.model import Recording, RecordingFilter, newest_first
from rooms.recordings.policy import DEFAULT_POLICY, RecordingPolicy
from rooms.recordings.store import (
    DEFAULT_LIMIT,
    RecordingChange,
    RecordingStore,
    check_change,
    clamp_limit,
    next_revision,
)


class MemoryRecordingStore(RecordingStore):
    """Recordings in dicts of this process.

    Each method runs without awaiting between reading and writing, so on the event loop
    it is one atomic step. Not for use from several threads.
    """

    def __init__(self, clock: Clock | None = None,
                 max_audit_entries: int = MAX_AUDIT_ENTRIES) -> None:
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._recordings: dict[str, Recording] = {}
        self._policies: dict[str, tuple[RecordingPolicy, float]] = {}
        self._audit: deque[AuditEntry] = deque(maxlen=max_audit_entries)
        self._trails: OrderedDict[str, deque[AuditEntry]] = OrderedDict()  # per recording
        self._revoked: dict[str, float] = {}  # session nonce -> until

    def _active(self, room_id: str) -> Recording | None:
        return next((r for r in self._recordings.values()
                     if r.room_id == room_id and r.is_active), None)

    async def create(self, recording: Recording) -> Recording:
        if recording.recording_id in self._recordings:
            raise RoomError("recording_exists")
        if recording.is_active and self._active(recording.room_id) is not None:
            raise RoomError("already_recording")
        stored = next_revision(None, recording)
        self._recordings[recording.recording_id] = stored
        return stored

    async def get(self, recording_id: str) -> Recording | None:
        return self._recordings.get(recording_id)

    async def active(self, room_id: str) -> Recording | None:
        return self._active(room_id)

    async def update(self, recording_id: str, change: RecordingChange) -> Recording:
        current = self._recordings.get(recording_id)
        if current is None:
            raise RoomError("recording_not_found")
        new = change(current)
        if new is current:
            return current
        check_change(current, new)
        stored = next_revision(current, new)
        self._recordings[recording_id] = stored
        return stored

    async def find(self, where: RecordingFilter, limit: int = DEFAULT_LIMIT) -> list[Recording]:
        found = [r for r in self._recordings.values() if where.matches(r)]
        return newest_first(found)[:clamp_limit(limit)]

    async def delete(self, recording_id: str) -> bool:
        return self._recordings.pop(recording_id, None) is not None

    async def policy(self, room_id: str) -> RecordingPolicy:
        entry = self._policies.get(room_id)
        if entry is None or self._clock.now() > entry[1]:
            self._policies.pop(room_id, None)
            return DEFAULT_POLICY
        return entry[0]

    async def set_policy(self, room_id: str, policy: RecordingPolicy, until: float) -> None:
        if until <= self._clock.now():
            raise RoomError("room_closed")
        self._policies[room_id] = (policy, until)

    async def audit(self, entry: AuditEntry) -> None:
        self._audit.appendleft(entry)
        if entry.recording_id is not None:
            trail = self._trails.pop(entry.recording_id, None)
            if trail is None:
                trail = deque(maxlen=MAX_TRAIL_ENTRIES)
                if len(self._trails) >= MAX_TRAILS:
                    self._trails.popitem(last=False)  # the one written to longest ago
            trail.appendleft(entry)
            self._trails[entry.recording_id] = trail

    async def revoke_session(self, nonce: str, until: float) -> None:
        now = self._clock.now()
        self._revoked = {n: u for n, u in self._revoked.items() if u > now}
        if until > now:
            self._revoked[nonce] = until

    async def session_revoked(self, nonce: str) -> bool:
        return self._revoked.get(nonce, float("-inf")) > self._clock.now()

    async def audit_log(self, limit: int = DEFAULT_LIMIT,
                        recording_id: str | None = None) -> list[AuditEntry]:
        entries = self._audit if recording_id is None else self._trails.get(recording_id, ())
        return list(itertools.islice(entries, clamp_limit(limit)))

    async def close(self) -> None:
        """Nothing to release (the data stays: a closed store is not used again)."""
