"""Recording a call: `start_recording`, `stop_recording`, `recording_consent`
(docs/protocol.md, Recording), and recording's part in joining, publishing, leaving
and a room's end (:class:`~signaling.room_hooks.RoomHooks`, chained after the room
kind's own hooks by :class:`RecordingHooks`).

Rules:

* Who may start and stop: :mod:`rooms.recordings.policy` (the ``record`` grant, and a
  roundtable's hosts, or a coffee room's mentor / either participant), checked by
  :class:`~rooms.recordings.service.RecordingService`; refused: nothing starts.
* Starting counts as the starter's own consent. Everyone else is asked (the
  `recording_state` event, and the join ack's ``recording`` for a later joiner) and
  answers with `recording_consent`; every answer goes into the recording's consent log
  (who, when, what, from which connection).
* Only people whose latest answer is "accepted" have their published tracks written:
  :meth:`Recorder.start` on acceptance and after each publish (a re-publish, a
  rejoin), :meth:`Recorder.stop` on a later "no". Leaving ends their tracks by itself.
* The recording stops when someone allowed stops it, when the last participant held
  here leaves, when the room ends, when the server shuts down, when the node drains and
  the call moves to another node (`recording_error` ``recording_node_drained``), or when
  a file cannot be written (disk full: `recording_error` with ``recording_disk_full``;
  what was written stays playable). The files are then finalised and filed
  (:mod:`signaling.recording_files`).

The live recording of a room is held by the process that forwards its media (the
recorder is a subscriber of this process's SFU); the store holds the metadata.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from media.recording import Recorder
from media.sfu import Sfu
from rooms.models import Role, Room, RoomKind
from rooms.recordings.model import (
    MAX_TRACK_FILES,
    ConsentDecision,
    Recording,
    RecordingState,
)
from rooms.recordings.policy import DEFAULT_POLICY, who_may_record
from rooms.service import RoomService

from .dispatch import Ack
from .errors import SignalingError, ok_ack
from .handlers import Connections, EventSpec, EventTable
from .limits import ROUNDTABLE_RATE
from .participants import Participants
from .payloads import Payload
from .recording_files import RecordingFiler, file_label
from .roundtable_payloads import NoFieldsPayload
from .session import CallSession

logger = logging.getLogger(__name__)

STATE_EVENT = "recording_state"
POLICY_EVENT = "recording_policy"
ERROR_EVENT = "recording_error"
DISK_FULL = "recording_disk_full"
DISK_FULL_MESSAGE = ("The recording stopped: the server could not write it (disk full). "
                     "What was recorded until now is kept.")
NODE_DRAINED = "recording_node_drained"
NODE_DRAINED_MESSAGE = ("The recording stopped: this call moved to another server (a "
                        "server restart). What was recorded is kept; start recording "
                        "again to go on.")
SEGMENT_LIMIT = "recording_segment_limit"
SEGMENT_LIMIT_MESSAGE = ("This recording has as many files as it can hold: nothing new is "
                         "recorded in it (what was recorded is kept). Stop it and start a "
                         "new one to record more.")


class ConsentPayload(Payload):
    """`recording_consent`: the participant's answer (may change while recording)."""

    accepted: bool


@dataclass
class LiveRecording:
    """A room's running recording in this process."""

    recording: Recording
    recorder: Recorder
    limited: bool = False  # the room was told that its file limit was reached


