"""Every participant's one subscribe connection, kept in step with the room's membership.

A participant whose grant allows receiving gets one subscribe connection when it joins
(the SFU's :meth:`~media.sfu.Sfu.open_subscriber`, sources = everyone else in the
room); its first offer goes back in the ``join`` ack and every later one as a
``subscriber_offer`` event, answered with ``subscriber_answer`` (docs/protocol.md, whose
rules are media/subscriber.py's). On every membership change :meth:`refresh_sources`
sets each subscriber's sources to the room's participants; offers the SFU makes by
itself (a publisher published or left, changes coalesced during an outstanding offer)
come through ``Sfu.on_renegotiate`` and are sent to the connection that speaks for
that participant. A failed subscribe connection is replaced by a fresh one; one whose
first offer stays unanswered (an old client) is closed (``subscriber_closed``).

Locking: :meth:`open` runs under the participant's lock (the caller's);
:meth:`refresh_sources` takes each subscriber's lock in turn, so call it holding none.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from media.errors import MediaError
from media.sfu import Sfu
from media.subscriber_offer import SubscriberOffer
from rooms.errors import StoreUnavailable
from rooms.service import RoomService

from .handlers import Connections
from .session import CallSession, peer_id_for

logger = logging.getLogger(__name__)

SUBSCRIBER_OFFER_EVENT = "subscriber_offer"
SUBSCRIBER_CLOSED_EVENT = "subscriber_closed"
OFFER_UNANSWERED = "offer_unanswered"


def offer_payload(room_id: str, offer: SubscriberOffer) -> dict[str, Any]:
    """The wire form of an offer: publisher peer ids become identities."""
    prefix = peer_id_for(room_id, "")
    return {
        "subscription_id": offer.subscription_id,
        "version": offer.version,
        "sdp": offer.sdp,
        "tracks": [
            {
                "mid": t.mid,
                "kind": t.kind,
                "identity": t.publisher_id.removeprefix(prefix) if t.publisher_id else None,
                "track_id": t.track_id,
                "slot": t.slot,
            }
            for t in offer.tracks
        ],
    }


class SubscriberOffers:
    """Opens, re-sources, re-offers and reopens the participants' subscribe connections."""

    def __init__(
        self,
        service: RoomService,
        sfu: Sfu,
        connections: Connections,
        sessions: Mapping[str, CallSession],
        sid_by_peer: Mapping[str, str],
        lock: Callable[[str], asyncio.Lock],
        answer_timeout_s: float = 30.0,
    ) -> None:
        self._service = service
        self._sfu = sfu
        self._connections = connections
        self._sessions = sessions
        self._sid_by_peer = sid_by_peer
        self._lock = lock
        self._answer_timeout_s = answer_timeout_s
        self._tasks: set[asyncio.Task[None]] = set()
        sfu.on_renegotiate = self._renegotiated

    async def _sources(self, room_id: str) -> list[str]:
        snapshot = await self._service.snapshot(room_id)
        return [peer_id_for(room_id, p.identity) for p in snapshot.participants]

    async def open(self, session: CallSession) -> dict[str, Any] | None:
        """Open (or replace) the session's subscribe connection; its first offer's
        payload, or None if the grant does not allow receiving. Hold its lock."""
        if not session.grant.subscribe:
            return None
        offer = await self._sfu.open_subscriber(
            session.peer_id, await self._sources(session.room_id)
        )
        session.subscriber = offer.subscription_id
        self._spawn(self._close_if_unanswered(session, offer.subscription_id))
        return offer_payload(session.room_id, offer)

    async def restart_ice(self, session: CallSession) -> dict[str, Any] | None:
        """An ICE-restart offer on the session's live subscribe connection (a resume on
        the node that holds it), or None if it has none. Hold its lock."""
        offer = await self._sfu.restart_subscriber_ice(session.peer_id)
        if offer is None:
            return None
        session.subscriber = offer.subscription_id
        return offer_payload(session.room_id, offer)

    async def _close_if_unanswered(self, session: CallSession, subscription_id: str) -> None:
        """An old client never answers its join's offer: once the first offer of this
        subscribe connection has waited ``answer_timeout_s``, close the connection (it
        would idle on the server for the whole call) and tell the client."""
        await asyncio.sleep(self._answer_timeout_s)
        async with self._lock(session.peer_id):
            if self._sessions.get(session.sid) is not session or \
                    session.subscriber != subscription_id:
                return
            waiting = self._sfu.subscriber_offer(session.peer_id)
            if waiting is None or waiting.subscription_id != subscription_id or \
                    waiting.version != 1:
                return  # answered
            await self._sfu.close_subscriber(session.peer_id)
            session.subscriber = None
        logger.info("%s: subscribe connection %s closed, its first offer unanswered",
                    session.identity, subscription_id)
        await self._connections.emit(SUBSCRIBER_CLOSED_EVENT, {
            "subscription_id": subscription_id,
            "code": OFFER_UNANSWERED,
            "message": "The offer to receive the others' media was not answered in time; "
                       "send subscriber_restart for a new one.",
        }, to=session.sid)

    async def refresh_sources(self, room_id: str) -> None:
        """Every subscriber of the room here receives everyone in it now (call it after
        any membership change, holding no participant lock)."""
        try:
            sources = await self._sources(room_id)
        except StoreUnavailable:
            logger.warning("refreshing %s's subscribers: store unavailable", room_id)
            return
        for session in [s for s in self._sessions.values() if s.room_id == room_id]:
            async with self._lock(session.peer_id):
                if self._sessions.get(session.sid) is not session or not session.subscriber:
                    continue
                try:
                    offer = await self._sfu.set_sources(session.peer_id, sources)
                except MediaError as exc:  # its connection closed meanwhile
                    logger.info("%s: no subscribe connection to refresh (%s)",
                                session.identity, exc.code)
                    continue
                if offer is not None:
                    await self._send(session, offer)

    def refresh_soon(self, room_id: str) -> None:
        """:meth:`refresh_sources` in the background (from under a participant lock)."""
        self._spawn(self.refresh_sources(room_id))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def reopen(self, session: CallSession, failed: str) -> bool:
        """The session's subscribe connection ``failed``: open a fresh one and send its
        offer. False if ``failed`` is not its subscribe connection. Hold its lock."""
        if failed != session.subscriber:
            return False
        await self._connections.emit(
            "media_failed",
            {
                "connection": "subscriber",
                "subscription_id": failed,
                "message": "The connection receiving the others' media was lost; "
                           "a new one is on its way.",
            },
            to=session.sid,
        )
        payload = await self.open(session)
        if payload is not None:
            await self._connections.emit(SUBSCRIBER_OFFER_EVENT, payload, to=session.sid)
        return True

    async def restart(self, session: CallSession) -> None:
        """The client saw its subscribe connection fail (``subscriber_restart``): close
        it and send the offer of a fresh one. Hold its lock."""
        if session.subscriber:
            await self._sfu.close_subscriber(session.peer_id)
            session.subscriber = None
        payload = await self.open(session)
        if payload is not None:
            await self._connections.emit(SUBSCRIBER_OFFER_EVENT, payload, to=session.sid)

    async def _renegotiated(self, peer_id: str, offer: SubscriberOffer) -> None:
        """The SFU's own offer (Sfu.on_renegotiate): to the connection it is for."""
        session = self._sessions.get(self._sid_by_peer.get(peer_id, ""))
        if session is not None and session.subscriber == offer.subscription_id:
            await self._send(session, offer)

    async def _send(self, session: CallSession, offer: SubscriberOffer) -> None:
        await self._connections.emit(
            SUBSCRIBER_OFFER_EVENT, offer_payload(session.room_id, offer), to=session.sid
        )

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
