"""The call namespace: one thin handler per client event (see docs/protocol.md).

Concurrency rules, so one client can neither corrupt state nor leak a room:

* a connection's events run one at a time, under its sid lock (created on connect,
  dropped on disconnect; an event for a sid without a lock is refused);
* everything that changes a participant's membership or media holds that
  participant's lock (room id + identity), so a reconnect, a second tab, a disconnect
  and a grace timer of the same identity are applied one after another;
* after every await a handler re-checks that its session is still the current one and
  undoes its own work if not.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import socketio
from pydantic import BaseModel

from media.sfu import Sfu
from rooms.clock import Clock, SystemClock
from rooms.errors import StoreUnavailable
from rooms.models import Track, TrackKind
from rooms.service import RoomService

from .dispatch import Ack, parse_payload, run_handler
from .errors import SignalingError, error_ack, ok_ack
from .limits import ConnectionLimits
from .locks import KeyedLocks
from .media_failures import MEDIA_FAILED_EVENT, drop_failed_connection
from .payloads import (
    JoinPayload,
    LeavePayload,
    MutePayload,
    PublishPayload,
    SubscribePayload,
    SubscriptionAnswerPayload,
)
from .presence import SeatKeeper
from .room_timers import RoomEndTimers
from .session import CallSession, peer_id_for

logger = logging.getLogger(__name__)

EventHandler = Callable[[str, Any], Awaitable[Ack]]
RESERVED_EVENTS = ("connect", "disconnect")


@dataclass(frozen=True)
class SignalingOptions:
    """Settings the namespace needs, passed in by the app factory."""

    disconnect_grace_s: float = 10.0
    ice_servers: tuple[str, ...] = ()
    presence_interval_s: float = 5.0  # seat lease renewal and sweep period


class CallNamespace(socketio.AsyncNamespace):
    """Joins, publishes and subscribes participants of 1:1 and group calls."""

    def __init__(
        self,
        service: RoomService,
        sfu: Sfu,
        options: SignalingOptions,
        clock: Clock | None = None,
        namespace: str = "/",
    ) -> None:
        super().__init__(namespace)
        self._service = service
        self._sfu = sfu
        self._options = options
        self._sessions: dict[str, CallSession] = {}
        self._sid_locks: dict[str, asyncio.Lock] = {}
        self._limits: dict[str, ConnectionLimits] = {}
        self._clock = clock or SystemClock()
        self._peer_locks = KeyedLocks()
        self._sid_by_peer: dict[str, str] = {}
        self._grace_tasks: dict[str, asyncio.Task[None]] = {}
        self._room_timers = RoomEndTimers(self._clock, self._end_room)
        self._seats = SeatKeeper(service, self._clock, options.disconnect_grace_s,
                                 options.presence_interval_s, self._held_seats,
                                 self._expire_seat)
        self._events: dict[str, tuple[type[BaseModel], EventHandler]] = {
            "join": (JoinPayload, self._join),
            "publish": (PublishPayload, self._publish),
            "subscribe": (SubscribePayload, self._subscribe),
            "subscription_answer": (SubscriptionAnswerPayload, self._subscription_answer),
            "mute": (MutePayload, self._mute),
            "leave": (LeavePayload, self._leave),
        }
        sfu.on_peer_failed = self._media_failed

    # -- dispatch ---------------------------------------------------------------

    async def trigger_event(self, event: str, *args: Any) -> Any:
        """Route every event through validation; unknown events get an error ack."""
        sid, data = args[0], args[1:]
        if event in RESERVED_EVENTS and not self._sent_by_client(sid):
            return await super().trigger_event(event, *args)
        entry = self._events.get(event)
        lock, limits = self._sid_locks.get(sid), self._limits.get(sid)
        if entry is None:
            if limits is not None:
                limits.refusals.note("unknown_event")  # logged in aggregate, not per event
            return error_ack("unknown_event", "The server does not know this event.")
        if lock is None or limits is None:
            return error_ack("not_joined", "This connection is closed.")
        model, handler = entry

        async def call() -> Ack:
            payload = parse_payload(model, data)
            limits.admit(event)
            try:
                async with lock:
                    return await handler(sid, payload)
            finally:
                limits.done()

        return await run_handler(event, sid, call)

    def _sent_by_client(self, sid: str) -> bool:
        """A client can emit "connect"/"disconnect" itself; the server's own are pending."""
        return bool(self.server.manager.is_connected(sid, self.namespace))

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        self._sid_locks.setdefault(sid, asyncio.Lock())
        self._limits.setdefault(sid, ConnectionLimits(self._clock, who=f"connection {sid}"))

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        self._sid_locks.pop(sid, None)
        limits = self._limits.pop(sid, None)
        if limits is not None:
            limits.refusals.flush()
        session = self._sessions.pop(sid, None)
        if session is None:
            return
        try:
            async with self._peer_locks(session.peer_id):
                if self._release_peer(session):
                    await self._sfu.remove_peer(session.peer_id)
                    # Other processes see the seat lapse when this grace period ends.
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

    def _connected(self, sid: str) -> bool:
        return sid in self._sid_locks

    def _current(self, session: CallSession) -> bool:
        return self._sessions.get(session.sid) is session

    def _release_peer(self, session: CallSession) -> bool:
        """Forget that this connection speaks for its participant; False if another does."""
        if self._sid_by_peer.get(session.peer_id) != session.sid:
            return False
        del self._sid_by_peer[session.peer_id]
        return True

    # -- handlers ---------------------------------------------------------------

    def _session(self, sid: str) -> CallSession:
        session = self._sessions.get(sid)
        if session is None:
            raise SignalingError("not_joined", "Join the call first.")
        return session

    def _still_current(self, session: CallSession) -> None:
        if not self._current(session):
            raise SignalingError("not_joined", "You are no longer in this call.")

    async def _join(self, sid: str, payload: JoinPayload) -> Ack:
        if sid in self._sessions:
            raise SignalingError("already_joined", "This connection has already joined a call.")
        grant = self._service.verify(payload.token)
        peer_id = peer_id_for(grant.room_id, grant.identity)
        async with self._peer_locks(peer_id):
            snapshot = await self._service.join(grant, self._seats.lease_s)
            if not self._connected(sid):
                if peer_id not in self._sid_by_peer and peer_id not in self._grace_tasks:
                    await self._service.leave(grant.room_id, grant.identity)
                raise SignalingError("not_joined", "This connection closed while joining.")
            grace = self._grace_tasks.pop(peer_id, None)
            if grace is not None:
                grace.cancel()
            old_sid = self._sid_by_peer.get(peer_id)
            session = CallSession(sid=sid, grant=grant)
            self._sessions[sid] = session
            self._sid_by_peer[peer_id] = sid
            if old_sid is not None:
                await self._replace(old_sid)
        await self.enter_room(sid, grant.room_id)
        self._room_timers.watch(grant.room_id, snapshot.room.expires_at)
        you = next(p for p in snapshot.participants if p.identity == grant.identity)
        if grace is None and old_sid is None:
            await self.emit(
                "participant_joined",
                {"participant": you.model_dump(mode="json")},
                room=grant.room_id,
                skip_sid=sid,
            )
        logger.info("%s joined room %s as %s", grant.identity, grant.room_id, grant.role.value)
        return ok_ack(
            you=you.model_dump(mode="json"),
            room=snapshot.model_dump(mode="json"),
            ice_servers=[{"urls": url} for url in self._options.ice_servers],
        )

    async def _publish(self, sid: str, payload: PublishPayload) -> Ack:
        session = self._session(sid)
        if not session.grant.publish:
            raise SignalingError("forbidden", "Your link does not allow sending media.")
        async with self._peer_locks(session.peer_id):
            self._still_current(session)
            answer = await self._sfu.publish(session.peer_id, payload.sdp)
            try:
                self._still_current(session)
                tracks = [
                    Track(kind=TrackKind(t.kind), track_id=t.track_id)
                    for t in self._sfu.published_tracks(session.peer_id)
                ]
                await self._service.set_tracks(session.grant, tracks)
            except BaseException:
                if self._sid_by_peer.get(session.peer_id) in (session.sid, None):
                    await self._sfu.remove_peer(session.peer_id)
                raise
        await self.emit(
            "track_published",
            {"identity": session.identity, "tracks": [t.model_dump(mode="json") for t in tracks]},
            room=session.room_id,
            skip_sid=sid,
        )
        return ok_ack(sdp=answer)

    async def _subscribe(self, sid: str, payload: SubscribePayload) -> Ack:
        session = self._session(sid)
        if not session.grant.subscribe:
            raise SignalingError("forbidden", "Your link does not allow receiving media.")
        if payload.publisher == session.identity:
            raise SignalingError("not_in_room", "You cannot subscribe to yourself.")
        snapshot = await self._service.snapshot(session.room_id)
        if snapshot.participant(payload.publisher) is None:
            raise SignalingError("not_in_room", "That participant is not in your call.")
        async with self._peer_locks(session.peer_id):
            self._still_current(session)
            for old_id, publisher in list(session.subscriptions.items()):
                if publisher == payload.publisher:
                    del session.subscriptions[old_id]
                    await self._sfu.unsubscribe(old_id)
            subscription_id, offer = await self._sfu.subscribe(
                session.peer_id, peer_id_for(session.room_id, payload.publisher)
            )
            if not self._current(session):
                await self._sfu.unsubscribe(subscription_id)
                raise SignalingError("not_joined", "You are no longer in this call.")
            session.subscriptions[subscription_id] = payload.publisher
        return ok_ack(subscription_id=subscription_id, sdp=offer)

    async def _subscription_answer(self, sid: str, payload: SubscriptionAnswerPayload) -> Ack:
        session = self._session(sid)
        if payload.subscription_id not in session.subscriptions:
            raise SignalingError("unknown_subscription", "No such subscription on this connection.")
        await self._sfu.accept_answer(payload.subscription_id, payload.sdp)
        return ok_ack()

    async def _mute(self, sid: str, payload: MutePayload) -> Ack:
        session = self._session(sid)
        async with self._peer_locks(session.peer_id):
            snapshot = await self._service.snapshot(session.room_id)
            me = snapshot.participant(session.identity)
            if me is None or not self._current(session):
                raise SignalingError("not_joined", "You are no longer in this call.")
            tracks = [
                t.model_copy(update={"muted": payload.muted}) if t.kind == payload.kind else t
                for t in me.tracks
            ]
            await self._service.set_tracks(session.grant, tracks)
        await self.emit(
            "track_muted",
            {"identity": session.identity, "kind": payload.kind, "muted": payload.muted},
            room=session.room_id,
            skip_sid=sid,
        )
        return ok_ack()

    async def _leave(self, sid: str, payload: LeavePayload) -> Ack:
        session = self._session(sid)
        async with self._peer_locks(session.peer_id):
            del self._sessions[sid]
            await self.leave_room(sid, session.room_id)
            if self._release_peer(session):
                await self._sfu.remove_peer(session.peer_id)
                await self._remove_participant(session.room_id, session.identity, "left")
        return ok_ack()

    # -- lifecycle --------------------------------------------------------------

    async def _media_failed(self, peer_id: str, connection: str) -> None:
        """One of a participant's media connections failed: tell them (media_failures)."""
        session = self._sessions.get(self._sid_by_peer.get(peer_id, ""))
        if session is None:
            return
        async with self._peer_locks(peer_id):
            if not self._current(session):
                return
            payload = await drop_failed_connection(self._sfu, session, connection)
        if payload is not None:
            logger.info("%s: media connection %s failed", session.identity, connection)
            await self.emit(MEDIA_FAILED_EVENT, payload, to=session.sid)

    async def _replace(self, old_sid: str) -> None:
        """Another connection joined with this identity: close the old one.

        Runs under the participant's lock; the old connection's session is dropped
        first, so its disconnect handler finds nothing left to clean.
        """
        old = self._sessions.pop(old_sid, None)
        if old is not None:
            await self._sfu.remove_peer(old.peer_id)
            await self.leave_room(old_sid, old.room_id)
        await self.emit(
            "replaced",
            {"message": "You joined this call from another window; this one was closed."},
            to=old_sid,
        )
        await self.disconnect(old_sid)

    async def _withdraw_tracks(self, session: CallSession) -> None:
        """Its media is gone: the seat stays for the grace period, the tracks do not."""
        await self._service.set_tracks(session.grant, [])
        await self.emit(
            "track_published",
            {"identity": session.identity, "tracks": []},
            room=session.room_id,
            skip_sid=session.sid,
        )

    async def _remove_after_grace(self, session: CallSession, until: float) -> None:
        await asyncio.sleep(self._options.disconnect_grace_s)
        async with self._peer_locks(session.peer_id):
            if self._grace_tasks.get(session.peer_id) is not asyncio.current_task():
                return
            del self._grace_tasks[session.peer_id]
            if session.peer_id in self._sid_by_peer:
                return  # rejoined meanwhile
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
        await self._announce_left(room_id, identity, "disconnected")

    async def keep_presence(self) -> None:
        """Renew this process's seat leases and expire lapsed ones until cancelled."""
        await self._seats.run()

    async def _remove_participant(self, room_id: str, identity: str, reason: str) -> None:
        if await self._service.leave(room_id, identity):
            await self._announce_left(room_id, identity, reason)

    async def _announce_left(self, room_id: str, identity: str, reason: str) -> None:
        await self.emit(
            "participant_left", {"identity": identity, "reason": reason}, room=room_id
        )
        logger.info("%s left room %s (%s)", identity, room_id, reason)

    async def _end_room(self, room_id: str) -> None:
        """The room's time is over: tell everyone, close their media, disconnect them."""
        await self.emit("room_ended", {"message": "This session's time is over."}, room=room_id)
        for session in [s for s in self._sessions.values() if s.room_id == room_id]:
            async with self._peer_locks(session.peer_id):
                if self._sessions.pop(session.sid, None) is None:
                    continue
                if self._release_peer(session):
                    await self._sfu.remove_peer(session.peer_id)
                await self._service.leave(room_id, session.identity)
            await self.disconnect(session.sid)
        logger.info("room %s ended", room_id)

    async def close(self) -> None:
        """Cancel pending timers (server shutdown)."""
        for task in self._grace_tasks.values():
            task.cancel()
        self._grace_tasks.clear()
        await self._room_timers.close()
