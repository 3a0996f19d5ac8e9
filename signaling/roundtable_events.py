"""The roundtable's client events: host controls and the lobby (docs/protocol.md,
Roundtables; hands and the speaking timer: :mod:`signaling.floor_events`), and the
roundtable's part in joining, leaving, publishing and muting
(:class:`~signaling.room_hooks.RoomHooks`).

The actor is always the connection's session (its verified grant); the checks and the
change run atomically in :class:`~rooms.roundtables.service.RoundtableService`. After
every change the room gets `roundtable_state` and its hosts `lobby`, and the media side
is made to match the newest state (hard mutes gate the SFU's forwarding).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from media.sfu import Sfu
from rooms.clock import Clock
from rooms.errors import RoomError
from rooms.grants import JoinGrant
from rooms.models import RoomKind, RoomSnapshot, TrackKind
from rooms.roundtables.model import RoundtableState
from rooms.service import RoomService

from .breakout_events import BreakoutEvents
from .dispatch import Ack
from .errors import SignalingError, ok_ack
from .handlers import Connections, EventSpec, EventTable
from .hard_mute_events import HardMuteEvents
from .limits import ROUNDTABLE_RATE
from .participants import Participants
from .person_reach import NoticeHandlers, PersonReach
from .roundtable_payloads import (
    LobbyPayload,
    LockPayload,
    NoFieldsPayload,
    TargetPayload,
)
from .roundtable_views import hosts_room, knock_room, lobby_view, state_view
from .session import CallSession, peer_id_for

logger = logging.getLogger(__name__)

Action = Callable[[JoinGrant], Awaitable[RoundtableState]]
KINDS = ("audio", "video")
# process notices (signaling/process_notices.py)
END_NOTICE = "roundtable_end"
STATE_NOTICE = "roundtable_changed"


class RoundtableEvents:
    """Host controls, lobby, hands and timer of roundtable rooms."""

    def __init__(self, service: RoomService, sfu: Sfu, participants: Participants,
                 connections: Connections, clock: Clock, breakouts: BreakoutEvents) -> None:
        self._service = service
        self._clock = clock
        self._tables = service.roundtables
        self._sfu = sfu
        self._participants = participants
        self._connections = connections
        self._reach = PersonReach(participants, connections)
        self._rooms: set[str] = set()  # roundtable rooms with sessions here
        self._published: dict[str, int] = {}  # room id -> newest revision told and enforced
        self._settlers: dict[str, asyncio.Task[None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        sfu.speakers.on_active_speaker = self._speaker_changed
        self._breakouts = breakouts
        breakouts.tell = self._publish
        breakouts.forget_room = self._forget
        self.mutes = HardMuteEvents(service, participants, breakouts, self._reach,
                                    self._publish)  # its own handler module

    def events(self) -> EventTable:
        rate = ROUNDTABLE_RATE
        return {
            "promote": EventSpec(TargetPayload, self.promote, rate),
            "demote": EventSpec(TargetPayload, self.demote, rate),
            "hand_over": EventSpec(TargetPayload, self.hand_over, rate),
            "set_lobby": EventSpec(LobbyPayload, self.set_lobby, rate),
            "admit": EventSpec(TargetPayload, self.admit, rate),
            "deny": EventSpec(TargetPayload, self.deny, rate),
            "set_locked": EventSpec(LockPayload, self.set_locked, rate),
            "remove": EventSpec(TargetPayload, self.remove, rate),
            "end_room": EventSpec(NoFieldsPayload, self.end_room, rate),
        }

    # -- events -------------------------------------------------------------------

    async def act(self, sid: str, action: Action) -> CallSession:
        """Run ``action`` as the connection's session; tell the room the new state."""
        session = self._participants.session(sid)
        await self._publish(session.room_id, await action(session.grant))
        return session

    async def promote(self, sid: str, payload: TargetPayload) -> Ack:
        await self.act(sid, lambda g: self._tables.promote(g, payload.identity))
        return ok_ack()

    async def demote(self, sid: str, payload: TargetPayload) -> Ack:
        await self.act(sid, lambda g: self._tables.demote(g, payload.identity))
        return ok_ack()

    async def hand_over(self, sid: str, payload: TargetPayload) -> Ack:
        await self.act(sid, lambda g: self._tables.hand_over(g, payload.identity))
        return ok_ack()

    async def set_lobby(self, sid: str, payload: LobbyPayload) -> Ack:
        session = self._participants.session(sid)
        before = await self._tables.state(session.room_id)
        after = await self._tables.set_lobby(session.grant, payload.on)
        await self._publish(session.room_id, after)
        for knock in before.knocking:  # turning the lobby off lets everyone waiting in
            if after.knock_of(knock.identity) is None and after.role_of(knock.identity):
                await self._tell_admitted(session.room_id, knock.identity)
        return ok_ack()

    async def set_locked(self, sid: str, payload: LockPayload) -> Ack:
        await self.act(sid, lambda g: self._tables.set_locked(g, payload.locked))
        return ok_ack()

    async def admit(self, sid: str, payload: TargetPayload) -> Ack:
        session = await self.act(sid, lambda g: self._tables.admit(g, payload.identity))
        await self._tell_admitted(session.room_id, payload.identity)
        return ok_ack()

    async def _tell_admitted(self, room_id: str, identity: str) -> None:
        await self._connections.emit("admitted", {"message": "A host let you in."},
                                     room=knock_room(room_id, identity))

    async def deny(self, sid: str, payload: TargetPayload) -> Ack:
        session = await self.act(sid, lambda g: self._tables.deny(g, payload.identity))
        await self._reach.turn_away(session.room_id, payload.identity, "denied",
                              {"message": "A host did not let you in."}, knockers_only=True)
        return ok_ack()

    async def remove(self, sid: str, payload: TargetPayload) -> Ack:
        session = await self.act(sid, lambda g: self._tables.ban(g, payload.identity))
        removed = {"message": "A host removed you from this session."}
        pair = await self._breakouts.pair_room_of(session.room_id, payload.identity)
        for room_id in (session.room_id, *([pair] if pair is not None else [])):
            await self._reach.turn_away(room_id, payload.identity, "removed", removed)
            await self._participants.remove_participant(room_id, payload.identity, "removed")
        return ok_ack()

    async def end_room(self, sid: str, payload: NoFieldsPayload) -> Ack:
        session = self._participants.session(sid)
        state = await self._tables.state(session.room_id)
        if not state.is_hosting(session.identity):
            raise SignalingError("not_host", "Only a host can end the session for everyone.")
        await self._connections.notify_processes(
            END_NOTICE, {"room_id": session.room_id, "message": "A host ended this session.",
                         "spare_sid": sid})
        await self._service.end(session.room_id)
        return ok_ack()

    # -- reaching a person on whichever process holds their connection -------------

    def notices(self) -> NoticeHandlers:
        """The process notices this module handles (see :mod:`signaling.process_notices`)."""
        return {**self._reach.notices(), END_NOTICE: self._on_end,
                STATE_NOTICE: self._on_state}

    async def _on_end(self, notice: dict[str, Any]) -> None:
        room_id = notice["room_id"]
        await self._participants.end_room(room_id, notice["message"],
                                          spare_sid=notice.get("spare_sid"))
        self._forget(room_id)

    async def _on_state(self, notice: dict[str, Any]) -> None:
        """Another process changed the room's state: make media and the hosts' Socket.IO
        room here match it (hard mutes gate this process's forwarding)."""
        room_id = notice["room_id"]
        if room_id not in self._rooms or notice["revision"] <= self._published.get(room_id, -1):
            return
        state = await self._tables.state(room_id)
        if state.revision <= self._published.get(room_id, -1):
            return
        self._published[room_id] = state.revision
        self._enforce(room_id, state)
        await self._sync_hosts(room_id, state)

    # -- room hooks ---------------------------------------------------------------

    async def joined(self, session: CallSession, snapshot: RoomSnapshot) -> dict[str, Any]:
        if snapshot.room.kind is not RoomKind.ROUNDTABLE:
            return {}
        room_id = session.room_id
        self._rooms.add(room_id)
        await self._connections.leave_room(session.sid, knock_room(room_id, session.identity))
        roster, state = await self._tables.roster(room_id)
        if state.host_away_since is not None:  # a co-host may take a held seat (later)
            state = await self._tables.settle_host(room_id)
        self._speaker_group(room_id)
        if self._sfu.last_n(room_id) is None:
            self._sfu.set_last_n(room_id)  # video slots: the N most recent speakers
        await self._publish(room_id, state, force_hosts=True)
        speaker = self._sfu.speakers.speaker(room_id)
        extra: dict[str, Any] = {"room": roster.model_dump(mode="json"),
                                 "roundtable": state_view(
                                     state, self._clock.now(), room_id,
                                     {p.identity for p in roster.participants}),
                                 # who is speaking now: `active_speaker` only tells changes
                                 "speaker": None if speaker is None
                                 else speaker.removeprefix(f"{room_id}:")}
        if state.is_hosting(session.identity):
            extra["lobby"] = lobby_view(state)
        return extra | await self._breakouts.joined(session, snapshot.room, state)

    async def knocked(self, sid: str, grant: JoinGrant) -> None:
        await self._connections.enter_room(sid, knock_room(grant.room_id, grant.identity))
        await self._connections.emit("lobby", lobby_view(await self._tables.state(
            grant.room_id)), room=hosts_room(grant.room_id))

    async def knock_withdrawn(self, sid: str, grant: JoinGrant) -> None:
        await self._connections.leave_room(sid, knock_room(grant.room_id, grant.identity))
        if self._participants.waiting_sids(grant.room_id, grant.identity):
            return  # another connection of theirs still knocks
        try:
            state = await self._tables.left(grant.room_id, grant.identity)
        except RoomError as exc:
            if exc.code == "room_not_found":
                return  # the room ended meanwhile: nothing left to withdraw from
            raise
        await self._publish(grant.room_id, state)

    async def membership_changed(self, room_id: str) -> None:
        if room_id not in self._rooms:
            return
        self._speaker_group(room_id)
        await self._publish(room_id, await self._tables.settle_host(room_id))
        if not self._participants.sessions_in(room_id) and not \
                self._participants.waiting_sids(room_id):
            self._forget(room_id)

    def before_subscribe(self, session: CallSession) -> None:
        if session.room_id in self._rooms:  # its first offer already has video slots
            self._speaker_group(session.room_id)

    async def before_publish(self, session: CallSession) -> None:
        if session.room_id in self._rooms:
            state = await self._tables.state(session.room_id)
            for kind in KINDS:
                muted = state.is_muted(session.identity, TrackKind(kind))
                self._sfu.set_forwarding(session.peer_id, kind, not muted)

    async def check_mute(self, session: CallSession, kind: str, muted: bool) -> None:
        if muted or session.room_id not in self._rooms:
            return
        state = await self._tables.state(session.room_id)
        if state.is_muted(session.identity, TrackKind(kind)):
            raise SignalingError("hard_muted", "A host muted this for you; only a host can "
                                 "turn it back on.")

    async def published(self, session: CallSession) -> None:
        return None

    async def room_ended(self, room_id: str) -> None:
        return None

    async def close(self) -> None:
        await self._breakouts.close()
        tasks = [*self._settlers.values(), *self._tasks]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._settlers.clear()

    # -- telling the room and enforcing in media -----------------------------------

    async def _publish(self, room_id: str, state: RoundtableState,
                       force_hosts: bool = False) -> None:
        """Tell the room about ``state`` and make media match it, unless a newer state
        was already told (two actions finishing out of order)."""
        if state.host_away_since is not None:
            self._settle_later(room_id, state.host_away_since)
        if state.revision <= self._published.get(room_id, -1):
            if force_hosts:
                await self._sync_hosts(room_id, state)
            return
        self._published[room_id] = state.revision
        self._enforce(room_id, state)
        await self._sync_hosts(room_id, state)
        present = await self._tables.present(room_id)
        await self._connections.emit(
            "roundtable_state", state_view(state, self._clock.now(), room_id, present),
            room=room_id)
        await self._connections.emit("lobby", lobby_view(state), room=hosts_room(room_id))
        await self._connections.notify_processes(
            STATE_NOTICE, {"room_id": room_id, "revision": state.revision})

    def _enforce(self, room_id: str, state: RoundtableState) -> None:
        """Hard mutes: the SFU forwards nothing of a muted kind (its speaker never wins)."""
        people = {s.identity for s in self._participants.sessions_in(room_id)}
        people.update(m.identity for m in state.mutes)
        for identity in people:
            peer_id = peer_id_for(room_id, identity)
            for kind in KINDS:
                muted = state.is_muted(identity, TrackKind(kind))
                self._sfu.set_forwarding(peer_id, kind, not muted)
            self._sfu.speakers.set_muted(peer_id, state.is_muted(identity, TrackKind.AUDIO))

    async def _sync_hosts(self, room_id: str, state: RoundtableState) -> None:
        """Hosts and co-hosts here are in the hosts' Socket.IO room; nobody else is."""
        for session in self._participants.sessions_in(room_id):
            if state.is_hosting(session.identity):
                await self._connections.enter_room(session.sid, hosts_room(room_id))
            else:
                await self._connections.leave_room(session.sid, hosts_room(room_id))

    def _settle_later(self, room_id: str, away_since: float) -> None:
        """Once a dropped host's seat has been held long enough, hand it on."""
        if room_id in self._settlers:
            return
        delay = max(0.5, away_since + self._tables.host_grace_s - self._clock.now() + 0.5)

        async def settle() -> None:
            try:
                await asyncio.sleep(delay)
                self._settlers.pop(room_id, None)
                if room_id in self._rooms:
                    await self._publish(room_id, await self._tables.settle_host(room_id))
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("settling the host of %s failed", room_id)

        self._settlers[room_id] = asyncio.create_task(settle())

    def _forget(self, room_id: str) -> None:
        self._rooms.discard(room_id)
        self._published.pop(room_id, None)
        settler = self._settlers.pop(room_id, None)
        if settler is not None:
            settler.cancel()
        self._sfu.speakers.remove_group(room_id)
        self._sfu.set_last_n(room_id, on=False)

    # -- active speaker -----------------------------------------------------------

    def _speaker_group(self, room_id: str) -> None:
        peers = [s.peer_id for s in self._participants.sessions_in(room_id)]
        self._sfu.speakers.set_group(room_id, peers)

    def _speaker_changed(self, room_id: str, peer_id: str) -> None:
        """From the packet path (sync): emit `active_speaker` from a task."""
        if room_id not in self._rooms:
            return
        identity = peer_id.removeprefix(f"{room_id}:")
        task = asyncio.get_running_loop().create_task(self._connections.emit(
            "active_speaker", {"identity": identity}, room=room_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
