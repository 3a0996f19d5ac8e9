"""What a kind of room adds to the call's lifecycle (roundtables today).

:class:`~signaling.participants.Participants` and the call events call these at the
points where a room kind has a say: after a join, when people come or go, before a
publish and on a self-mute. :class:`NoRoomHooks` is the 1:1 call: nothing to add.
"""

from __future__ import annotations

from typing import Any, Protocol

from rooms.grants import JoinGrant
from rooms.models import RoomSnapshot

from .session import CallSession


class RoomHooks(Protocol):
    """A room kind's part in joining, leaving, publishing and muting."""

    async def joined(self, session: CallSession, snapshot: RoomSnapshot) -> dict[str, Any]:
        """``session`` joined (it is in the room's Socket.IO room): the extra fields of
        its join ack (they may replace ``room``)."""
        ...

    async def knocked(self, sid: str, grant: JoinGrant) -> None:
        """``sid`` now waits in the lobby (it joined no room)."""
        ...

    async def knock_withdrawn(self, sid: str, grant: JoinGrant) -> None:
        """A waiting connection left or closed: its knock goes."""
        ...

    async def membership_changed(self, room_id: str) -> None:
        """Someone left the room (or was removed)."""
        ...

    def before_subscribe(self, session: CallSession) -> None:
        """``session`` (joined, under its lock) is about to get its subscribe connection:
        set up what shapes its first offer (a roundtable's last-N video)."""
        ...

    async def before_publish(self, session: CallSession) -> None:
        """``session`` is about to publish: apply what the room enforces on its media."""
        ...

    async def published(self, session: CallSession) -> None:
        """``session`` published (its tracks are in the SFU): a publish, a re-publish or
        the first publish after a rejoin."""
        ...

    async def check_mute(self, session: CallSession, kind: str, muted: bool) -> None:
        """``session`` mutes or unmutes ``kind`` itself: raise to refuse."""
        ...

    async def room_ended(self, room_id: str) -> None:
        """The room ended (its time is over, or a host ended it) for the sessions here;
        never raises (log instead)."""
        ...

    async def close(self) -> None:
        """The server shuts down: cancel pending work."""
        ...


class NoRoomHooks:
    """The 1:1 call: nothing to add."""

    async def joined(self, session: CallSession, snapshot: RoomSnapshot) -> dict[str, Any]:
        return {}

    async def knocked(self, sid: str, grant: JoinGrant) -> None:
        return None

    async def knock_withdrawn(self, sid: str, grant: JoinGrant) -> None:
        return None

    async def membership_changed(self, room_id: str) -> None:
        return None

    def before_subscribe(self, session: CallSession) -> None:
        return None

    async def before_publish(self, session: CallSession) -> None:
        return None

    async def published(self, session: CallSession) -> None:
        return None

    async def check_mute(self, session: CallSession, kind: str, muted: bool) -> None:
        return None

    async def room_ended(self, room_id: str) -> None:
        return None

    async def close(self) -> None:
        return None
