"""A participant's media connection failed on the server: what to drop, what to tell them.

The SFU reports a connection that failed or was closed by the far end (its
``on_peer_failed`` hook: a peer id and ``"publish"`` or a subscription id). The
participant is told with the ``media_failed`` event (docs/protocol.md) and recovers by
itself: it publishes again (which replaces the dead publisher connection; its
subscribers stay connected) or subscribes again to that publisher. A failed
subscription is dropped at once; a failed publisher connection stays until replaced,
so the room's view of the participant's tracks does not flicker. A failed subscribe
connection (the one per participant) is replaced by signaling/subscriber_offers.py
before this module is asked.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from media.sfu import PUBLISH_CONNECTION, Sfu

from .handlers import Connections
from .session import CallSession

if TYPE_CHECKING:
    from .participants import Participants

logger = logging.getLogger(__name__)

MEDIA_FAILED_EVENT = "media_failed"


async def drop_failed_connection(
    sfu: Sfu, session: CallSession, connection: str
) -> dict[str, Any] | None:
    """The ``media_failed`` payload for ``session``'s failed ``connection`` (dropping a
    failed subscription), or None if that connection is no longer the session's."""
    if connection == PUBLISH_CONNECTION:
        return {
            "connection": "publish",
            "message": "Your camera and microphone lost their connection to the server.",
        }
    publisher = session.subscriptions.pop(connection, None)
    if publisher is None:
        return None  # already replaced or closed
    await sfu.unsubscribe(connection)
    return {
        "connection": "subscription",
        "subscription_id": connection,
        "publisher": publisher,
        "message": "The connection receiving this participant's media was lost.",
    }


async def media_failed(participants: Participants, sfu: Sfu, connections: Connections,
                       peer_id: str, connection: str) -> None:
    """One of a participant's media connections failed (the SFU's ``on_peer_failed``):
    a subscribe connection is reopened; otherwise they are told."""
    session = participants.sessions.get(participants.peer_sids.get(peer_id, ""))
    if session is None:
        return
    async with participants.lock(peer_id):
        if not participants.current(session):
            return
        if await participants.subscribers.reopen(session, connection):
            logger.info("%s: subscribe connection %s failed; reopened",
                        session.identity, connection)
            return
        payload = await drop_failed_connection(sfu, session, connection)
    if payload is not None:
        logger.info("%s: media connection %s failed", session.identity, connection)
        await connections.emit(MEDIA_FAILED_EVENT, payload, to=session.sid)
