"""What this process wrote for the seats it holds, to write again when Redis lost it.

A Redis without persistence comes back empty after a restart: the rooms and seats of the
calls in progress are gone while their media still flows through the processes that hold
the connections. Each process remembers the rooms it seated people in and the
participants it seated there (role, name, join time, tracks and their mute flags, the
digest of their resume token, as it last wrote them), and writes them back once it sees
Redis restarted (:meth:`rooms.redis_store.RedisRoomStore.reassert_room`, driven by the
seat keeper of signaling/presence.py). It forgets a seat when it leaves through this process or
once this process has not held it for two rounds, and a room with its last seat.

A restart is told by Redis's ``run_id`` (``INFO server``), new at every start of the
server: with persistence (AOF) the data survived and nothing needs writing back, but a
room or seat that is missing is written back all the same (ended rooms are deleted on
purpose and never written back: a room is forgotten with its last seat).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rooms.models import Participant, Room, Track


@dataclass
class OwnedRoom:
    """A room this process seated people in, and those participants as last written."""

    room: Room
    seats: dict[str, Participant] = field(default_factory=dict)
    resume: dict[str, str] = field(default_factory=dict)  # identity -> resume token digest


class OwnedSeats:
    """The rooms and seats one process wrote (only seats with a lease: held ones)."""

    def __init__(self) -> None:
        self._rooms: dict[str, OwnedRoom] = {}
        self._unheld: set[tuple[str, str]] = set()  # remembered, not held last round
        self._run_id: str | None = None
        self.rebuild_due = False  # Redis restarted; not all written back yet

    def saw(self, run_id: str, held: Mapping[str, Sequence[str]]) -> bool:
        """Redis's run id now, and the seats held now: whether a write-back is due."""
        if self._run_id is not None and run_id != self._run_id:
            self.rebuild_due = True
        self._run_id = run_id
        self.keep_held(held)
        return self.rebuild_due

    def keep_held(self, held: Mapping[str, Sequence[str]]) -> None:
        """Forget the seats not held two rounds in a row (their connection went, or
        moved to another process): a seat written just before ``held`` was read waits
        for the next round."""
        unheld = {(room_id, identity) for room_id, owned in self._rooms.items()
                  for identity in owned.seats if identity not in held.get(room_id, ())}
        for room_id, identity in unheld & self._unheld:
            self.left(room_id, identity)
        self._unheld = unheld

    def joined(self, room: Room, participant: Participant, digest: str | None) -> None:
        owned = self._rooms.setdefault(room.room_id, OwnedRoom(room))
        owned.room = room
        owned.seats[participant.identity] = participant
        self.resumed(room.room_id, participant.identity, digest)

    def resumed(self, room_id: str, identity: str, digest: str | None) -> None:
        """The seat's resume token digest is ``digest`` now (None: it has none)."""
        owned = self._rooms.get(room_id)
        if owned is not None and identity in owned.seats:
            if digest:
                owned.resume[identity] = digest
            else:
                owned.resume.pop(identity, None)

    def set_tracks(self, room_id: str, identity: str, tracks: list[Track]) -> None:
        owned = self._rooms.get(room_id)
        seat = owned.seats.get(identity) if owned is not None else None
        if owned is not None and seat is not None:
            owned.seats[identity] = seat.with_tracks(tracks)

    def left(self, room_id: str, identity: str) -> None:
        owned = self._rooms.get(room_id)
        if owned is None:
            return
        owned.seats.pop(identity, None)
        owned.resume.pop(identity, None)
        if not owned.seats:
            del self._rooms[room_id]

    def room_gone(self, room_id: str) -> None:
        self._rooms.pop(room_id, None)

    def get(self, room_id: str) -> OwnedRoom | None:
        return self._rooms.get(room_id)
