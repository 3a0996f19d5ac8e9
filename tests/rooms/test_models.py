"""Room domain value objects: validation and wire form."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from rooms.errors import ERROR_CODES, RoomError
from rooms.models import (
    Participant,
    Role,
    Room,
    RoomKind,
    RoomSnapshot,
    Track,
    TrackKind,
)

NOW = 1_700_000_000.0


def test_coffee_factory() -> None:
    room = Room.coffee("abc", 1800, NOW, title="Chat")
    assert (room.kind, room.capacity, room.created_at, room.expires_at) == (
        RoomKind.COFFEE,
        2,
        NOW,
        NOW + 1800,
    )
    assert not room.is_closed(NOW + 1800)
    assert room.is_closed(NOW + 1800.5)


@pytest.mark.parametrize("capacity", [2, 7, 12, 50])
def test_roundtable_capacity_in_range(capacity: int) -> None:
    assert Room.roundtable("rt", capacity, 3600, NOW).capacity == capacity


@pytest.mark.parametrize("capacity", [0, 1, 51, 100])
def test_roundtable_capacity_out_of_range(capacity: int) -> None:
    with pytest.raises(ValidationError):
        Room.roundtable("rt", capacity, 3600, NOW)


def test_coffee_room_is_always_two() -> None:
    data = Room.coffee("abc", 1800, NOW).to_dict() | {"capacity": 3}
    with pytest.raises(ValidationError):
        Room.from_dict(data)


@pytest.mark.parametrize("room_id", ["", "has space", "a:b", "{x}", "x" * 65, "é"])
def test_room_ids_are_url_safe(room_id: str) -> None:
    with pytest.raises(ValidationError):
        Room.coffee(room_id, 1800, NOW)


@pytest.mark.parametrize("duration", [0, -5, 24 * 3600 + 1])
def test_duration_bounds(duration: int) -> None:
    with pytest.raises(ValidationError):
        Room.coffee("abc", duration, NOW)


def test_models_are_frozen() -> None:
    room = Room.coffee("abc", 1800, NOW)
    with pytest.raises(ValidationError):
        room.capacity = 5


def test_participant_track_rules() -> None:
    audio = Track(kind=TrackKind.AUDIO, track_id="t")
    with pytest.raises(ValidationError):
        Participant(identity="a", display_name="A", role=Role.MENTEE, joined_at=NOW,
                    tracks=[audio, audio])  # fmt: skip
    many = [Track(kind=TrackKind.VIDEO, track_id=str(i)) for i in range(9)]
    with pytest.raises(ValidationError):
        Participant(identity="a", display_name="A", role=Role.MENTEE, joined_at=NOW, tracks=many)


def test_snapshot_wire_round_trip() -> None:
    p = Participant(
        identity="a",
        display_name="Ada",
        role=Role.MENTOR,
        joined_at=NOW,
        tracks=[Track(kind=TrackKind.AUDIO, track_id="mic", muted=True)],
    )
    snap = RoomSnapshot(room=Room.coffee("abc", 1800, NOW), participants=[p])
    wire = json.loads(json.dumps(snap.to_dict()))
    assert wire == {
        "room": {
            "room_id": "abc",
            "kind": "coffee",
            "capacity": 2,
            "duration_s": 1800,
            "created_at": NOW,
            "expires_at": NOW + 1800,
            "title": "",
            "parent": None,
        },
        "participants": [
            {
                "identity": "a",
                "display_name": "Ada",
                "role": "mentor",
                "joined_at": NOW,
                "tracks": [{"kind": "audio", "track_id": "mic", "muted": True}],
            }
        ],
    }
    assert RoomSnapshot.from_dict(wire) == snap
    assert snap.participant("a") == p
    assert snap.participant("b") is None


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError):
        Track.from_dict({"kind": "audio", "track_id": "t", "volume": 11})


def test_room_error() -> None:
    err = RoomError("room_full")
    assert err.code == "room_full"
    assert err.message and str(err) == f"room_full: {err.message}"
    assert err.to_dict() == {"code": "room_full", "message": err.message}
    assert RoomError("forbidden", "Only the host may do that.").message == (
        "Only the host may do that."
    )
    assert all(RoomError(code).message for code in ERROR_CODES)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        RoomError("nope")  # type: ignore[arg-type]
