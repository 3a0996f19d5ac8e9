"""The call's client events: join, publish, subscriber_answer, mute, leave (and the
deprecated per-publisher subscribe, subscription_answer).

One thin handler per event (see docs/protocol.md); the participants' shared state and
lifecycle are :class:`~signaling.participants.Participants`, and the locking rules are
in its module docstring.
"""

from __future__ import annotations

import logging
from typing import Any

from media.errors import MediaError
from media.sfu import Sfu
from rooms.clock import Clock
from rooms.errors import RoomError, StoreUnavailable
from rooms.grants import JoinGrant
from rooms.models import RoomSnapshot, Track, TrackKind
from rooms.resume import new_resume_token
from rooms.service import RoomService

from .dispatch import Ack
from .errors import SignalingError, ok_ack
from .handlers import Connections, EventSpec, EventTable
from .options import SignalingOptions
from .participants import Participants
from .payloads import (
    JoinPayload,
    LeavePayload,
    MutePayload,
    PublishPayload,
    SubscribePayload,
    SubscriberAnswerPayload,
    SubscriberRestartPayload,
    SubscriptionAnswerPayload,
)
from .placement import RoomPlacement
from .session import CallSession, peer_id_for
from .turn import ice_servers_for

logger = logging.getLogger(__name__)