class RecordingEvents:
    """start_recording, stop_recording, recording_consent; recording's room hooks."""

    def __init__(self, filer: RecordingFiler, service: RoomService, sfu: Sfu,
                 participants: Participants, connections: Connections) -> None:
        self._filer = filer
        self._recordings = filer.service
        self._service = service
        self._sfu = sfu
        self._participants = participants
        self._connections = connections
        self._live: dict[str, LiveRecording] = {}  # room id -> its running recording
        self._locks: dict[str, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def events(self) -> EventTable:
        rate = ROUNDTABLE_RATE
        return {
            "start_recording": EventSpec(NoFieldsPayload, self.start_recording, rate),
            "stop_recording": EventSpec(NoFieldsPayload, self.stop_recording, rate),
            "recording_consent": EventSpec(ConsentPayload, self.recording_consent, rate),
        }

    def _lock(self, room_id: str) -> asyncio.Lock:
        return self._locks.setdefault(room_id, asyncio.Lock())

    async def _role(self, session: CallSession, kind: RoomKind) -> Role:
        """The person's role now (a roundtable's hosts change while it runs)."""
        if kind is RoomKind.ROUNDTABLE:
            state = await self._service.roundtables.state(session.room_id)
            return state.role_of(session.identity) or session.grant.role
        return session.grant.role

    # -- events -------------------------------------------------------------------

    async def start_recording(self, sid: str, payload: NoFieldsPayload) -> Ack:
        session = self._participants.session(sid)
        room = (await self._service.snapshot(session.room_id)).room
        role = await self._role(session, room.kind)
        async with self._lock(session.room_id):
            recording = await self._recordings.start(room, session.identity, role,
                                                     session.grant.record,
                                                     name=session.grant.display_name)
            room_id = session.room_id
            recorder = Recorder(self._sfu, self._filer.folder(recording.recording_id),
                                lambda peer, kind, error: self._disk_failed(
                                    room_id, peer, kind, error), file_label,
                                max_files=MAX_TRACK_FILES,
                                on_limit=lambda peer, kind: self._limited(room_id))
            live = LiveRecording(recording, recorder)
            self._live[session.room_id] = live
            live.recording = await self._recordings.answer_consent(
                recording.recording_id, session.identity, True, sid,
                session.grant.display_name)
            self._record(live, session)
        logger.info("%s started recording room %s (%s)", session.identity, session.room_id,
                    recording.recording_id)
        await self._tell(session.room_id)
        return ok_ack(recording=self.view(session.room_id))

    async def stop_recording(self, sid: str, payload: NoFieldsPayload) -> Ack:
        session = self._participants.session(sid)
        room = (await self._service.snapshot(session.room_id)).room
        role = await self._role(session, room.kind)
        async with self._lock(session.room_id):
            await self._recordings.stop(room, role, session.grant.record)
            live = await self._end(session.room_id, RecordingState.STOPPED)
        if live is not None:
            await self._file(live)  # the ack means: finalised and filed
        return ok_ack()

    async def recording_consent(self, sid: str, payload: ConsentPayload) -> Ack:
        session = self._participants.session(sid)
        async with self._lock(session.room_id):
            live = self._live.get(session.room_id)
            if live is None:
                raise SignalingError("not_recording", "This call is not being recorded.")
            live.recording = await self._recordings.answer_consent(
                live.recording.recording_id, session.identity, payload.accepted, sid,
                session.grant.display_name)
            if payload.accepted:
                self._record(live, session)
            else:
                live.recorder.stop(session.peer_id)
        await self._tell(session.room_id)
        return ok_ack(recording=self.view(session.room_id))

    # -- what the room is told ------------------------------------------------------

    def view(self, room_id: str) -> dict[str, Any]:
        """The `recording_state` payload (also the join ack's ``recording``)."""
        live = self._live.get(room_id)
        if live is None:
            return {"recording": False}
        recording = live.recording
        consent = {identity: decision.value for identity in recording.participants
                   if (decision := recording.decision_of(identity)) is not None}
        return {"recording": True, "recording_id": recording.recording_id,
                "started_by": recording.started_by, "since": recording.started_at,
                "consent": consent}

    async def _tell(self, room_id: str) -> None:
        await self._connections.emit(STATE_EVENT, self.view(room_id), room=room_id)

    async def who_may_record(self, room: Room) -> str:
        """The room's rule (the join ack's ``who_may_record``): ``mentor``, ``either`` or
        ``hosts``. With the store away, the default rule (the server still decides)."""
        try:
            policy = await self._recordings.store.policy(room.room_id)
        except Exception:  # a join never fails over a button
            logger.warning("room %s: recording policy unreadable, showing the default",
                           room.room_id)
            policy = DEFAULT_POLICY
        return who_may_record(room.kind, policy)

    async def policy_changed(self, room_id: str, who: str) -> None:
        """An admin changed the room's rule: its pages show or hide their Record button."""
        await self._connections.emit(POLICY_EVENT, {"who_may_record": who}, room=room_id)

    # -- media --------------------------------------------------------------------

    def _record(self, live: LiveRecording, session: CallSession) -> None:
        """Write the person's published tracks if their latest answer is yes."""
        if live.recording.decision_of(session.identity) is ConsentDecision.ACCEPTED:
            live.recorder.start(session.peer_id)

    async def published(self, session: CallSession) -> None:
        """After a publish (first, re-publish, after a rejoin): record if consenting."""
        live = self._live.get(session.room_id)
        if live is not None:
            async with self._lock(session.room_id):
                if self._live.get(session.room_id) is live:
                    self._record(live, session)

    async def _end(self, room_id: str, state: RecordingState) -> LiveRecording | None:
        """Under the room's lock: nothing more is written, the recording is ``state`` in
        the store (the room may record again) and the room is told. Then call
        :meth:`_file` (outside the lock: finalising takes a while)."""
        live = self._live.pop(room_id, None)
        if live is None:
            return None
        for session in self._participants.sessions_in(room_id):
            live.recorder.stop(session.peer_id)
        await self._recordings.finish(live.recording.recording_id, state)
        logger.info("recording %s of room %s ended (%s)", live.recording.recording_id,
                    room_id, state.value)
        await self._tell(room_id)
        return live

    async def _file(self, live: LiveRecording) -> None:
        """Finalise the files and file them with the recording (never raises)."""
        recording_id = live.recording.recording_id
        try:
            await live.recorder.close()
            await self._filer.file(recording_id)
        except Exception:
            logger.exception("finalising or filing recording %s failed", recording_id)

    async def end_room_recording(self, room_id: str) -> None:
        """The room ended, or nobody is left in it here: stop its recording (its files
        are finalised in the background; :meth:`close` waits for them)."""
        if room_id not in self._live:
            return
        async with self._lock(room_id):
            live = await self._end(room_id, RecordingState.STOPPED)
        if live is not None:
            self._background(self._file(live))

    async def node_drained(self, room_id: str) -> None:
        """This node drains and the room's call moves to another node (its connections
        are told `moved` next): the recording, written here, cannot follow. It stops
        (``stopped``; its files are finalised and filed here, in the background that
        :meth:`close` waits for) and the room is told why (``recording_node_drained``)
        before the state. Nothing if the room is not recorded here."""
        if room_id not in self._live:
            return
        async with self._lock(room_id):
            live = self._live.get(room_id)
            if live is None:
                return
            logger.info("recording %s of room %s: stopped, the node drains",
                        live.recording.recording_id, room_id)
            await self._connections.emit(ERROR_EVENT, {"code": NODE_DRAINED,
                                                       "message": NODE_DRAINED_MESSAGE},
                                         room=room_id)
            live = await self._end(room_id, RecordingState.STOPPED)
        if live is not None:
            self._background(self._file(live))

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _disk_failed(self, room_id: str, peer_id: str, kind: str, error: OSError) -> None:
        logger.error("recording room %s: writing %s's %s failed: %s", room_id, peer_id,
                     kind, error)
        self._background(self._stop_on_failure(room_id))

    def _limited(self, room_id: str) -> None:
        """The recorder started as many files as the recording may list: what runs goes
        on, nothing new starts; the room is told once (``recording_segment_limit``)."""
        live = self._live.get(room_id)
        if live is None or live.limited:
            return
        live.limited = True
        logger.warning("recording %s of room %s reached its limit of files: no new track "
                       "is recorded", live.recording.recording_id, room_id)
        self._background(self._connections.emit(
            ERROR_EVENT, {"code": SEGMENT_LIMIT, "message": SEGMENT_LIMIT_MESSAGE},
            room=room_id))

    async def _stop_on_failure(self, room_id: str) -> None:
        live = self._live.get(room_id)
        if live is None:
            return
        async with self._lock(room_id):
            if self._live.get(room_id) is not live:
                return
            await self._end(room_id, RecordingState.STOPPED)
        await self._file(live)
        await self._connections.emit(ERROR_EVENT, {"code": DISK_FULL,
                                                   "message": DISK_FULL_MESSAGE}, room=room_id)

    async def close(self) -> None:
        """Server shutdown: every running recording stops cleanly and is filed (call it
        while the stores are still open)."""
        for room_id in list(self._live):
            try:
                await self.end_room_recording(room_id)
            except Exception:
                logger.exception("stopping the recording of room %s failed", room_id)
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
