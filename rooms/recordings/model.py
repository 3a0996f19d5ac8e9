"""What a recording is: its life, the files it produced, and who consented to what.

A :class:`Recording` is an immutable value; every change makes a new one and a store
swaps it in as one atomic step (``revision`` counts the writes). The consent log is part
of the recording and is never rewritten, only appended to: the latest entry of a person
decides whether their tracks are written from that moment on.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from rooms.models import DisplayName, Identity, RoomId, TrackKind, WireModel

MAX_FILES = 400  # 50 people x (audio + video + restarts), a composition and a consent log
MAX_CONSENT_ENTRIES = 2000
# Kept free of track files: the consent log, the composed file, and spare room.
RESERVED_FILES = 4
MAX_TRACK_FILES = MAX_FILES - RESERVED_FILES  # segment files the recorder may start
MAX_ANSWERS_PER_PERSON = 40  # consent answers one person may log in one recording
MAX_NAMES = 500  # display names kept per recording (one per person concerned)
PERCENT = Annotated[float, Field(ge=0, le=100)]


def check_file_name(value: str) -> str:
    """A file name inside one recording: no directory part, no dot-dot, no hidden file
    (ValueError otherwise), so that it can never name a path outside the recording."""
    if value in (".", "..") or value.startswith(".") or ".." in value:
        raise ValueError("a recording file name cannot start with a dot or contain '..'")
    return value


# Recording ids end up in Redis keys, URLs and directory names: the room id alphabet.
RecordingId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
FileName = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,128}$"),
    AfterValidator(check_file_name),
]
BookingRef = Annotated[str, StringConstraints(min_length=1, max_length=128)]


class RecordingState(StrEnum):
    """``recording`` (being written), ``stopped`` (finished cleanly), ``recovered``
    (the server died while writing; the files were finalised at the next start-up),
    ``failed`` (nothing usable, e.g. the disk filled before the first keyframe),
    ``interrupted`` (its node was lost while writing and the room recorded again on
    another node; finalised as ``recovered`` when that node or its folder comes back)."""

    RECORDING = "recording"
    INTERRUPTED = "interrupted"
    STOPPED = "stopped"
    RECOVERED = "recovered"
    FAILED = "failed"


class CompositionState(StrEnum):
    """The background job that makes one playable file of a recording."""

    PENDING = "pending"  # waiting for the recording to end, or for a worker
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class FileKind(StrEnum):
    """``track``: one participant's audio or video as forwarded; ``composed``: the one
    playable file of the session; ``consent``: the consent log as written beside them."""

    TRACK = "track"
    COMPOSED = "composed"
    CONSENT = "consent"


class ConsentDecision(StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # accepted earlier, declined later: writing stops from then


class ConsentEntry(WireModel):
    """One answer of one participant: who, when (epoch seconds), what, from which session
    (the signaling connection it came through)."""

    identity: Identity
    at: float
    decision: ConsentDecision
    session_id: str = Field(min_length=1, max_length=128)


class RecordingFile(WireModel):
    """A file of a recording in the recording storage (``name`` inside the recording)."""

    name: FileName
    kind: FileKind
    size: int = Field(ge=0)
    peer: Identity | None = None  # whose track (None for composed and consent files)
    track_kind: TrackKind | None = None
    uploaded: bool = False  # confirmed in the remote store (S3); local copy may go


class Composition(WireModel):
    """Progress of the composed file, as the admin sees it."""

    state: CompositionState = CompositionState.PENDING
    percent: PERCENT = 0.0
    attempts: int = Field(default=0, ge=0, description="failed tries so far")
    error: str | None = Field(default=None, max_length=500,
                              description="why the last try failed (kept once done)")
    worker: str | None = Field(default=None, max_length=200,
                               description="the server process composing it (while running)")
    lease_until: float | None = Field(default=None, description="epoch seconds: the worker's "
                                      "claim holds until then (renewed while it works)")


class Recording(WireModel):
    """One recording of one room, from start to stop."""

    recording_id: RecordingId
    room_id: RoomId
    booking_id: BookingRef | None = None
    started_by: Identity
    started_at: float
    stopped_at: float | None = None
    # the node (server process) writing it: start-up recovery leaves a live node's alone
    node_id: str | None = Field(default=None, max_length=64)
    state: RecordingState = RecordingState.RECORDING
    composition: Composition = Field(default_factory=Composition)
    files: list[RecordingFile] = Field(default_factory=list, max_length=MAX_FILES)
    consent: list[ConsentEntry] = Field(default_factory=list, max_length=MAX_CONSENT_ENTRIES)
    room_title: str = Field(default="", max_length=200,
                            description="the room's title when the recording started")
    names: dict[Identity, DisplayName] = Field(
        default_factory=dict, max_length=MAX_NAMES,
        description="display names by identity, as their links gave them when they "
        "started the recording or answered its consent (the latest answer's)")
    revision: int = 0

    @property
    def is_active(self) -> bool:
        return self.state is RecordingState.RECORDING

    @property
    def is_finished(self) -> bool:
        """Ended for good (``stopped``, ``recovered``, ``failed``): its files are final."""
        return self.state not in (RecordingState.RECORDING, RecordingState.INTERRUPTED)

    @property
    def duration_s(self) -> float | None:
        """Seconds from start to stop (None while it runs)."""
        return None if self.stopped_at is None else self.stopped_at - self.started_at

    @property
    def participants(self) -> list[str]:
        """Everyone the recording concerns: its starter, then each person who answered
        the consent question, in order of first answer."""
        people = [self.started_by, *(entry.identity for entry in self.consent)]
        return list(dict.fromkeys(people))

    def decision_of(self, identity: str) -> ConsentDecision | None:
        """The person's latest answer (None: not asked or not answered yet)."""
        for entry in reversed(self.consent):
            if entry.identity == identity:
                return entry.decision
        return None

    def consenting(self) -> list[str]:
        """Identities whose tracks are written now (latest answer ``accepted``)."""
        return [i for i in self.participants
                if self.decision_of(i) is ConsentDecision.ACCEPTED]

    def file(self, name: str) -> RecordingFile | None:
        return next((f for f in self.files if f.name == name), None)

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def lists_tracks(self) -> bool:
        """Whether any track file is listed (not only the consent log or composed file)."""
        return any(f.kind is FileKind.TRACK for f in self.files)


class RecordingFilter(WireModel):
    """Which recordings a listing returns: every condition given must hold. Dates bound
    ``started_at`` (``since`` inclusive, ``until`` exclusive, epoch seconds)."""

    room_id: RoomId | None = None
    booking_id: BookingRef | None = None
    participant: Identity | None = None
    since: float | None = None
    until: float | None = None

    def matches(self, recording: Recording) -> bool:
        return ((self.room_id is None or recording.room_id == self.room_id)
                and (self.booking_id is None or recording.booking_id == self.booking_id)
                and (self.participant is None or self.participant in recording.participants)
                and (self.since is None or recording.started_at >= self.since)
                and (self.until is None or recording.started_at < self.until))


def newest_first(recordings: list[Recording]) -> list[Recording]:
    """The order of every listing: latest start first, then id."""
    return sorted(recordings, key=lambda r: (-r.started_at, r.recording_id))
