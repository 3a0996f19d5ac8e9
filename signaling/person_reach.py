"""Reaching one person on whichever server process holds their connection.

A host's action aimed at one person (a hard-mute notice, a removal, a lobby denial)
runs on the host's process, but the person's connection may be held by another
(several processes on one Redis). The acting process sends a process notice
(:mod:`signaling.process_notices`); every process does the part that concerns the
connections it holds: tells them, and for a removal tears down their session and
media and closes them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .handlers import Connections
from .participants import Participants
from .session import peer_id_for

TELL_NOTICE = "person_tell"
TURN_AWAY_NOTICE = "person_turn_away"

NoticeHandlers = dict[str, Callable[[dict[str, Any]], Awaitable[None]]]


class PersonReach:
    """Tells or turns away one person, wherever their connection is."""

    def __init__(self, participants: Participants, connections: Connections) -> None:
        self._participants = participants
        self._connections = connections

    def notices(self) -> NoticeHandlers:
        return {TELL_NOTICE: self._on_tell, TURN_AWAY_NOTICE: self._on_turn_away}

    async def tell(self, room_id: str, identity: str, event: str,
                   data: dict[str, Any]) -> None:
        """Send ``event`` to ``identity``'s joined connection, on whichever process."""
        await self._connections.notify_processes(
            TELL_NOTICE, {"room_id": room_id, "identity": identity, "event": event,
                          "data": data})

    async def turn_away(self, room_id: str, identity: str, event: str, data: dict[str, Any],
                        knockers_only: bool = False) -> None:
        """Send ``event`` to ``identity``'s connections (joined and knocking, or knocking
        only), on whichever process, and close them; a joined one's session and media go
        with it (its seat is the caller's to remove)."""
        await self._connections.notify_processes(
            TURN_AWAY_NOTICE, {"room_id": room_id, "identity": identity, "event": event,
                               "data": data, "knockers_only": knockers_only})

    async def _on_tell(self, notice: dict[str, Any]) -> None:
        sid = self._participants.sid_for(peer_id_for(notice["room_id"], notice["identity"]))
        if sid is not None:
            await self._connections.emit(notice["event"], notice["data"], to=sid)

    async def _on_turn_away(self, notice: dict[str, Any]) -> None:
        room_id, identity = notice["room_id"], notice["identity"]
        if notice.get("knockers_only"):
            gone = self._participants.waiting_sids(room_id, identity)
            for sid in gone:
                self._participants.stop_waiting(sid)
        else:
            gone = await self._participants.evict_here(room_id, identity)
        for sid in gone:
            await self._connections.emit(notice["event"], notice["data"], to=sid)
            await self._connections.disconnect(sid)
