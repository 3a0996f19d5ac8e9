"""The `notes` event: Yjs sync and awareness for a session's notes (docs/protocol.md,
Notes).

Each `notes` event carries one y-protocols message for the room's shared document or
the caller's own private one. Sync step 1 is answered with step 2 (what the client
lacks) and the server's own step 1; step 2 and updates are applied through
:class:`~rooms.notes.service.NotesService` (validated, size-capped, logged) and then
relayed: shared ones to the room's other connections, private ones only to the owner's
other connections. Awareness (presence, cursors) is checked and relayed the same way,
never stored; when a connection closes the others are told its awareness states left.

Observers read: their step 1 is answered, their non-empty updates are refused
(`notes_read_only`) and applied nowhere. The document is always the connection's own
room's: a message naming another room is refused (`notes_wrong_room`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from rooms.clock import Clock
from rooms.errors import RoomError
from rooms.models import Role
from rooms.notes.documents import EMPTY_UPDATE, InvalidUpdate
from rooms.notes.model import DocKey, DocName
from rooms.notes.service import NotesService
from rooms.service import RoomService
from rooms.store import DEFAULT_GRACE_S

from .dispatch import Ack
from .errors import SignalingError, ok_ack
from .handlers import Connections, EventSpec, EventTable
from .limits import NOTES_RATE
from .notes_awareness import parse_awareness, stamped
from .notes_wire import (
    MAX_AWARENESS_IDS,
    MESSAGE_AWARENESS,
    SyncStep,
    WireError,
    awareness_gone,
    decode,
    encode,
    sync_message,
)
from .participants import Participants
from .payloads import MAX_PAYLOAD_BYTES, NotesPayload
from .session import CallSession

logger = logging.getLogger(__name__)

NOTES_EVENT = "notes"
ROLE_TTL_S = 1.0  # how long a looked-up roundtable role is trusted
# Room for the message's framing and the payload's other fields above the document cap.
NOTES_FRAMING_BYTES = 1024


def private_room(room_id: str, identity: str) -> str:
    """The Socket.IO room of one participant's connections (their private notes)."""
    return f"notes-private:{room_id}:{identity}"


@dataclass
class NotesConnection:
    """What one connection did in notes: its room, awareness ids, role cache."""

    room_id: str
    identity: str
    awareness: dict[str, dict[int, int]] = field(default_factory=dict)  # doc -> id -> clock
    role: Role | None = None
    role_at: float = float("-inf")
    private_expires_at: float | None = None  # a guest's: their private notes go then


