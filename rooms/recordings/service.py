"""RecordingService: what signaling (start, stop, consent) and the recorder and
composition jobs (files, progress, recovery) call. It checks who may do what and changes
recordings only through the store's atomic ``update``."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Sequence

from rooms.clock import Clock, SystemClock
from rooms.errors import RoomError
from rooms.models import Role, Room
from rooms.recordings.model import (
    MAX_ANSWERS_PER_PERSON,
    MAX_CONSENT_ENTRIES,
    MAX_FILES,
    MAX_NAMES,
    MAX_TRACK_FILES,
    Composition,
    CompositionState,
    ConsentDecision,
    ConsentEntry,
    FileKind,
    Recording,
    RecordingFile,
    RecordingState,
)
from rooms.recordings.policy import RecordingPolicy, check_may_record
from rooms.recordings.store import RecordingStore

FINISHED = (RecordingState.STOPPED, RecordingState.RECOVERED, RecordingState.FAILED)


BookingOf = Callable[[str], Awaitable[str | None]]
"""The booking a room was made for (None: an unbooked room), by room id."""


def new_recording_id() -> str:
    return "rec_" + secrets.token_urlsafe(12)


class RecordingService:
    """Recording life cycle and consent for every room of a deployment."""

    def __init__(self, store: RecordingStore, clock: Clock | None = None,
                 new_id: Callable[[], str] = new_recording_id) -> None:
        self._store = store
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._new_id = new_id
        self.booking_of: BookingOf | None = None  # set by the app when scheduling runs
        self.node_id: str | None = None  # the node recording here (several nodes)
        # Several nodes on one store: the ids of the live nodes (None: one node). A start
        # that finds the room's recording held by a lost node interrupts it (see start).
        self.live_nodes: Callable[[], Awaitable[set[str]]] | None = None

    @property
    def store(self) -> RecordingStore:
        return self._store

    async def reassert_rooms(self, room_ids: Sequence[str]) -> None:
        """After a Redis restart lost them: write back these rooms' active recordings
        and policies as this process last wrote them (RoomService restart listener)."""
        for room_id in room_ids:
            await self._store.reassert(room_id)

    async def set_policy(self, room: Room, policy: RecordingPolicy) -> None:
        """The room's setting of who may record (kept until the room ends)."""
        await self._store.set_policy(room.room_id, policy, room.expires_at)

    async def _check(self, room: Room, role: Role, record_grant: bool) -> None:
        policy = await self._store.policy(room.room_id)
        check_may_record(room.kind, role, record_grant, policy)

    async def start(self, room: Room, identity: str, role: Role, record_grant: bool,
                    booking_id: str | None = None, name: str | None = None) -> Recording:
        """Start recording ``room``: ``not_allowed_to_record`` (nothing starts),
        ``room_closed``, ``already_recording``. Nobody has consented yet: the recorder
        writes a track only once its publisher accepts. Without ``booking_id``, a
        booked room's booking (a breakout's: its roundtable's) comes from ``booking_of``.
        The room's title and the starter's display ``name`` are kept with it.

        With several nodes (``live_nodes`` set), a room whose running recording belongs
        to a node that is no longer live (killed while writing) is not blocked: that
        recording becomes ``interrupted`` (its files wait for its node or folder to come
        back, whose start-up recovery marks it ``recovered``) and this one starts."""
        await self._check(room, role, record_grant)
        now = self._clock.now()
        if room.is_closed(now):
            raise RoomError("room_closed")
        if booking_id is None and self.booking_of is not None:
            booking_id = await self.booking_of(room.room_id)
            if booking_id is None and room.parent is not None:
                booking_id = await self.booking_of(room.parent)
        recording = Recording(recording_id=self._new_id(), room_id=room.room_id,
                              booking_id=booking_id, started_by=identity, started_at=now,
                              room_title=room.title,
                              names={} if name is None else {identity: name},
                              node_id=self.node_id)
        try:
            return await self._store.create(recording)
        except RoomError as exc:
            if exc.code != "already_recording" or not await self._interrupt_lost(room.room_id):
                raise
        return await self._store.create(recording)  # already_recording again: a race lost

    async def _interrupt_lost(self, room_id: str) -> bool:
        """Interrupt the room's running recording if its node is lost; whether the room's
        slot may be free now (False: a live node's, or one node only)."""
        if self.live_nodes is None:
            return False
        active = await self._store.active(room_id)
        if active is None:
            return True  # ended meanwhile
        if active.node_id is None or active.node_id == self.node_id \
                or active.node_id in await self.live_nodes():
            return False

        def interrupt(current: Recording) -> Recording:
            if not current.is_active:
                return current
            return current.model_copy(update={"state": RecordingState.INTERRUPTED})

        await self._store.update(active.recording_id, interrupt)
        return True

    async def stop(self, room: Room, role: Role, record_grant: bool) -> Recording:
        """Stop the room's recording (same rule as starting); ``not_recording`` if none.

        With several nodes, a recording whose node is lost (killed while writing) is not
        stopped here (its files are on that node, not finished, and a ``stopped`` one
        with no files could be deleted while they stay on disk): it becomes
        ``interrupted``, as ``start`` does, and the answer is ``recording_interrupted``."""
        await self._check(room, role, record_grant)
        active = await self._store.active(room.room_id)
        if active is None:
            raise RoomError("not_recording")
        if await self._interrupt_lost(room.room_id):
            raise RoomError("recording_interrupted")
        return await self.finish(active.recording_id, RecordingState.STOPPED)

    async def finish(self, recording_id: str, state: RecordingState,
                     at: float | None = None) -> Recording:
        """End a recording (running or ``interrupted``) as ``stopped`` (clean stop),
        ``recovered`` (finalised after a crash) or ``failed``, now or ``at`` (a recovered
        recording: when its files end). A recording already finished keeps its first
        ending."""
        if state not in FINISHED:
            raise ValueError(f"{state} does not end a recording")
        now = self._clock.now() if at is None else at

        def end(current: Recording) -> Recording:
            if current.is_finished:
                return current
            return current.model_copy(update={"state": state, "stopped_at": now})

        return await self._store.update(recording_id, end)

    async def answer_consent(self, recording_id: str, identity: str, accepted: bool,
                             session_id: str, name: str | None = None) -> Recording:
        """Log a participant's answer; a "no" after a "yes" is ``withdrawn``. Only while
        recording (``not_recording`` after). The same answer twice is logged once. The
        person's display ``name`` is kept with the recording (the latest given).

        The log is bounded (``MAX_CONSENT_ENTRIES``, ``MAX_ANSWERS_PER_PERSON`` each): an
        answer past a bound is refused with ``recording_consent_limit`` (the previous
        answer stands). A withdrawal is never refused: each acceptance is logged only
        while it leaves room for its own withdrawal (see :func:`check_answer_room`)."""
        now = self._clock.now()

        def answer(current: Recording) -> Recording:
            if not current.is_active:
                raise RoomError("not_recording")
            before = current.decision_of(identity)
            if accepted:
                decision = ConsentDecision.ACCEPTED
            elif before is ConsentDecision.ACCEPTED:
                decision = ConsentDecision.WITHDRAWN
            else:
                decision = ConsentDecision.DECLINED
            if name is not None and current.names.get(identity) != name and (
                    identity in current.names or len(current.names) < MAX_NAMES):
                current = current.model_copy(update={"names": {**current.names,
                                                               identity: name}})
            if before is decision or (before is ConsentDecision.WITHDRAWN and not accepted):
                return current
            check_answer_room(current, identity, decision)
            entry = ConsentEntry(identity=identity, at=now, decision=decision,
                                 session_id=session_id)
            return current.model_copy(update={"consent": [*current.consent, entry]})

        return await self._store.update(recording_id, answer)

    async def put_file(self, recording_id: str, file: RecordingFile) -> Recording:
        """Add a file to the recording, or replace the entry of the same name (a file
        that grew, or was uploaded). A new file past the recording's bound (``MAX_FILES``;
        a track file past ``MAX_TRACK_FILES``, leaving room for the consent log and the
        composed file) is refused with ``recording_segment_limit``."""

        def put(current: Recording) -> Recording:
            if current.file(file.name) is None:
                tracks = sum(f.kind is FileKind.TRACK for f in current.files)
                if len(current.files) >= MAX_FILES or (
                        file.kind is FileKind.TRACK and tracks >= MAX_TRACK_FILES):
                    raise RoomError("recording_segment_limit")
            files = [f for f in current.files if f.name != file.name] + [file]
            return current.model_copy(update={"files": files})

        return await self._store.update(recording_id, put)

    async def mark_uploaded(self, recording_id: str, name: str) -> Recording:
        """Note that ``name`` is confirmed in the remote storage."""

        def mark(current: Recording) -> Recording:
            found = current.file(name)
            if found is None:
                raise RoomError("recording_file_not_found")
            if found.uploaded:
                return current
            return current.model_copy(update={"files": [
                f.model_copy(update={"uploaded": True}) if f.name == name else f
                for f in current.files]})

        return await self._store.update(recording_id, mark)

    async def set_composition(self, recording_id: str, state: CompositionState,
                              percent: float, attempts: int | None = None,
                              error: str | None = None, worker: str | None = None,
                              lease_until: float | None = None) -> Recording:
        """Progress of the composed file (0..100); ``done`` means 100. ``attempts`` (failed
        tries) is kept when not given; ``error`` is the last failure's reason. A ``worker``
        changes only a composition it holds (or nobody holds): a worker whose claim was
        taken over changes nothing. Only ``running`` keeps a worker and its lease."""

        def composed(current: Recording) -> Recording:
            before = current.composition
            if worker is not None and before.worker not in (None, worker):
                return current
            running = state is CompositionState.RUNNING
            progress = Composition(
                state=state, percent=100.0 if state is CompositionState.DONE else percent,
                attempts=before.attempts if attempts is None else attempts,
                error=None if error is None else error[:500],
                worker=(worker or before.worker) if running else None,
                lease_until=(lease_until or before.lease_until) if running else None)
            if before == progress:
                return current
            return current.model_copy(update={"composition": progress})

        return await self._store.update(recording_id, composed)

    async def claim_composition(self, recording_id: str, worker: str, now: float,
                                lease_s: float) -> bool:
        """Make ``worker`` the one composing a finished recording whose composition waits
        (``pending``, or ``running`` under a lease that expired: its worker died); False
        if it is held by another live worker, done, failed or still recording."""

        def claim(current: Recording) -> Recording:
            held = current.composition
            if not current.is_finished or held.state not in (CompositionState.PENDING,
                                                             CompositionState.RUNNING):
                raise _NotClaimed
            if (held.state is CompositionState.RUNNING and held.worker not in (None, worker)
                    and (held.lease_until or 0.0) > now):
                raise _NotClaimed
            return current.model_copy(update={"composition": held.model_copy(update={
                "state": CompositionState.RUNNING, "percent": 0.0, "worker": worker,
                "lease_until": now + lease_s})})

        try:
            await self._store.update(recording_id, claim)
        except _NotClaimed:
            return False
        return True


def check_answer_room(current: Recording, identity: str, decision: ConsentDecision) -> None:
    """Whether ``decision`` may be logged (``recording_consent_limit`` if not). The log
    keeps room for the withdrawal of everyone whose latest answer is "accepted"
    (``len(consent) + accepting <= MAX_CONSENT_ENTRIES``, and per person
    ``MAX_ANSWERS_PER_PERSON``): an acceptance needs two free entries (itself and its
    withdrawal), a first "no" one, and a withdrawal uses the one kept for it."""
    if decision is ConsentDecision.WITHDRAWN:
        return
    needed = 2 if decision is ConsentDecision.ACCEPTED else 1
    mine = sum(entry.identity == identity for entry in current.consent)
    held = len(current.consent) + len(current.consenting())
    if held + needed > MAX_CONSENT_ENTRIES or mine + needed > MAX_ANSWERS_PER_PERSON:
        raise RoomError("recording_consent_limit")


class _NotClaimed(Exception):
    """The composition is not this worker's to take (nothing was changed)."""
