"""The in-memory room store: the zero-setup default for a single process."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

from rooms.clock import Clock, SystemClock
from rooms.errors import RoomError
from rooms.join_budget import MemoryJoinBudgets
from rooms.models import Participant, Room, RoomSnapshot, Track
from rooms.store import DEFAULT_GRACE_S, ResumeSwap, RoomStore, sort_participants


@dataclass
class _RoomState:
    room: Room
    participants: dict[str, Participant] = field(default_factory=dict)
    resume_digests: dict[str, str] = field(default_factory=dict)  # identity -> digest


class MemoryRoomStore(RoomStore):
    """Rooms held in a dict in this process.

    Atomicity comes from the event loop: no method awaits between reading and writing
    state, so each one runs as a single step. Not for use from several threads.
    Rooms past ``expires_at + grace_s`` are purged lazily on access and by
    ``purge_expired()``.
    """

    def __init__(self, clock: Clock | None = None, grace_s: float = DEFAULT_GRACE_S) -> None:
        if grace_s < 0:
            raise ValueError("grace_s must not be negative")
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._grace_s = grace_s
        self._rooms: dict[str, _RoomState] = {}
        self._leases: dict[tuple[str, str], float] = {}  # (room id, identity) -> until
        self._joins = MemoryJoinBudgets()

    def _is_gone(self, room: Room, now: float) -> bool:
        return now > room.expires_at + self._grace_s

    def _state(self, room_id: str) -> _RoomState | None:
        state = self._rooms.get(room_id)
        if state is not None and self._is_gone(state.room, self._clock.now()):
            del self._rooms[room_id]
            return None
        return state

    def _require(self, room_id: str) -> _RoomState:
        state = self._state(room_id)
        if state is None:
            raise RoomError("room_not_found")
        return state

    @staticmethod
    def _snapshot(state: _RoomState) -> RoomSnapshot:
        # Models are frozen, but their lists are not: hand out copies.
        return RoomSnapshot(
            room=state.room,
            participants=sort_participants(
                [p.model_copy(deep=True) for p in state.participants.values()]
            ),
        )

    def purge_expired(self) -> int:
        """Drop every room past its grace period; returns how many were dropped."""
        now = self._clock.now()
        gone = [rid for rid, s in self._rooms.items() if self._is_gone(s.room, now)]
        for rid in gone:
            del self._rooms[rid]
        self._leases = {k: v for k, v in self._leases.items() if k[0] in self._rooms}
        return len(gone)

    async def create_room(self, room: Room) -> None:
        if self._state(room.room_id) is not None:
            raise RoomError("room_exists")
        if self._is_gone(room, self._clock.now()):
            raise RoomError("room_closed")
        self._rooms[room.room_id] = _RoomState(room=room)

    async def get_room(self, room_id: str) -> Room | None:
        state = self._state(room_id)
        return state.room if state is not None else None

    async def join(self, room_id: str, participant: Participant,
                   lease_until: float | None = None,
                   resume_digest: str | None = None) -> RoomSnapshot:
        state = self._require(room_id)
        if state.room.is_closed(self._clock.now()):
            raise RoomError("room_closed")
        present = participant.identity in state.participants
        if not present and len(state.participants) >= state.room.capacity:
            raise RoomError("room_full")
        state.participants[participant.identity] = participant.model_copy(deep=True)
        if lease_until is not None:
            self._leases[(room_id, participant.identity)] = lease_until
        if resume_digest is not None:
            state.resume_digests[participant.identity] = resume_digest
        return self._snapshot(state)

    async def leave(self, room_id: str, identity: str) -> bool:
        self._leases.pop((room_id, identity), None)
        state = self._state(room_id)
        if state is None:
            return False
        state.resume_digests.pop(identity, None)  # a resume of a seat that is gone expires
        return state.participants.pop(identity, None) is not None

    async def renew_leases(self, room_id: str, identities: list[str], until: float) -> None:
        state = self._state(room_id)
        if state is None:
            return
        for identity in identities:
            if identity in state.participants:
                self._leases[(room_id, identity)] = until

    async def lapsed_seats(self, now: float, limit: int = 100) -> list[tuple[str, str]]:
        lapsed = sorted((until, seat) for seat, until in self._leases.items() if until <= now)
        return [seat for _, seat in lapsed[:limit]]

    async def remove_lapsed(self, room_id: str, identity: str, now: float) -> bool:
        until = self._leases.get((room_id, identity))
        if until is None or until > now:
            return False
        return await self.leave(room_id, identity)

    async def swap_resume_digest(self, room_id: str, identity: str, old: str, new: str,
                                 now: float, lease_until: float) -> ResumeSwap:
        state = self._state(room_id)
        if state is None or identity not in state.participants:
            return "expired"
        lease = self._leases.get((room_id, identity))
        if lease is not None and lease <= now:
            return "expired"
        if not hmac.compare_digest(state.resume_digests.get(identity, ""), old):
            return "invalid"
        state.resume_digests[identity] = new
        if lease is not None:
            self._leases[(room_id, identity)] = lease_until
        return "ok"

    async def take_join(self, room_id: str, identity: str, now: float) -> float:
        return self._joins.take(room_id, identity, now)

    async def set_tracks(self, room_id: str, identity: str, tracks: list[Track]) -> None:
        state = self._require(room_id)
        if state.room.is_closed(self._clock.now()):
            raise RoomError("room_closed")
        current = state.participants.get(identity)
        if current is None:
            raise RoomError("not_in_room")
        state.participants[identity] = current.with_tracks(tracks)

    async def snapshot(self, room_id: str) -> RoomSnapshot:
        return self._snapshot(self._require(room_id))

    async def delete_room(self, room_id: str) -> None:
        self._rooms.pop(room_id, None)
        self._leases = {k: v for k, v in self._leases.items() if k[0] != room_id}

    async def close(self) -> None:
        self._rooms.clear()
        self._leases.clear()
