"""The roundtable store interface shared by the in-memory and Redis implementations.

A store keeps one :class:`RoundtableState` per room and changes it only through
:meth:`RoundtableStore.update`: the caller hands over a pure function from the current
state to the next (see :mod:`rooms.roundtables.rules`), and the store applies it as one
atomic step for every caller, in this process or others. Of two concurrent updates both
take effect, one after the other, each function seeing the state the other left; a
function that raises changes nothing. Each write raises ``revision`` by one.

A state lives until ``until`` (epoch seconds: the room's end plus its grace period), then
it is gone, like its room.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

from rooms.roundtables.model import RoundtableState

# From the current state (None: there is none yet) to the next one; returning the state
# it was given (the same object) means "no change".
Change = Callable[[RoundtableState | None], RoundtableState]


class RoundtableStore(ABC):
    """Where roundtable states live."""

    @abstractmethod
    async def get(self, room_id: str) -> RoundtableState | None:
        """The room's roundtable state, or None if there is none (or it expired)."""

    @abstractmethod
    async def update(self, room_id: str, until: float, change: Change) -> RoundtableState:
        """Apply ``change`` atomically and return the state it produced; the stored state
        expires at ``until``. RoomErrors raised by ``change`` pass through."""

    @abstractmethod
    async def delete(self, room_id: str) -> None:
        """Forget the room's state (no error if there is none)."""

    async def reassert(self, room_id: str) -> bool:
        """After the store lost its data (a Redis restart): write back the room's state
        as this process last saw it, if the store lacks it; whether it did. A store
        that cannot lose data does nothing."""
        return False

    @abstractmethod
    async def close(self) -> None:
        """Release connections; the store is not used afterwards."""


def next_revision(current: RoundtableState | None, new: RoundtableState) -> RoundtableState:
    """``new`` numbered one after ``current``."""
    revision = 0 if current is None else current.revision
    return new.model_copy(update={"revision": revision + 1})
