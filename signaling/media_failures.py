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

from typing import Any

from media.sfu import PUBLISH_CONNECTION, Sfu

from .session import CallSession

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
