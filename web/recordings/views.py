"""Query parameters and answers of the recordings API (they are also its OpenAPI schemas)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from rooms.models import Identity, RoomId
from rooms.recordings.audit import AuditEntry
from rooms.recordings.model import (
    BookingRef,
    Composition,
    ConsentEntry,
    Recording,
    RecordingFile,
    RecordingFilter,
    RecordingId,
    RecordingState,
)
from rooms.recordings.store import DEFAULT_LIMIT, MAX_LIMIT

from ..notes.recordings import notes_path


def epoch(moment: datetime | None) -> float | None:
    """Epoch seconds of a query time (a time without a zone is UTC)."""
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


class RecordingsParams(BaseModel):
    """Query of ``GET /api/recordings``: every filter given must hold."""

    model_config = ConfigDict(extra="forbid")

    room_id: RoomId | None = None
    booking_id: BookingRef | None = None
    participant: Identity | None = Field(default=None, description="an identity that "
                                         "started the recording or answered its consent")
    since: datetime | None = Field(default=None, description="started at or after (ISO 8601 "
                                   "or epoch seconds; UTC when no offset)")
    until: datetime | None = Field(default=None, description="started before")
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)

    def where(self) -> RecordingFilter:
        return RecordingFilter(room_id=self.room_id, booking_id=self.booking_id,
                               participant=self.participant, since=epoch(self.since),
                               until=epoch(self.until))


class AuditParams(BaseModel):
    """Query of ``GET /api/recordings-audit``."""

    model_config = ConfigDict(extra="forbid")

    recording_id: RecordingId | None = None
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


class RecordingView(BaseModel):
    """A recording's metadata: who, when, how long, consent log, files, composition."""

    recording_id: str
    room_id: str
    booking_id: str | None
    started_by: str
    started_at: float = Field(description="epoch seconds")
    stopped_at: float | None
    duration_s: float | None = Field(description="null while recording")
    state: RecordingState
    composition: Composition
    participants: list[str]
    consent: list[ConsentEntry]
    files: list[RecordingFile]
    total_bytes: int
    room_title: str = Field(description="the room's title when it started (\"\": none)")
    names: dict[str, str] = Field(description="display names by identity (of the people in "
                                  "`participants`, as their links gave them)")
    notes_url: str = Field(description="the session's notes as Markdown "
                           "(`GET /api/notes/sessions/{room_id}`; an admin may read it)")

    @classmethod
    def of(cls, recording: Recording) -> RecordingView:
        return cls(recording_id=recording.recording_id, room_id=recording.room_id,
                   booking_id=recording.booking_id, started_by=recording.started_by,
                   started_at=recording.started_at, stopped_at=recording.stopped_at,
                   duration_s=recording.duration_s, state=recording.state,
                   composition=recording.composition, participants=recording.participants,
                   consent=recording.consent, files=recording.files,
                   total_bytes=recording.total_bytes, room_title=recording.room_title,
                   names=recording.names,
                   notes_url=notes_path(recording.room_id))


class DownloadLink(BaseModel):
    """Answer of ``POST .../link``: a signed URL for one file, valid until ``expires_at``."""

    url: str
    expires_at: int = Field(description="epoch seconds")
    size: int


class DeletedRecording(BaseModel):
    """Answer of ``DELETE /api/recordings/{recording_id}``."""

    recording_id: str
    files_deleted: int


class AuditView(BaseModel):
    """One audit log entry (see docs/recordings-api.md)."""

    entries: list[AuditEntry]


class SignInBody(BaseModel):
    """Body of ``POST /api/recordings-session``: the admin key, or a join token with the
    ``admin`` grant (which reaches its own room's recordings only)."""

    model_config = ConfigDict(extra="forbid")

    credential: str = Field(min_length=1, max_length=8192)


class SessionView(BaseModel):
    """The admin page's session: who, until when, its CSRF token, and the settings the
    page shows."""

    actor: str = Field(description="`admin` (the admin key) or `token:<identity>`")
    room_id: str | None = Field(description="a token's room: the only recordings it "
                                "reaches (null: the admin key, every recording)")
    admin_key: bool = Field(description="signed in with the admin key: may delete and "
                            "read the audit log")
    expires_at: int = Field(description="epoch seconds; sign in again after")
    csrf_token: str = Field(description="send as `X-CSRF-Token` with every request that "
                            "changes something")
    retention_days: int = Field(description="recordings are deleted this many days after "
                                "they started (0: kept forever)")
    link_ttl_s: int = Field(description="how long a signed download URL works")


class SignedOut(BaseModel):
    """Answer of ``DELETE /api/recordings-session``."""

    signed_out: bool = True
