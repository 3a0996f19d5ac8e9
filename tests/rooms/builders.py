"""Small builders and assertions shared by the rooms tests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Any

import pytest

from rooms.errors import RoomError
from rooms.models import Participant, Role, Room, Track, TrackKind
from rooms.store import RoomStore

START = 1_700_000_000.0
GRACE_S = 60.0
DURATION_S = 1800


def coffee(room_id: str = "room-1", now: float = START) -> Room:
    return Room.coffee(room_id, DURATION_S, now, title="Career chat")


def person(
    identity: str, name: str = "", role: Role = Role.MENTEE, at: float = START
) -> Participant:
    return Participant(identity=identity, display_name=name or identity, role=role, joined_at=at)


AUDIO = Track(kind=TrackKind.AUDIO, track_id="a1")
VIDEO = Track(kind=TrackKind.VIDEO, track_id="v1", muted=True)


async def expect_error(code: str, awaitable: Awaitable[Any]) -> RoomError:
    with pytest.raises(RoomError) as info:
        await awaitable
    assert info.value.code == code
    return info.value


async def race(stores: Sequence[RoomStore], room_id: str) -> list[BaseException | object]:
    return await asyncio.gather(
        *(
            stores[i % len(stores)].join(room_id, person(f"user-{i}", at=START + i))
            for i in range(20)
        ),
        return_exceptions=True,
    )


def tally(results: Sequence[BaseException | object]) -> tuple[int, int]:
    full = [r for r in results if isinstance(r, RoomError) and r.code == "room_full"]
    other = [r for r in results if isinstance(r, BaseException) and r not in full]
    assert not other, other
    return len(results) - len(full), len(full)