class NotesEvents:
    """Sync and awareness of the shared and private notes documents."""

    def __init__(self, notes: NotesService, service: RoomService, participants: Participants,
                 connections: Connections, clock: Clock) -> None:
        self._notes = notes
        self._service = service
        self._participants = participants
        self._connections = connections
        self._clock = clock
        self._open: dict[str, NotesConnection] = {}
        notes.on_server_update = self._server_update

    def events(self) -> EventTable:
        # A message may carry a whole document (offline edits of a client come back as
        # one step 2): as large as the document cap, not the 64 KiB of other events.
        largest = max(MAX_PAYLOAD_BYTES, self._notes.limits.max_doc_bytes + NOTES_FRAMING_BYTES)
        return {NOTES_EVENT: EventSpec(NotesPayload, self.notes, NOTES_RATE, largest)}

    async def notes(self, sid: str, payload: NotesPayload) -> Ack:
        session = self._participants.session(sid)
        if payload.room is not None and payload.room != session.room_id:
            raise SignalingError("notes_wrong_room",
                                 "These notes belong to another room than your call's.")
        name = DocName(payload.doc)
        key = DocKey.of(session.room_id, name, session.identity)
        connection = await self._connection(sid, session)
        try:
            message = decode(payload.message)
        except WireError as exc:
            raise SignalingError("invalid_update", f"Not a notes message: {exc}.") from None
        if message.kind == MESSAGE_AWARENESS:
            await self._awareness(sid, connection, key, message.payload)
            return ok_ack()
        try:
            if message.step is SyncStep.STEP1:
                missing, vector = await self._notes.sync(key, message.payload)
                await self._send(key, sync_message(SyncStep.STEP2, missing), to=sid)
                await self._send(key, sync_message(SyncStep.STEP1, vector), to=sid)
                return ok_ack()
            if message.payload == EMPTY_UPDATE:
                return ok_ack()  # nothing to apply (a step 2 from an up-to-date client)
            if not await self._may_write(session, connection):
                raise RoomError("notes_read_only")
            expires_at = None if key.owner is None else connection.private_expires_at
            await self._notes.apply(key, message.payload, expires_at)
        except InvalidUpdate:
            raise RoomError("invalid_update") from None
        await self._send(key, sync_message(SyncStep.UPDATE, message.payload), skip_sid=sid)
        return ok_ack()

    async def _connection(self, sid: str, session: CallSession) -> NotesConnection:
        connection = self._open.get(sid)
        if connection is None or connection.room_id != session.room_id:
            connection = NotesConnection(session.room_id, session.identity)
            if session.grant.guest:  # nobody can read a guest's private notes afterwards
                room = await self._service.room(session.room_id)
                if room is not None:
                    connection.private_expires_at = room.expires_at + DEFAULT_GRACE_S
            self._open[sid] = connection
            await self._connections.enter_room(
                sid, private_room(session.room_id, session.identity))
        return connection

    async def _may_write(self, session: CallSession, connection: NotesConnection) -> bool:
        """Observers read only: by their grant, or by their role in the roundtable now."""
        if session.grant.role is Role.OBSERVER:
            return False
        now = self._clock.now()
        if now - connection.role_at > ROLE_TTL_S:
            try:
                state = await self._service.roundtables.state(session.room_id)
                connection.role = state.role_of(session.identity)
            except RoomError as exc:
                if exc.code != "not_roundtable":
                    raise
                connection.role = session.grant.role  # a 1:1 call: the grant says it all
            connection.role_at = now
        return connection.role is not Role.OBSERVER

    async def _awareness(self, sid: str, connection: NotesConnection, key: DocKey,
                         update: bytes) -> None:
        """Relay an awareness update stamped with the sender's identity and name; a
        client id another person's connection speaks for, on any process (the store
        says), is refused (nobody clears or moves someone else's cursor); the same
        person's new connection (a reconnect) takes it over. A connection speaks for at
        most MAX_AWARENESS_IDS ids per document (a page uses one); a null state (the
        client left) lets go of its id."""
        try:
            entries = parse_awareness(update)
        except WireError as exc:
            raise SignalingError("invalid_update", f"Not an awareness update: {exc}.") from None
        held = connection.awareness.setdefault(key.name.value, {})
        left = {e.client: e.clock for e in entries if e.state is None}
        after = (held.keys() | {e.client for e in entries if e.state is not None}) - left.keys()
        if len(after) > MAX_AWARENESS_IDS:
            raise SignalingError("invalid_update", "A connection speaks for at most "
                                 f"{MAX_AWARENESS_IDS} awareness client ids per document.")
        if not await self._notes.claim_awareness(key, [e.client for e in entries],
                                                 connection.identity, sid):
            raise SignalingError("invalid_update",
                                 "That awareness state belongs to someone else.")
        held.update({e.client: e.clock for e in entries if e.state is not None})
        session = self._participants.session(sid)
        message = encode(MESSAGE_AWARENESS,
                         stamped(entries, session.identity, session.grant.display_name))
        await self._send(key, message, skip_sid=sid)
        if left:  # a state that left is nobody's any more: forget it here and in the store
            for client in left:
                held.pop(client, None)
            await self._notes.release_awareness(key, list(left), sid)

    async def _send(self, key: DocKey, message: bytes, to: str | None = None,
                    skip_sid: str | None = None) -> None:
        data = {"doc": key.name.value, "message": message}
        if to is not None:
            await self._connections.emit(NOTES_EVENT, data, to=to)
        elif key.owner is None:
            await self._connections.emit(NOTES_EVENT, data, room=key.room_id, skip_sid=skip_sid)
        else:
            await self._connections.emit(NOTES_EVENT, data,
                                         room=private_room(key.room_id, key.owner),
                                         skip_sid=skip_sid)

    async def _server_update(self, key: DocKey, update: bytes) -> None:
        """The server changed a live document (an item closed elsewhere): tell everyone."""
        await self._send(key, sync_message(SyncStep.UPDATE, update))

    async def disconnected(self, sid: str) -> None:
        """Tell the others the connection's awareness states left; drop the room's
        documents from memory once nobody here uses them."""
        connection = self._open.pop(sid, None)
        if connection is None:
            return
        for doc, clients in connection.awareness.items():
            key = DocKey.of(connection.room_id, DocName(doc), connection.identity)
            try:  # states another connection took over (a reconnect) stay
                mine = set(await self._notes.release_awareness(key, list(clients), sid))
            except Exception:  # the store is away: better clear them than leave them
                logger.exception("letting go of %s's awareness states failed", sid)
                mine = set(clients)
            clients = {c: clock for c, clock in clients.items() if c in mine}
            if clients:
                try:
                    await self._send(key, awareness_gone(clients))
                except Exception:
                    logger.exception("telling the room that %s left the notes failed", sid)
        if not any(c.room_id == connection.room_id for c in self._open.values()):
            self._notes.forget(connection.room_id)

