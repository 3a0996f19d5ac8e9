"""State of one Socket.IO connection that has joined a call."""

from __future__ import annotations

from dataclasses import dataclass, field

from rooms.grants import JoinGrant


def peer_id_for(room_id: str, identity: str) -> str:
    """The media peer id of a participant: unique across rooms served by one SFU."""
    return f"{room_id}:{identity}"


@dataclass
class CallSession:
    """One joined connection: its grant and the subscriptions it set up.

    A connection's events run one at a time (the namespace keeps a lock per sid), and
    everything that changes a participant's media or membership also holds that
    participant's lock, so two connections of one identity never interleave.
    """

    sid: str
    grant: JoinGrant
    subscriptions: dict[str, str] = field(default_factory=dict)  # subscription id → publisher
    subscriber: str | None = None  # the subscription id of its one subscribe connection

    @property
    def room_id(self) -> str:
        return self.grant.room_id

    @property
    def identity(self) -> str:
        return self.grant.identity

    @property
    def peer_id(self) -> str:
        return peer_id_for(self.grant.room_id, self.grant.identity)
