"""The in-memory roundtable store: the zero-setup default for a single process."""

from __future__ import annotations

from rooms.clock import Clock, SystemClock
from rooms.roundtables.model import RoundtableState
from rooms.roundtables.store import Change, RoundtableStore, next_revision


class MemoryRoundtableStore(RoundtableStore):
    """Roundtable states in a dict of this process.

    ``update`` runs the (synchronous) change between reading and writing without awaiting,
    so on the event loop it is one step: that is the per-room lock, and no caller can see
    or write a state in between. Not for use from several threads.
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._states: dict[str, tuple[RoundtableState, float]] = {}

    def _current(self, room_id: str) -> RoundtableState | None:
        entry = self._states.get(room_id)
        if entry is None:
            return None
        if self._clock.now() > entry[1]:
            del self._states[room_id]
            return None
        return entry[0]

    def purge_expired(self) -> int:
        """Drop every state past its expiry; returns how many were dropped."""
        now = self._clock.now()
        gone = [room_id for room_id, (_, until) in self._states.items() if now > until]
        for room_id in gone:
            del self._states[room_id]
        return len(gone)

    async def get(self, room_id: str) -> RoundtableState | None:
        return self._current(room_id)

    async def update(self, room_id: str, until: float, change: Change) -> RoundtableState:
        current = self._current(room_id)
        new = change(current)
        if new is current and current is not None:
            return current
        stored = next_revision(current, new)
        self._states[room_id] = (stored, until)
        return stored

    async def delete(self, room_id: str) -> None:
        self._states.pop(room_id, None)

    async def close(self) -> None:
        self._states.clear()
