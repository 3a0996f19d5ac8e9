"""Small builders for the recordings tests."""

from __future__ import annotations

from rooms.recordings.model import Recording, RecordingState
from tests.rooms.builders import START


def recording(recording_id: str = "rec-1", room_id: str = "room-1", at: float = START,
              started_by: str = "mentor-1", booking_id: str | None = None,
              active: bool = True) -> Recording:
    made = Recording(recording_id=recording_id, room_id=room_id, booking_id=booking_id,
                     started_by=started_by, started_at=at)
    if not active:
        made = made.model_copy(update={"state": RecordingState.STOPPED,
                                       "stopped_at": at + 60})
    return made