class CallEvents:
    """Joins, publishes and subscribes participants of 1:1 and group calls."""

    def __init__(self, service: RoomService, sfu: Sfu, options: SignalingOptions,
                 participants: Participants, connections: Connections, clock: Clock,
                 placement: RoomPlacement | None = None) -> None:
        self._service = service
        self._clock = clock
        self._placement = placement  # None: one node, every room is here
        self._sfu = sfu
        self._options = options
        self._participants = participants
        self._connections = connections

    def events(self) -> EventTable:
        return {
            "join": EventSpec(JoinPayload, self.join),
            "publish": EventSpec(PublishPayload, self.publish),
            "subscribe": EventSpec(SubscribePayload, self.subscribe),
            "subscription_answer": EventSpec(SubscriptionAnswerPayload,
                                             self.subscription_answer),
            "subscriber_answer": EventSpec(SubscriberAnswerPayload, self.subscriber_answer),
            "subscriber_restart": EventSpec(SubscriberRestartPayload, self.subscriber_restart),
            "mute": EventSpec(MutePayload, self.mute),
            "leave": EventSpec(LeavePayload, self.leave),
        }

    async def join(self, sid: str, payload: JoinPayload) -> Ack:
        calls = self._participants
        if sid in calls.sessions:
            raise SignalingError("already_joined", "This connection has already joined a call.")
        grant, personal_token = await self._redeem(payload)
        if self._placement is not None:  # `moved` if another node serves the room
            await self._placement.check(grant.room_id, personal_token)
        token = {} if personal_token is None else {"token": personal_token}
        peer_id = peer_id_for(grant.room_id, grant.identity)
        async with calls.lock(peer_id):
            resume_token = await self._resume(grant, payload.resume_token)
            resumed = resume_token is not None
            if resume_token is None:  # the room (or its hosts) will hear of it
                await self._spend_join(grant)  # the person's join budget
                resume_token = new_resume_token()  # stored by the join itself
            snapshot = await self._join_or_knock(sid, grant, resume_token, resumed)
            if snapshot is not None and not self._connections.is_open(sid):
                if not calls.holds(peer_id) and not resumed:
                    await self._service.leave(grant.room_id, grant.identity)
                    await self._undo_guest(grant, personal_token)
                raise SignalingError("not_joined", "This connection closed while joining.")
            subscriber_offer = None
            ice_restart = False
            if snapshot is not None:
                session = CallSession(sid=sid, grant=grant)
                takeover = await calls.take_over(session, quiet=resumed)
                try:
                    if resumed and payload.ice_restart:
                        subscriber_offer = await self._restart_ice(session)
                        ice_restart = subscriber_offer is not None
                    if not ice_restart:
                        if takeover.resumed or (resumed and takeover.replaced_sid):
                            await self._sfu.remove_peer(peer_id)  # held media: new ones
                        subscriber_offer = await self._open_subscriber(session)
                except Exception:
                    await self._roll_back(session)
                    await self._undo_guest(grant, personal_token)
                    raise
        if snapshot is None:  # knocking in the lobby: no room, no room events
            await calls.room_hooks.knocked(sid, grant)
            return ok_ack(waiting=True, identity=grant.identity,
                          message="Waiting for a host to let you in.", **token)
        try:
            await self._connections.enter_room(sid, grant.room_id)
            # Read the roster again now that room events reach us: someone who joined
            # after our store join announced themselves before we were in the room.
            snapshot = await self._service.snapshot(grant.room_id)
            calls.watch_room(grant.room_id, snapshot.room.expires_at)
            extra = await calls.room_hooks.joined(calls.session(sid), snapshot)
            you = next(p for p in snapshot.participants if p.identity == grant.identity)
            if not resumed and not takeover.resumed and takeover.replaced_sid is None:
                await self._connections.emit(
                    "participant_joined",
                    {"participant": you.model_dump(mode="json")},
                    room=grant.room_id,
                    skip_sid=sid,
                )
            await calls.refresh_sources(grant.room_id)
        except Exception:
            # e.g. Redis went away after the seat was taken: the join answers the error,
            # so nothing of it stays (the connection may join again)
            async with calls.lock(peer_id):
                await self._roll_back(session)
                await self._undo_guest(grant, personal_token)
            raise
        logger.info("%s joined room %s as %s", grant.identity, grant.room_id, grant.role.value)
        return ok_ack(**{
            "you": you.model_dump(mode="json"),
            "room": snapshot.model_dump(mode="json"),
            "ice_servers": ice_servers_for(self._options.ice_servers, self._options.turn,
                                           grant.identity, self._clock.now(),
                                           snapshot.room.expires_at),
            "subscriber_offer": subscriber_offer,
            "resume_token": resume_token,
            "resumed": resumed,
            "ice_restart": ice_restart,
            **extra,
            **token,
        })

    async def _resume(self, grant: JoinGrant, token: str | None) -> str | None:
        """With a resume token (a reconnect, under the participant's lock): the next
        token if it resumes the grant's seat, else ``resume_expired`` (the grace period
        is over: join again without it) or ``resume_invalid``. None without one."""
        if token is None:
            return None
        return await self._service.resume(grant.room_id, grant.identity, token,
                                          self._participants.lease_s)

    async def _spend_join(self, grant: JoinGrant) -> None:
        """One of the person's joins of this room, kept by the store for all their
        connections (a new connection does not refill it): `rate_limited` if none is
        left. A resume spends nothing: nobody else hears of it."""
        wait = await self._service.take_join(grant)
        if wait > 0:
            raise SignalingError("rate_limited", "Too many joins in a row; wait a few "
                                 "seconds and try again.", retry_after_s=wait)

    async def _undo_guest(self, grant: JoinGrant, personal_token: str | None) -> None:
        """A join rolled back before its ack: a guest the shareable link minted for it
        (``personal_token``) never learnt their identity, so it counts no more against
        the link (a closed connection or failed media spends nothing)."""
        if personal_token is None:
            return
        try:
            await self._service.forget_guest(grant)
        except StoreUnavailable:
            logger.warning("could not give back the guest %s of room %s: store "
                           "unavailable", grant.identity, grant.room_id)

    async def _restart_ice(self, session: CallSession) -> dict[str, Any] | None:
        """A resume whose media connections this node still holds (the network path was
        cut, the node lives): the subscribe connection's ICE-restart offer, the client
        restarts its publish connection's ICE; None if they are gone (then new ones)."""
        if not session.grant.subscribe or not self._sfu.holds_media(session.peer_id):
            return None
        return await self._participants.subscribers.restart_ice(session)

    async def _open_subscriber(self, session: CallSession) -> dict[str, Any] | None:
        """Its subscribe connection's first offer (if the SFU cannot open one, the
        caller rolls the join back and the media error answers it)."""
        calls = self._participants
        try:
            calls.room_hooks.before_subscribe(session)
            return await calls.subscribers.open(session)
        except MediaError:
            logger.warning("%s: opening the subscribe connection failed; join rolled back",
                           session.identity)
            raise

    async def _roll_back(self, session: CallSession) -> None:
        """Undo a join that fails after its seat was taken (under the participant's
        lock): the session, its media and the seat go, the room is told. With the store
        away the seat stays until its lease lapses (nobody renews it), then a sweeper
        removes it."""
        calls = self._participants
        if not calls.current(session):
            return  # replaced or closed meanwhile: theirs to clean
        calls.forget(session.sid)
        await self._connections.leave_room(session.sid, session.room_id)
        if calls.release_peer(session):
            await self._sfu.remove_peer(session.peer_id)
            try:
                await calls.remove_participant(session.room_id, session.identity, "left")
            except StoreUnavailable:
                logger.warning("rolling back the join of %s: store unavailable; the seat "
                               "lapses", session.identity)

    async def _join_or_knock(self, sid: str, grant: JoinGrant, resume_token: str,
                             resumed: bool) -> RoomSnapshot | None:
        """Join the grant's room, or (None) knock in its lobby: the connection then
        waits (:meth:`Participants.wait`). A knock this connection made before is
        withdrawn unless it is this one and still waits."""
        calls = self._participants
        previous = calls.stop_waiting(sid)
        if previous is not None and (previous.room_id, previous.identity) != (
                grant.room_id, grant.identity):
            await calls.room_hooks.knock_withdrawn(sid, previous)  # knocks as someone else
            previous = None
        try:
            return await self._join(grant, resume_token, resumed)
        except RoomError as exc:
            waiting = exc.code == "lobby_waiting"
            if waiting and self._connections.is_open(sid):
                calls.wait(sid, grant)
                return None
            stale = grant if waiting else previous  # closed meanwhile, or refused now
            if stale is not None:
                await calls.room_hooks.knock_withdrawn(sid, stale)
            raise

    async def _join(self, grant: JoinGrant, resume_token: str, resumed: bool) -> RoomSnapshot:
        """Join; a room not found may be one Redis lost in a restart that this process
        has not written back yet: it is written back now and the join tried again."""
        calls = self._participants
        try:
            return await self._service.join(grant, calls.lease_s, resume_token, resumed)
        except RoomError as exc:
            if exc.code != "room_not_found" or not await calls.seats.reassert():
                raise
        return await self._service.join(grant, calls.lease_s, resume_token, resumed)

    async def _redeem(self, payload: JoinPayload) -> tuple[JoinGrant, str | None]:
        """The joiner's personal grant (and a personal token for a shareable link)."""
        try:
            return await self._service.redeem(payload.token, display_name=payload.display_name)
        except ValueError:  # a display name that is not one (RoomError is not a ValueError)
            raise SignalingError("invalid_payload", "Field 'display_name': not a name.") from None

    async def publish(self, sid: str, payload: PublishPayload) -> Ack:
        calls = self._participants
        session = calls.session(sid)
        if not session.grant.publish:
            raise SignalingError("forbidden", "Your link does not allow sending media.")
        async with calls.lock(session.peer_id):
            calls.still_current(session)
            await calls.room_hooks.before_publish(session)
            answer = await self._sfu.publish(session.peer_id, payload.sdp)
            try:
                calls.still_current(session)
                tracks = [
                    Track(kind=TrackKind(t.kind), track_id=t.track_id)
                    for t in self._sfu.published_tracks(session.peer_id)
                ]
                await self._service.set_tracks(session.grant, tracks)
            except BaseException:
                if calls.sid_for(session.peer_id) in (session.sid, None):
                    await self._sfu.remove_peer(session.peer_id)
                raise
            await calls.room_hooks.published(session)
        await self._connections.emit(
            "track_published",
            {"identity": session.identity, "tracks": [t.model_dump(mode="json") for t in tracks]},
            room=session.room_id,
            skip_sid=sid,
        )
        return ok_ack(sdp=answer)

    async def subscriber_answer(self, sid: str, payload: SubscriberAnswerPayload) -> Ack:
        """The client's answer to an offer on its subscribe connection (its version)."""
        session = self._participants.session(sid)
        if payload.subscription_id != session.subscriber:
            raise SignalingError("unknown_subscription",
                                 "That is not this connection's subscribe connection.")
        await self._sfu.accept_answer(payload.subscription_id, payload.sdp, payload.version)
        return ok_ack()

    async def subscriber_restart(self, sid: str, payload: SubscriberRestartPayload) -> Ack:
        """The client's subscribe connection failed where only it can see: the server
        closes it and sends a ``subscriber_offer`` for a fresh one."""
        calls = self._participants
        session = calls.session(sid)
        if not session.grant.subscribe:
            raise SignalingError("forbidden", "Your link does not allow receiving media.")
        async with calls.lock(session.peer_id):
            calls.still_current(session)
            await calls.subscribers.restart(session)
        return ok_ack()

    async def subscribe(self, sid: str, payload: SubscribePayload) -> Ack:
        """Deprecated: one connection per publisher (old clients); use the subscribe
        connection opened at join."""
        calls = self._participants
        session = calls.session(sid)
        if not session.grant.subscribe:
            raise SignalingError("forbidden", "Your link does not allow receiving media.")
        if payload.publisher == session.identity:
            raise SignalingError("not_in_room", "You cannot subscribe to yourself.")
        snapshot = await self._service.snapshot(session.room_id)
        if snapshot.participant(payload.publisher) is None:
            raise SignalingError("not_in_room", "That participant is not in your call.")
        async with calls.lock(session.peer_id):
            calls.still_current(session)
            for old_id, publisher in list(session.subscriptions.items()):
                if publisher == payload.publisher:
                    del session.subscriptions[old_id]
                    await self._sfu.unsubscribe(old_id)
            subscription_id, offer = await self._sfu.subscribe(
                session.peer_id, peer_id_for(session.room_id, payload.publisher)
            )
            if not calls.current(session):
                await self._sfu.unsubscribe(subscription_id)
                raise SignalingError("not_joined", "You are no longer in this call.")
            session.subscriptions[subscription_id] = payload.publisher
        return ok_ack(subscription_id=subscription_id, sdp=offer)

    async def subscription_answer(self, sid: str, payload: SubscriptionAnswerPayload) -> Ack:
        session = self._participants.session(sid)
        if payload.subscription_id not in session.subscriptions:
            raise SignalingError("unknown_subscription", "No such subscription on this connection.")
        await self._sfu.accept_answer(payload.subscription_id, payload.sdp)
        return ok_ack()

    async def mute(self, sid: str, payload: MutePayload) -> Ack:
        calls = self._participants
        session = calls.session(sid)
        await calls.room_hooks.check_mute(session, payload.kind, payload.muted)
        async with calls.lock(session.peer_id):
            snapshot = await self._service.snapshot(session.room_id)
            me = snapshot.participant(session.identity)
            if me is None or not calls.current(session):
                raise SignalingError("not_joined", "You are no longer in this call.")
            tracks = [
                t.model_copy(update={"muted": payload.muted}) if t.kind == payload.kind else t
                for t in me.tracks
            ]
            await self._service.set_tracks(session.grant, tracks)
        await self._connections.emit(
            "track_muted",
            {"identity": session.identity, "kind": payload.kind, "muted": payload.muted},
            room=session.room_id,
            skip_sid=sid,
        )
        return ok_ack()

    async def leave(self, sid: str, payload: LeavePayload) -> Ack:
        calls = self._participants
        knock = calls.stop_waiting(sid)
        if knock is not None:  # withdraws the knock
            await calls.room_hooks.knock_withdrawn(sid, knock)
            return ok_ack()
        session = calls.session(sid)
        async with calls.lock(session.peer_id):
            calls.still_current(session)  # another tab may have replaced it meanwhile
            calls.forget(sid)
            await self._connections.leave_room(sid, session.room_id)
            if calls.release_peer(session):
                await self._sfu.remove_peer(session.peer_id)
                await calls.remove_participant(session.room_id, session.identity, "left")
        return ok_ack()
