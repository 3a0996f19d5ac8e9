"""State of one Socket.IO connection that has joined a call."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from rooms.grants import JoinGrant


def peer_id_for(room_id: str, identity: str) -> str:
    """The media peer id of a participant: unique across rooms served by one SFU."""
    return f"{room_id}:{identity}"


@dataclass
class CallSession:
    """One joined connection: its grant and the media it set up.

    Each connection's events are handled one at a time under `lock`, so a client's
    publish, subscribe and answer never interleave (Galène's one-loop-per-client rule).
    """

    sid: str
    grant: JoinGrant
    subscriptions: dict[str, str] = field(default_factory=dict)  # subscription id → publisher
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def room_id(self) -> str:
        return self.grant.room_id

    @property
    def identity(self) -> str:
        return self.grant.identity

    @property
    def peer_id(self) -> str:
        return peer_id_for(self.grant.room_id, self.grant.identity)
