"""Recording's part in the call's lifecycle, chained after the room kind's hooks.

:class:`RecordingHooks` is the :class:`~signaling.room_hooks.RoomHooks` the
participants call when recording is configured: it runs the room kind's own hooks
(roundtables) first, then adds what recording needs: the join ack's ``recording``
(so that a later joiner is asked) and ``who_may_record`` (the room's rule), recording
after each publish, and stopping the recording when the room ends or nobody is left in
it here.
"""

from __future__ import annotations

import logging
from typing import Any

from rooms.grants import JoinGrant
from rooms.models import RoomSnapshot

from .participants import Participants
from .recording_events import RecordingEvents
from .room_hooks import RoomHooks
from .session import CallSession

logger = logging.getLogger(__name__)


class RecordingHooks:
    """``inner``'s hooks, then recording's."""

    def __init__(self, inner: RoomHooks, recording: RecordingEvents,
                 participants: Participants) -> None:
        self._inner = inner
        self._recording = recording
        self._participants = participants

    async def joined(self, session: CallSession, snapshot: RoomSnapshot) -> dict[str, Any]:
        extra = await self._inner.joined(session, snapshot)
        return {**extra, "recording": self._recording.view(session.room_id),
                "who_may_record": await self._recording.who_may_record(snapshot.room)}

    async def knocked(self, sid: str, grant: JoinGrant) -> None:
        await self._inner.knocked(sid, grant)

    async def knock_withdrawn(self, sid: str, grant: JoinGrant) -> None:
        await self._inner.knock_withdrawn(sid, grant)

    async def membership_changed(self, room_id: str) -> None:
        await self._inner.membership_changed(room_id)
        if not self._participants.sessions_in(room_id):  # everyone (here) left
            await self._recording.end_room_recording(room_id)

    def before_subscribe(self, session: CallSession) -> None:
        self._inner.before_subscribe(session)

    async def before_publish(self, session: CallSession) -> None:
        await self._inner.before_publish(session)

    async def published(self, session: CallSession) -> None:
        await self._inner.published(session)
        await self._recording.published(session)

    async def check_mute(self, session: CallSession, kind: str, muted: bool) -> None:
        await self._inner.check_mute(session, kind, muted)

    async def room_ended(self, room_id: str) -> None:
        await self._inner.room_ended(room_id)
        try:
            await self._recording.end_room_recording(room_id)
        except Exception:
            logger.exception("stopping the recording of ended room %s failed", room_id)

    async def close(self) -> None:
        await self._inner.close()
        await self._recording.close()
