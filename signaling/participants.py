"""The participants this process holds connections for, and their lifecycle.

Shared by every handler module: which connection speaks for which participant, the
participant locks, disconnect grace periods, seat leases (presence), room end timers
and the SFU's reports of failed media connections.

Concurrency rules, so one client can neither corrupt state nor leak a room:

* a connection's events run one at a time, under its sid lock (the namespace's);
* everything that changes a participant's membership or media holds that
  participant's lock (:meth:`Participants.lock`, by room id + identity), so a
  reconnect, a second tab, a disconnect and a grace timer of the same identity are
  applied one after another;
* after every await a handler re-checks that its session is still the current one
  (:meth:`Participants.still_current`) and undoes its own work if not.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from types import MappingProxyType
from typing import Any, NamedTuple

from media.sfu import Sfu
from rooms.clock import Clock
from rooms.errors import StoreUnavailable
from rooms.grants import JoinGrant
from rooms.service import RoomService

from .errors import SignalingError
from .handlers import Connections
from .locks import KeyedLocks
from .media_failures import media_failed
from .options import SignalingOptions
from .presence import SeatKeeper
from .room_hooks import NoRoomHooks, RoomHooks
from .room_timers import RoomEndTimers
from .session import CallSession, peer_id_for
from .subscriber_offers import SubscriberOffers

logger = logging.getLogger(__name__)

REPLACED_NOTICE = "person_replaced"  # {"room_id", "identity", "sid": the new connection}


class Takeover(NamedTuple):
    """What a new session of a participant took over from (see :meth:`take_over`)."""

    resumed: bool  # it came back within its disconnect grace period
    replaced_sid: str | None  # the connection it replaced (a second tab, a reconnect)


class Participants:
    """Sessions by connection, the connection that speaks for each participant, and what
    happens when they disconnect, lapse, fail or their room ends."""

    def __init__(self, service: RoomService, sfu: Sfu, options: SignalingOptions,
                 clock: Clock, connections: Connections) -> None:
        self._service = service
        self._sfu = sfu
        self._options = options
        self._clock = clock
        self._connections = connections
        self._sessions: dict[str, CallSession] = {}
        self._sid_by_peer: dict[str, str] = {}
        self._peer_locks = KeyedLocks()
        self._grace_tasks: dict[str, asyncio.Task[None]] = {}
        self._waiting: dict[str, JoinGrant] = {}  # sid -> grant, knocking in a lobby
        self.room_hooks: RoomHooks = NoRoomHooks()
        self._room_timers = RoomEndTimers(clock, self._end_room)
        self.seats = SeatKeeper(  # presence leases, write-back after a store restart
            service, clock, options.disconnect_grace_s, options.presence_interval_s,
            self._held_seats, self._expire_seat)
        sfu.on_peer_failed = partial(media_failed, self, sfu, connections)
        # every participant's one subscribe connection (sets sfu.on_renegotiate)
        self.subscribers = SubscriberOffers(service, sfu, connections, self.sessions,
                                            self.peer_sids, self._peer_locks,
                                            options.subscriber_answer_timeout_s)

    # -- reads ------------------------------------------------------------------

    @property
    def sessions(self) -> Mapping[str, CallSession]:
        """Joined sessions by sid (read-only)."""
        return MappingProxyType(self._sessions)

    @property
    def peer_sids(self) -> Mapping[str, str]:
        """The sid that speaks for each participant, by peer id (read-only)."""
        return MappingProxyType(self._sid_by_peer)

    @property
    def lease_s(self) -> float:
        """How long a seat's lease lasts when renewed."""
        return self.seats.lease_s

    def lock(self, peer_id: str) -> asyncio.Lock:
        """The participant's lock: hold it to change its membership or media."""
        return self._peer_locks(peer_id)

    def session(self, sid: str) -> CallSession:
        """The connection's session, or `not_joined`."""
        session = self._sessions.get(sid)
        if session is None:
            if sid in self._waiting:
                raise SignalingError("lobby_waiting", "You are waiting for a host to let you in.")
            raise SignalingError("not_joined", "Join the call first.")
        return session

    def sessions_in(self, room_id: str) -> list[CallSession]:
        """The joined sessions of ``room_id`` held here."""
        return [s for s in self._sessions.values() if s.room_id == room_id]

    # -- the lobby --------------------------------------------------------------

    def wait(self, sid: str, grant: JoinGrant) -> None:
        """``sid`` knocks in its room's lobby (it has no session)."""
        self._waiting[sid] = grant

    def stop_waiting(self, sid: str) -> JoinGrant | None:
        """``sid`` no longer knocks; its grant if it did."""
        return self._waiting.pop(sid, None)

    def waiting_sids(self, room_id: str, identity: str | None = None) -> list[str]:
        """The connections here knocking in ``room_id`` (as ``identity`` if given)."""
        return [sid for sid, g in self._waiting.items() if g.room_id == room_id
                and (identity is None or g.identity == identity)]

    def current(self, session: CallSession) -> bool:
        return self._sessions.get(session.sid) is session

    def still_current(self, session: CallSession) -> None:
        """Refuse with `not_joined` if the session was replaced or closed meanwhile."""
        if not self.current(session):
            raise SignalingError("not_joined", "You are no longer in this call.")

    def holds(self, peer_id: str) -> bool:
        """Whether a connection here speaks for the participant or its grace is pending."""
        return peer_id in self._sid_by_peer or peer_id in self._grace_tasks

    def sid_for(self, peer_id: str) -> str | None:
        return self._sid_by_peer.get(peer_id)

    # -- joining and leaving ----------------------------------------------------

    async def refresh_sources(self, room_id: str) -> None:
        """The room's membership changed (a join, a leave, an admit, a ban...): every
        subscribe connection here receives the room's participants now. Call it holding
        no participant lock (from under one: ``self.subscribers.refresh_soon``)."""
        await self.subscribers.refresh_sources(room_id)

    async def take_over(self, session: CallSession, quiet: bool = False) -> Takeover:
        """Make ``session`` the one speaking for its participant (under its lock):
        a grace period ends, a previous connection is replaced (``quiet``: a resume)."""
        grace = self._grace_tasks.pop(session.peer_id, None)
        if grace is not None:
            grace.cancel()
        old_sid = self._sid_by_peer.get(session.peer_id)
        self._sessions[session.sid] = session
        self._sid_by_peer[session.peer_id] = session.sid
        if old_sid is not None:
            await self._replace(old_sid, quiet)
        await self._connections.notify_processes(REPLACED_NOTICE, {"room_id": session.room_id,
            "identity": session.identity, "sid": session.sid, "quiet": quiet})
        return Takeover(resumed=grace is not None, replaced_sid=old_sid)

    def notices(self) -> dict[str, Callable[[dict[str, Any]], Awaitable[None]]]:
        return {REPLACED_NOTICE: self._on_replaced}  # signaling/process_notices.py

    async def _on_replaced(self, notice: dict[str, Any]) -> None:
        """They joined through another connection (on any process): one held here is
        replaced and closed (on the joining process, under the join's lock: nothing)."""
        peer_id = peer_id_for(str(notice["room_id"]), str(notice["identity"]))
        new_sid = notice["sid"]
        if self._sid_by_peer.get(peer_id, new_sid) == new_sid \
                and peer_id not in self._grace_tasks:
            return
        async with self._peer_locks(peer_id):
            grace = self._grace_tasks.pop(peer_id, None)
            if grace is not None:
                grace.cancel()  # the lease is the new connection's to renew
            old_sid = self._sid_by_peer.get(peer_id)
            if old_sid == new_sid:
                return
            if old_sid is not None:
                del self._sid_by_peer[peer_id]
                await self._replace(old_sid, notice.get("quiet") is True)
            await self._sfu.remove_peer(peer_id)  # media held for a resume: it is elsewhere

    def watch_room(self, room_id: str, expires_at: float) -> None:
        """End the room for everyone here at ``expires_at``."""
        self._room_timers.watch(room_id, expires_at)

    def forget(self, sid: str) -> None:
        """The connection no longer has a session (it left)."""
        del self._sessions[sid]

    def release_peer(self, session: CallSession) -> bool:
        """Forget that this connection speaks for its participant; False if another does."""
        if self._sid_by_peer.get(session.peer_id) != session.sid:
            return False
        del self._sid_by_peer[session.peer_id]
        return True

    async def remove_participant(self, room_id: str, identity: str, reason: str) -> None:
        """Take the participant out of the room and tell the room, if it was there."""
        if await self._service.leave(room_id, identity):
            await self._announce_left(room_id, identity, reason)

    async def disconnected(self, sid: str) -> None:
        """The connection closed: its seat and media are held for the grace period."""
        knock = self._waiting.pop(sid, None)
        if knock is not None:
            try:
                await self.room_hooks.knock_withdrawn(sid, knock)
            except Exception:
                logger.exception("withdrawing the knock of %s failed", knock.identity)
        session = self._sessions.pop(sid, None)
        if session is None:
            return
        try:
            async with self._peer_locks(session.peer_id):
                if self.release_peer(session):
                    # Media kept (a resume here restarts its ICE); other processes see
                    # the seat lapse when this grace period ends.
                    until = self._clock.now() + self._options.disconnect_grace_s
                    self._grace_tasks[session.peer_id] = asyncio.create_task(
                        self._remove_after_grace(session, until)
                    )
                    await self._service.renew_seats(session.room_id, [session.identity], until)
                    await self._withdraw_tracks(session)
        except StoreUnavailable:
            logger.warning("cleaning up after %s disconnected: store unavailable",
                           session.identity)
        except Exception:
            logger.exception("cleaning up after %s disconnected failed", session.identity)

    # -- lifecycle --------------------------------------------------------------

    async def _replace(self, old_sid: str, quiet: bool = False) -> None:
        """Another connection joined with this identity: close the old one (without
        ``replaced`` if ``quiet``: the same client resumed on a new connection).

        Runs under the participant's lock; the old connection's session is dropped
        first, so its disconnect handler finds nothing left to clean.
        """
        old = self._sessions.pop(old_sid, None)
        if old is not None:  # a resume keeps the media: it may restart its ICE
            await self._connections.leave_room(old_sid, old.room_id)
            if not quiet:
                await self._sfu.remove_peer(old.peer_id)
        if not quiet:
            await self._connections.emit("replaced", {
                "message": "You joined this call from another window; this one was closed."},
                to=old_sid)
        await self._connections.disconnect(old_sid)

    async def _withdraw_tracks(self, session: CallSession) -> None:
        """Unreachable: the seat (and media) stay for the grace period, the tracks do not."""
        await self._service.set_tracks(session.grant, [])
        await self._connections.emit("track_published", {
            "identity": session.identity, "tracks": []}, room=session.room_id, skip_sid=session.sid)

    async def _remove_after_grace(self, session: CallSession, until: float) -> None:
        await asyncio.sleep(self._options.disconnect_grace_s)
        async with self._peer_locks(session.peer_id):
            if self._grace_tasks.get(session.peer_id) is not asyncio.current_task():
                return
            del self._grace_tasks[session.peer_id]
            if session.peer_id in self._sid_by_peer:
                return  # rejoined meanwhile
            await self._sfu.remove_peer(session.peer_id)  # the media it held for a resume
            try:
                # Only if nobody renewed the lease since (a rejoin through another process).
                removed = await self._service.remove_lapsed(
                    session.room_id, session.identity, until)
            except StoreUnavailable:
                logger.warning("removing %s after disconnect: store unavailable",
                               session.identity)
                return  # the lease lapses anyway: a sweeper removes the seat
            except Exception:
                logger.exception("removing %s after disconnect failed", session.identity)
                return  # the lease lapses anyway: a sweeper removes the seat
        if removed:
            await self._announce_left(session.room_id, session.identity, "disconnected")

    def _held_seats(self) -> dict[str, list[str]]:
        """The seats whose connection this process holds, by room."""
        held: dict[str, list[str]] = {}
        for session in self._sessions.values():
            held.setdefault(session.room_id, []).append(session.identity)
        return held

    async def _expire_seat(self, room_id: str, identity: str, now: float) -> None:
        """A seat's lease lapsed (its process died, or its grace ran out): remove it."""
        peer_id = peer_id_for(room_id, identity)
        async with self._peer_locks(peer_id):
            if peer_id in self._sid_by_peer:
                return  # held here: the next renewal extends it
            if not await self._service.remove_lapsed(room_id, identity, now):
                return
            grace = self._grace_tasks.pop(peer_id, None)
            if grace is not None:
                grace.cancel()
                await self._sfu.remove_peer(peer_id)  # the media held for a resume
        await self._announce_left(room_id, identity, "disconnected")

    async def keep_presence(self) -> None:
        """Renew this process's seat leases and expire lapsed ones until cancelled."""
        await self.seats.run()
    async def evict(self, room_id: str, identity: str, reason: str) -> str | None:
        """Take ``identity`` out of the room now (moved into or out of a breakout pair):
        its session here, media and seat go, the room is told. Returns the connection it
        had here, if any (the caller tells it and disconnects or moves it)."""
        peer_id = peer_id_for(room_id, identity)
        async with self._peer_locks(peer_id):
            sid = await self._drop_here(room_id, peer_id)
            removed = await self._service.leave(room_id, identity)
        if removed:
            await self._announce_left(room_id, identity, reason)
        return sid

    async def evict_here(self, room_id: str, identity: str, knockers: bool = True) -> list[str]:
        """Take ``identity``'s connection here out of the room (a host removed or turned
        them away, on whichever process): its session and media go, a pending grace
        ends; with ``knockers`` its connections knocking here stop waiting. Returns those
        connections (the caller tells and disconnects them). The seat itself is the
        acting process's to remove (:meth:`remove_participant`)."""
        peer_id = peer_id_for(room_id, identity)
        async with self._peer_locks(peer_id):
            sid = await self._drop_here(room_id, peer_id)
        gone = [] if sid is None else [sid]
        if knockers:
            for knocker in self.waiting_sids(room_id, identity):
                self._waiting.pop(knocker, None)
                gone.append(knocker)
        return gone

    async def _drop_here(self, room_id: str, peer_id: str) -> str | None:
        """Under the participant's lock: its session, grace and media here go; its sid."""
        sid = self._sid_by_peer.pop(peer_id, None)
        if sid is not None:
            self._sessions.pop(sid, None)
            await self._connections.leave_room(sid, room_id)
        grace = self._grace_tasks.pop(peer_id, None)
        if grace is not None:
            grace.cancel()
        await self._sfu.remove_peer(peer_id)
        return sid

    async def _announce_left(self, room_id: str, identity: str, reason: str) -> None:
        await self._connections.emit(
            "participant_left", {"identity": identity, "reason": reason}, room=room_id
        )
        self.subscribers.refresh_soon(room_id)  # may run under the leaver's lock
        logger.info("%s left room %s (%s)", identity, room_id, reason)
        try:
            await self.room_hooks.membership_changed(room_id)
        except Exception:
            logger.exception("after %s left room %s", identity, room_id)

    async def _end_room(self, room_id: str) -> None:
        """The room's time is over: tell everyone, close their media, disconnect them."""
        await self.end_room(room_id, "This session's time is over.")

    async def end_room(self, room_id: str, message: str, spare_sid: str | None = None) -> None:
        """End the room for the connections held here (every process does its own, the
        lobby's too): tell, close media, disconnect, then the room kind's hooks; only
        ``spare_sid`` is just taken out of the room (it still has an ack to receive)."""
        for sid in self.waiting_sids(room_id):
            self._waiting.pop(sid, None)
            await self._connections.emit("room_ended", {"message": message}, to=sid)
            await self._connections.disconnect(sid)
        for session in [s for s in self._sessions.values() if s.room_id == room_id]:
            async with self._peer_locks(session.peer_id):
                if self._sessions.pop(session.sid, None) is None:
                    continue
                if self.release_peer(session):
                    await self._sfu.remove_peer(session.peer_id)
                await self._service.leave(room_id, session.identity)
            await self._connections.emit("room_ended", {"message": message}, to=session.sid)
            if session.sid == spare_sid:
                await self._connections.leave_room(session.sid, room_id)
            else:
                await self._connections.disconnect(session.sid)
        await self.room_hooks.room_ended(room_id)  # never raises
        logger.info("room %s ended", room_id)

    async def close(self) -> None:
        """Cancel pending timers (server shutdown)."""
        for task in self._grace_tasks.values():
            task.cancel()
        self._grace_tasks.clear()
        await self._room_timers.close()
        await self.room_hooks.close()
        await self.subscribers.close()
