"""Last-N video as the client sees it: pinning (`pin_videos`) and the slot mapping
(`video_slots`) of its subscribe connection (docs/protocol.md, Last-N video).

In a room with last-N on (every roundtable; the SFU's ``set_last_n``), a participant's
subscribe connection carries a few video *slots* rather than everyone's video: the N
most recent speakers plus up to :data:`MAX_PINS` people it pinned. Which identity a
slot carries is in each offer's ``tracks``; when it changes without an offer, the
client gets `video_slots`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from media.sfu import Sfu
from rooms.service import RoomService

from .dispatch import Ack
from .errors import SignalingError, ok_ack
from .handlers import Connections, EventSpec, EventTable
from .limits import ROUNDTABLE_RATE
from .participants import Participants
from .payloads import MAX_ID_CHARS, Payload
from .session import peer_id_for

MAX_PINS = 4
VIDEO_SLOTS_EVENT = "video_slots"
PinnedIdentity = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID_CHARS)]


class PinVideosPayload(Payload):
    """`pin_videos`: the identities whose video always gets a slot (replaces earlier
    pins; an empty list unpins everyone)."""

    identities: list[PinnedIdentity] = Field(max_length=MAX_PINS)


class VideoPins:
    """The `pin_videos` event, and `video_slots` to the connection a mapping is for."""

    def __init__(self, service: RoomService, sfu: Sfu, participants: Participants,
                 connections: Connections) -> None:
        self._service = service
        self._sfu = sfu
        self._participants = participants
        self._connections = connections
        sfu.on_video_slots = self._video_slots

    def events(self) -> EventTable:
        return {"pin_videos": EventSpec(PinVideosPayload, self.pin_videos, ROUNDTABLE_RATE)}

    async def pin_videos(self, sid: str, payload: PinVideosPayload) -> Ack:
        session = self._participants.session(sid)
        wanted = list(dict.fromkeys(payload.identities))
        snapshot = await self._service.snapshot(session.room_id)
        present = {p.identity for p in snapshot.participants}
        missing = [i for i in wanted if i not in present]
        if missing:
            raise SignalingError("not_in_room", "Only people in this room can be pinned.")
        self._sfu.pin_videos(session.peer_id,
                             [peer_id_for(session.room_id, i) for i in wanted])
        return ok_ack(pinned=wanted, last_n=self._sfu.last_n(session.room_id))

    async def _video_slots(self, peer_id: str, subscription_id: str,
                           slots: tuple[tuple[str, str | None], ...]) -> None:
        """The SFU's hook: a subscribe connection's slots carry other people now."""
        calls = self._participants
        session = calls.sessions.get(calls.peer_sids.get(peer_id, ""))
        if session is None or session.subscriber != subscription_id:
            return
        prefix = peer_id_for(session.room_id, "")
        await self._connections.emit(VIDEO_SLOTS_EVENT, {
            "subscription_id": subscription_id,
            "slots": [{"mid": mid, "identity": p.removeprefix(prefix) if p else None}
                      for mid, p in slots],
        }, to=session.sid)
