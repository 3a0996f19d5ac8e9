"""The call namespace: one thin handler per client event (see docs/protocol.md)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import socketio
from pydantic import BaseModel

from media.sfu import Sfu
from rooms.models import Track, TrackKind
from rooms.service import RoomService

from .dispatch import Ack, parse_payload, run_handler
from .errors import SignalingError, ok_ack
from .payloads import (
    JoinPayload,
    LeavePayload,
    MutePayload,
    PublishPayload,
    SubscribePayload,
    SubscriptionAnswerPayload,
)
from .session import CallSession, peer_id_for

logger = logging.getLogger(__name__)

EventHandler = Callable[[str, Any], Awaitable[Ack]]


@dataclass(frozen=True)
class SignalingOptions:
    """Settings the namespace needs, passed in by the app factory."""

    disconnect_grace_s: float = 10.0
    ice_servers: tuple[str, ...] = ()


class CallNamespace(socketio.AsyncNamespace):
    """Joins, publishes and subscribes participants of 1:1 and group calls."""

    def __init__(
        self,
        service: RoomService,
        sfu: Sfu,
        options: SignalingOptions,
        namespace: str = "/",
    ) -> None:
        super().__init__(namespace)
        self._service = service
        self._sfu = sfu
        self._options = options
        self._sessions: dict[str, CallSession] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._sid_by_peer: dict[str, str] = {}
        self._grace_tasks: dict[str, asyncio.Task[None]] = {}
        self._events: dict[str, tuple[type[BaseModel], EventHandler]] = {
            "join": (JoinPayload, self._join),
            "publish": (PublishPayload, self._publish),
            "subscribe": (SubscribePayload, self._subscribe),
            "subscription_answer": (SubscriptionAnswerPayload, self._subscription_answer),
            "mute": (MutePayload, self._mute),
            "leave": (LeavePayload, self._leave),
        }

    # -- dispatch ---------------------------------------------------------------

    async def trigger_event(self, event: str, *args: Any) -> Any:
        """Route every event through validation; unknown events get an error ack."""
        if event in ("connect", "disconnect"):
            return await super().trigger_event(event, *args)
        sid, data = args[0], args[1:]
        entry = self._events.get(event)
        if entry is None:
            logger.info("unknown event %.40r from %s", event, sid)
            return await run_handler(event, sid, self._unknown_event)
        model, handler = entry
        lock = self._locks.setdefault(sid, asyncio.Lock())

        async def call() -> Ack:
            payload = parse_payload(model, data)
            async with lock:
                return await handler(sid, payload)

        return await run_handler(event, sid, call)

    async def _unknown_event(self) -> Ack:
        raise SignalingError("unknown_event", "The server does not know this event.")

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        self._locks[sid] = asyncio.Lock()

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        lock = self._locks.get(sid) or asyncio.Lock()
        async with lock:
            session = self._sessions.pop(sid, None)
            if session is not None:
                await self._drop_media(session)
                self._grace_tasks[session.peer_id] = asyncio.create_task(
                    self._remove_after_grace(session)
                )
        self._locks.pop(sid, None)

    # -- handlers ---------------------------------------------------------------

    def _session(self, sid: str) -> CallSession:
        session = self._sessions.get(sid)
        if session is None:
            raise SignalingError("not_joined", "Join the call first.")
        return session

    async def _join(self, sid: str, payload: JoinPayload) -> Ack:
        if sid in self._sessions:
            raise SignalingError("already_joined", "This connection has already joined a call.")
        grant = self._service.verify(payload.token)
        peer_id = peer_id_for(grant.room_id, grant.identity)
        grace = self._grace_tasks.pop(peer_id, None)
        if grace is not None:
            grace.cancel()
        snapshot = await self._service.join(grant)
        old_sid = self._sid_by_peer.get(peer_id)
        if old_sid is not None and old_sid != sid:
            await self._replace(old_sid)
        session = CallSession(sid=sid, grant=grant)
        self._sessions[sid] = session
        self._sid_by_peer[peer_id] = sid
        await self.enter_room(sid, grant.room_id)
        you = next(p for p in snapshot.participants if p.identity == grant.identity)
        if grace is None:
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
        answer = await self._sfu.publish(session.peer_id, payload.sdp)
        tracks = [
            Track(kind=TrackKind(t.kind), track_id=t.track_id)
            for t in self._sfu.published_tracks(session.peer_id)
        ]
        await self._service.set_tracks(session.grant, tracks)
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
        if not any(p.identity == payload.publisher for p in snapshot.participants):
            raise SignalingError("not_in_room", "That participant is not in your call.")
        for old_id, publisher in list(session.subscriptions.items()):
            if publisher == payload.publisher:
                del session.subscriptions[old_id]
                await self._sfu.unsubscribe(old_id)
        subscription_id, offer = await self._sfu.subscribe(
            session.peer_id, peer_id_for(session.room_id, payload.publisher)
        )
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
        snapshot = await self._service.snapshot(session.room_id)
        me = next((p for p in snapshot.participants if p.identity == session.identity), None)
        if me is None:
            raise SignalingError("not_joined", "You are no longer in this call.")
        tracks = [
            t.model_copy(update={"muted": payload.muted}) if t.kind.value == payload.kind else t
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
        del self._sessions[sid]
        await self._drop_media(session)
        await self.leave_room(sid, session.room_id)
        await self._remove_participant(session.room_id, session.identity, "left")
        return ok_ack()

    # -- lifecycle --------------------------------------------------------------

    async def _replace(self, old_sid: str) -> None:
        """Another connection joined with this identity: close the old one."""
        old = self._sessions.pop(old_sid, None)
        if old is not None:
            await self._drop_media(old)
            await self.leave_room(old_sid, old.room_id)
        await self.emit(
            "replaced",
            {"message": "You joined this call from another window; this one was closed."},
            to=old_sid,
        )
        await self.disconnect(old_sid)

    async def _drop_media(self, session: CallSession) -> None:
        if self._sid_by_peer.get(session.peer_id) == session.sid:
            del self._sid_by_peer[session.peer_id]
        session.subscriptions.clear()
        await self._sfu.remove_peer(session.peer_id)

    async def _remove_after_grace(self, session: CallSession) -> None:
        try:
            await asyncio.sleep(self._options.disconnect_grace_s)
        except asyncio.CancelledError:
            return
        self._grace_tasks.pop(session.peer_id, None)
        if session.peer_id in self._sid_by_peer:
            return  # rejoined meanwhile
        try:
            await self._remove_participant(session.room_id, session.identity, "disconnected")
        except Exception:
            logger.exception("removing %s after disconnect failed", session.identity)

    async def _remove_participant(self, room_id: str, identity: str, reason: str) -> None:
        if await self._service.leave(room_id, identity):
            await self.emit(
                "participant_left", {"identity": identity, "reason": reason}, room=room_id
            )
        logger.info("%s left room %s (%s)", identity, room_id, reason)

    async def close(self) -> None:
        """Cancel pending grace timers (server shutdown)."""
        for task in self._grace_tasks.values():
            task.cancel()
        self._grace_tasks.clear()
