"""A roundtable host's hard mutes: `hard_mute` and `mute_all` (docs/protocol.md,
Roundtables), also while a pair breakout runs.

The roundtable's state keeps the hard mutes: the one truth. A host visiting a pair
room mutes in the roundtable's state too, and while a breakout runs each pair room's
state follows the roundtable's mutes (:meth:`HardMuteEvents.mirror`), so they are
told and enforced in the pair rooms, on every process, exactly like the roundtable's
own (:class:`~signaling.roundtable_events.RoundtableEvents` makes the SFU match each
published state), and they still hold when the pair comes back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rooms.errors import RoomError
from rooms.models import TrackKind
from rooms.roundtables.model import RoundtableState
from rooms.service import RoomService

from .breakout_events import BreakoutEvents
from .dispatch import Ack
from .errors import ok_ack
from .handlers import EventSpec, EventTable
from .limits import ROUNDTABLE_RATE
from .participants import Participants
from .person_reach import PersonReach
from .roundtable_payloads import HardMutePayload, MuteAllPayload

DEVICE = {"audio": "microphone", "video": "camera"}
Publish = Callable[[str, RoundtableState], Awaitable[None]]


class HardMuteEvents:
    """Hard mutes of roundtables and their pair rooms; ``publish`` tells a room's new
    state and makes media match it (the roundtable events' ``_publish``)."""

    def __init__(self, service: RoomService, participants: Participants,
                 breakouts: BreakoutEvents, reach: PersonReach, publish: Publish) -> None:
        self._service = service
        self._tables = service.roundtables
        self._participants = participants
        self._breakouts = breakouts
        self._reach = reach
        self._publish = publish

    def events(self) -> EventTable:
        rate = ROUNDTABLE_RATE
        return {
            "hard_mute": EventSpec(HardMutePayload, self.hard_mute, rate),
            "mute_all": EventSpec(MuteAllPayload, self.mute_all, rate),
        }

    async def hard_mute(self, sid: str, payload: HardMutePayload) -> Ack:
        kind = TrackKind(payload.kind)
        grant = await self._breakouts.in_roundtable(sid)  # hard mutes live there
        if payload.muted:
            state = await self._tables.mute(grant, payload.identity, kind)
        else:
            state = await self._tables.unmute(grant, payload.identity, kind)
        await self._publish(grant.room_id, state)
        await self.mirror(grant.room_id)
        what = DEVICE[payload.kind]
        message = (f"A host muted your {what}." if payload.muted
                   else f"A host allowed your {what} again.")
        await self._tell_muted(grant.room_id, state, payload.identity,
                               {"kind": payload.kind, "muted": payload.muted,
                                "message": message})
        return ok_ack()

    async def mute_all(self, sid: str, payload: MuteAllPayload) -> Ack:
        """Everyone present in the roundtable and in its running breakout's pair rooms;
        from a pair room (a visiting host), that pair. Kept in the roundtable's state."""
        kind = TrackKind(payload.kind)
        session = self._participants.session(sid)
        grant = await self._breakouts.in_roundtable(sid)
        before = await self._tables.state(grant.room_id)
        if grant.room_id == session.room_id:
            paired = [] if before.breakout is None else [
                i for group in before.breakout.pairs for i in group]
            after = await self._tables.mute_all(grant, kind, paired)
        else:
            pair = await self._service.snapshot(session.room_id)
            after = await self._tables.mute_only(
                grant, kind, [p.identity for p in pair.participants])
        await self._publish(grant.room_id, after)
        await self.mirror(grant.room_id)
        message = f"A host muted everyone's {DEVICE[payload.kind]}."
        for mute in after.mutes:
            if mute.kind is kind and not before.is_muted(mute.identity, kind):
                await self._tell_muted(grant.room_id, after, mute.identity,
                                       {"kind": payload.kind, "muted": True,
                                        "message": message})
        return ok_ack()

    async def mirror(self, room_id: str) -> None:
        """The roundtable's hard mutes are the one truth: while a breakout runs, each
        pair room's state follows them (so they are told and enforced there, on every
        process, like the pair room's own state)."""
        state = await self._tables.state(room_id)  # the newest, whoever changed it
        if state.breakout is None:
            return
        for pair in state.breakout.room_ids(room_id):
            try:
                await self._publish(pair, await self._tables.copy_mutes(pair, state))
            except RoomError as exc:
                if exc.code != "room_not_found":  # the breakout ended meanwhile
                    raise

    async def _tell_muted(self, room_id: str, state: RoundtableState, identity: str,
                          data: dict[str, Any]) -> None:
        """Tell ``identity`` of a hard mute where they are: the roundtable or their pair."""
        pair = None if state.breakout is None else state.breakout.room_of(room_id, identity)
        for room in (room_id, *([pair] if pair is not None else [])):
            await self._reach.tell(room, identity, "hard_muted", data)
