"""Roundtable rooms with given ids and hosts on a live server: an admin token reaches
recordings only while its holder hosts its room (web/recordings/access.py)."""

from __future__ import annotations

from rooms.models import Room
from tests.live_server import LiveServer

DURATION_S = 24 * 3600


async def hosted_room(server: LiveServer, room_id: str, host: str, now: float) -> Room:
    """A roundtable ``room_id`` (open a day from ``now``) hosted by ``host``."""
    room = Room.roundtable(room_id, 10, DURATION_S, now, title="Hosted")
    await server.services.store.create_room(room)
    await server.services.service.roundtables.create(room, host)
    return room
