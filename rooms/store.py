"""The room store interface shared by the in-memory and Redis implementations.

Lifecycle of a room in every store:

* ``now <= expires_at``: open. Joins succeed while there is a free place.
* ``expires_at < now <= expires_at + grace_s``: closed. Joins and track changes are refused
  with ``room_closed``; snapshots and leaves still work so the callers above can wind the
  session down and tell late-comers that it *ended* rather than that it never existed.
* after that the room is gone (``room_not_found``); the Redis keys have expired by then.

Presence: a participant's seat may carry a *lease* (an expiry time). The process that
holds the participant's connection renews it every few seconds; when the connection
drops it stops, and once the lease has lapsed any process may take the seat away with
:meth:`RoomStore.remove_lapsed`. So a seat outlives a process that died (``kill -9``)
by its grace period, not by the room's TTL. Seats without a lease never lapse.

Resume: beside each seat the store keeps the digest of the participant's current resume
token (:mod:`rooms.resume`), so whichever process a dropped client reconnects to can
check it, and swap it for the next one, in one atomic step with the seat's lease.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Literal

from rooms.models import Participant, Room, RoomSnapshot, Track

DEFAULT_GRACE_S = 300.0

ResumeSwap = Literal["ok", "expired", "invalid"]


def sort_participants(participants: list[Participant]) -> list[Participant]:
    """Participants in the order every store reports them: by join time, then identity."""
    return sorted(participants, key=lambda p: (p.joined_at, p.identity))


class RoomStore(ABC):
    """Where rooms and their participants live.

    Every method is a single atomic step with respect to other callers of the same store,
    in this process or (for shared stores) in others.
    """

    @abstractmethod
    async def create_room(self, room: Room) -> None:
        """Store a new room; ``room_exists`` if the id is taken, ``room_closed`` if the
        room would already be past its grace period."""

    @abstractmethod
    async def get_room(self, room_id: str) -> Room | None:
        """The room, or None if it does not exist (or is past its grace period)."""

    @abstractmethod
    async def join(self, room_id: str, participant: Participant,
                   lease_until: float | None = None,
                   resume_digest: str | None = None) -> RoomSnapshot:
        """Add ``participant`` atomically with the capacity check and return the room.

        The same identity joining again replaces its entry (a reconnect) and does not take
        a second place. With ``lease_until`` the seat's lease is set in the same step, and
        with ``resume_digest`` the digest of its current resume token (replacing, so
        revoking, an earlier one). Raises ``room_not_found``, ``room_closed`` or
        ``room_full``.
        """

    @abstractmethod
    async def leave(self, room_id: str, identity: str) -> bool:
        """Remove ``identity`` (and its lease); True if it was present."""

    @abstractmethod
    async def renew_leases(self, room_id: str, identities: list[str], until: float) -> None:
        """Extend the leases of the seats of ``identities`` still in the room to ``until``."""

    @abstractmethod
    async def lapsed_seats(self, now: float, limit: int = 100) -> list[tuple[str, str]]:
        """Up to ``limit`` (room id, identity) whose lease ran out at or before ``now``."""

    @abstractmethod
    async def remove_lapsed(self, room_id: str, identity: str, now: float) -> bool:
        """Remove the seat if its lease ran out at or before ``now`` (one atomic step, so a
        renewal by another process wins); True if the participant was removed."""

    @abstractmethod
    async def swap_resume_digest(self, room_id: str, identity: str, old: str, new: str,
                                 now: float, lease_until: float) -> ResumeSwap:
        """One atomic step: if the seat of ``identity`` is there, its lease (if any) has
        not run out by ``now`` and its resume digest is ``old``, store ``new`` and extend
        the lease to ``lease_until`` (``"ok"``). ``"expired"`` if the seat is gone or its
        lease ran out; ``"invalid"`` if the digest is another one."""

    @abstractmethod
    async def take_join(self, room_id: str, identity: str, now: float) -> float:
        """Spend one of the person's joins of this room (:mod:`rooms.join_budget`, shared
        by all their connections and every process): 0 if there was one, else the seconds
        until there is. Needs no room."""

    @abstractmethod
    async def set_tracks(self, room_id: str, identity: str, tracks: list[Track]) -> None:
        """Replace the tracks ``identity`` publishes.

        Raises ``room_not_found``, ``room_closed`` or ``not_in_room``.
        """

    @abstractmethod
    async def snapshot(self, room_id: str) -> RoomSnapshot:
        """The room and its participants; ``room_not_found`` if it does not exist."""

    @abstractmethod
    async def delete_room(self, room_id: str) -> None:
        """Forget the room and its participants (no error if already gone)."""

    async def restarted(self, held: Mapping[str, Sequence[str]]) -> bool:
        """Whether the store lost its data since it was last asked (a Redis restart)
        and what the caller holds was not written back yet (:meth:`reassert_room`, then
        :meth:`reasserted`). ``held``: the seats the caller holds now, by room. A store
        that cannot lose data (in memory, one process) never says so."""
        return False

    async def reassert_room(self, room_id: str, identities: Sequence[str],
                            until: float) -> int:
        """Write back the room and those of ``identities``' seats it lacks, as this
        process last wrote them, with leases to ``until``; how many seats."""
        return 0

    def reasserted(self) -> None:
        """Every held room was written back: :meth:`restarted` is False again."""
        return None

    @abstractmethod
    async def close(self) -> None:
        """Release connections; the store is not used afterwards."""
