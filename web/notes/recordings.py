"""A session's recordings as its notes show them (docs/notes-api.md): admins get each
recording's id and its admin API link; participants only learn that a recording exists
(when, in which state), since the recordings API is for admins only."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field, ValidationError

from rooms.recordings.model import Recording, RecordingFilter, RecordingState
from rooms.recordings.store import RecordingStore

MAX_LISTED = 100


class SessionRecording(BaseModel):
    """One recording of the session."""

    recording_id: str | None = Field(description="admins only (null for participants)")
    url: str | None = Field(description="the recording's metadata in the admin API "
                            "(admins only; null for participants)")
    state: RecordingState
    started_at: float = Field(description="epoch seconds")
    stopped_at: float | None = Field(description="null while recording")


class SessionRecordings(BaseModel):
    """Answer of ``GET /api/notes/sessions/{room_id}/recordings``, oldest first."""

    room_id: str
    recordings: list[SessionRecording]


def recording_path(recording_id: str) -> str:
    return f"/api/recordings/{recording_id}"


def notes_path(room_id: str) -> str:
    """The session's notes export (what a recording links to)."""
    return f"/api/notes/sessions/{room_id}"


async def found_recordings(store: RecordingStore, room_id: str) -> list[Recording]:
    """The session's recordings, oldest first (at most ``MAX_LISTED``)."""
    try:
        where = RecordingFilter(room_id=room_id)
    except ValidationError:  # not a room id: no room, no recordings
        return []
    found: list[Recording] = await store.find(where, MAX_LISTED)
    return sorted(found, key=lambda r: (r.started_at, r.recording_id))


def listed_recordings(found: list[Recording], admin: bool) -> list[SessionRecording]:
    return [SessionRecording(recording_id=r.recording_id if admin else None,
                             url=recording_path(r.recording_id) if admin else None,
                             state=r.state, started_at=r.started_at, stopped_at=r.stopped_at)
            for r in found]


def when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def recordings_markdown(recordings: list[SessionRecording]) -> str:
    """The export's "Recordings" section ('' when the session was not recorded)."""
    if not recordings:
        return ""
    lines = ["", "## Recordings", ""]
    for r in recordings:
        line = f"- Recorded {when(r.started_at)} ({r.state.value})"
        if r.recording_id is not None and r.url is not None:
            line += f": `{r.recording_id}`, {r.url}"
        lines.append(line)
    return "\n".join(lines) + "\n"
