"""The Socket.IO namespace: the dispatcher of every client event (see docs/protocol.md).

It validates each event against its payload model, applies the connection's limits,
runs the event's handler under the connection's sid lock (created on connect, dropped
on disconnect; an event for a sid without a lock is refused) and turns every failure
into an error ack. It holds no event-specific logic and does not grow with features.

Adding a capability's events (roundtable host controls, notes, ...):

1. write ``signaling/<capability>_events.py`` with one class whose ``events()`` returns
   ``{event name: EventSpec(PayloadModel, self.handler)}`` (the
   :class:`~signaling.handlers.HandlerModule` protocol), payload models in
   ``payloads.py``; it reaches connections only through
   :class:`~signaling.handlers.Connections` and shares participants' state and
   lifecycle through :class:`~signaling.participants.Participants`;
2. add an instance of it to ``handler_modules`` in :meth:`CallNamespace.__init__`;
3. document the events and error codes in docs/protocol.md.

tests/test_architecture.py checks that every event is bound to a handler module
outside this file and that this file stays small.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import socketio

from media.sfu import Sfu
from rooms.clock import Clock, SystemClock
from rooms.notes.memory_store import MemoryNotesStore
from rooms.notes.service import NotesService
from rooms.service import RoomService

from .breakout_events import BreakoutEvents
from .call_events import CallEvents
from .dispatch import Ack, parse_payload, run_handler
from .errors import error_ack
from .floor_events import FloorEvents
from .handlers import RESERVED_EVENTS, EventSpec, HandlerModule, build_event_table
from .limits import ConnectionLimits
from .notes_events import NotesEvents
from .options import SignalingOptions
from .participants import Participants
from .process_notices import NOTICE_ROOM, NoticeRelay
from .recording_events import RecordingEvents
from .recording_files import RecordingFiler
from .recording_hooks import RecordingHooks
from .roundtable_events import RoundtableEvents
from .video_pins import VideoPins

__all__ = ["CallNamespace", "SignalingOptions"]


@dataclass(frozen=True)
class OpenConnection:
    """A connected sid: its events run one at a time under ``lock``, within ``limits``."""

    lock: asyncio.Lock
    limits: ConnectionLimits


class CallNamespace(socketio.AsyncNamespace):
    """Dispatches client events to the handler modules; implements their
    :class:`~signaling.handlers.Connections` port."""

    def __init__(
        self,
        service: RoomService,
        sfu: Sfu,
        options: SignalingOptions,
        clock: Clock | None = None,
        namespace: str = "/",
        notes: NotesService | None = None,
        recordings: RecordingFiler | None = None,
    ) -> None:
        super().__init__(namespace)
        self._clock = clock or SystemClock()
        self._open: dict[str, OpenConnection] = {}
        self.participants = Participants(service, sfu, options, self._clock, self)
        breakouts = BreakoutEvents(service, self.participants, self, self._clock)
        roundtables = RoundtableEvents(service, sfu, self.participants, self, self._clock,
                                       breakouts)
        self.participants.room_hooks = roundtables
        self.recordings: RecordingEvents | None = None
        if recordings is not None:  # recording is configured (web/app.py does)
            self.recordings = RecordingEvents(recordings, service, sfu, self.participants,
                                              self)
            self.participants.room_hooks = RecordingHooks(roundtables, self.recordings,
                                                          self.participants)
        self.notes = notes or NotesService(MemoryNotesStore())
        self._notes_events = NotesEvents(self.notes, service, self.participants, self,
                                         self._clock)
        handler_modules: list[HandlerModule] = [
            CallEvents(service, sfu, options, self.participants, self, self._clock),
            roundtables,
            roundtables.mutes,
            FloorEvents(service.roundtables, roundtables.act),
            breakouts,
            self._notes_events,
            VideoPins(service, sfu, self.participants, self),
            *([] if self.recordings is None else [self.recordings]),
        ]
        self._events = build_event_table(handler_modules)
        self._notices = {**roundtables.notices(), **breakouts.notices(),
                         **self.participants.notices()}
        self._relay: NoticeRelay | None = None

    @property
    def events(self) -> Mapping[str, EventSpec]:
        """The event table: every client event, its payload model and handler (read-only)."""
        return MappingProxyType(self._events)

    def connection_count(self) -> int:
        """Connections whose disconnect has not been handled yet."""
        return len(self._open)

    # -- dispatch ---------------------------------------------------------------

    async def trigger_event(self, event: str, *args: Any) -> Any:
        """Route every event through validation; unknown events get an error ack."""
        sid, data = args[0], args[1:]
        if event in RESERVED_EVENTS and not self._sent_by_client(sid):
            return await super().trigger_event(event, *args)
        spec = self._events.get(event)
        connection = self._open.get(sid)
        if spec is None:
            if connection is not None:  # logged in aggregate, not per event
                connection.limits.refusals.note("unknown_event")
            return error_ack("unknown_event", "The server does not know this event.")
        if connection is None:
            return error_ack("not_joined", "This connection is closed.")
        lock, limits = connection.lock, connection.limits

        async def call() -> Ack:
            payload = parse_payload(spec.payload, data, spec.max_bytes)
            limits.admit(event, spec.rate_class)
            try:
                async with lock:
                    return await spec.handler(sid, payload)
            finally:
                limits.done()

        return await run_handler(event, sid, call)

    def _sent_by_client(self, sid: str) -> bool:
        """A client can emit "connect"/"disconnect" itself; the server's own are pending."""
        return bool(self.server.manager.is_connected(sid, self.namespace))

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        if sid not in self._open:
            self._open[sid] = OpenConnection(
                asyncio.Lock(), ConnectionLimits(self._clock, who=f"connection {sid}")
            )

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        connection = self._open.pop(sid, None)
        if connection is not None:
            connection.limits.refusals.flush()
        await self._notes_events.disconnected(sid)
        await self.participants.disconnected(sid)

    # -- notices between processes (signaling/process_notices.py) -----------------

    def use_relay(self, relay: NoticeRelay) -> None:
        """The server's manager hands this namespace every process notice."""
        relay.handler = self._process_notice
        self._relay = relay

    async def notify_processes(self, notice: str, data: dict[str, Any]) -> None:
        """Every process handles ``notice``, this one before returning (Connections)."""
        if self._relay is None:  # no server around it (tests of the namespace alone)
            await self._process_notice(notice, data)
            return
        await self.emit(notice, data, room=NOTICE_ROOM)

    async def _process_notice(self, notice: str, data: dict[str, Any]) -> None:
        handler = self._notices.get(notice)
        if handler is not None:
            await handler(data)

    def is_open(self, sid: str) -> bool:
        """Whether the connection's disconnect has not been handled yet (Connections)."""
        return sid in self._open

    # -- lifecycle of the process -------------------------------------------------

    async def keep_presence(self) -> None:
        """Renew this process's seat leases and expire lapsed ones until cancelled."""
        await self.participants.keep_presence()

    async def close(self) -> None:
        """Cancel pending timers and notices (server shutdown)."""
        if self._relay is not None:
            await self._relay.close()
        await self.participants.close()
