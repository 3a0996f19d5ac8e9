"""One contract for every RoomStore: run against the in-memory and the Redis store."""

from __future__ import annotations

import asyncio
import json

import pytest

from rooms.clock import ManualClock
from rooms.models import Role, Room
from rooms.store import RoomStore
from tests.rooms.builders import (
    AUDIO,
    DURATION_S,
    GRACE_S,
    START,
    VIDEO,
    coffee,
    expect_error,
    person,
    race,
    tally,
)

# --- create / get / delete ---------------------------------------------------------------


async def test_create_then_get(store: RoomStore) -> None:
    room = coffee()
    await store.create_room(room)
    assert await store.get_room("room-1") == room


async def test_get_missing_room_is_none(store: RoomStore) -> None:
    assert await store.get_room("nope") is None


async def test_create_twice_is_refused(store: RoomStore) -> None:
    await store.create_room(coffee())
    await expect_error("room_exists", store.create_room(coffee()))


async def test_create_room_already_past_its_grace_is_refused(store: RoomStore) -> None:
    old = coffee(now=START - DURATION_S - GRACE_S - 1)
    await expect_error("room_closed", store.create_room(old))


async def test_delete_room(store: RoomStore) -> None:
    await store.create_room(coffee())
    await store.join("room-1", person("a"))
    await store.delete_room("room-1")
    assert await store.get_room("room-1") is None
    await expect_error("room_not_found", store.snapshot("room-1"))
    await store.delete_room("room-1")  # already gone: no error
    await store.create_room(coffee())
    assert (await store.snapshot("room-1")).participants == []


async def test_missing_room_errors(store: RoomStore) -> None:
    await expect_error("room_not_found", store.join("nope", person("a")))
    await expect_error("room_not_found", store.snapshot("nope"))
    await expect_error("room_not_found", store.set_tracks("nope", "a", [AUDIO]))
    assert await store.leave("nope", "a") is False


# --- join / leave / capacity -------------------------------------------------------------


async def test_join_returns_snapshot_in_join_order(store: RoomStore) -> None:
    await store.create_room(coffee())
    first = await store.join("room-1", person("b", role=Role.MENTOR, at=START + 1))
    assert [p.identity for p in first.participants] == ["b"]
    second = await store.join("room-1", person("a", at=START + 2))
    assert second.room == coffee()
    assert [p.identity for p in second.participants] == ["b", "a"]
    assert second.participant("b") == person("b", role=Role.MENTOR, at=START + 1)
    assert await store.snapshot("room-1") == second


async def test_coffee_room_holds_two(store: RoomStore) -> None:
    await store.create_room(coffee())
    await store.join("room-1", person("a"))
    await store.join("room-1", person("b"))
    await expect_error("room_full", store.join("room-1", person("c")))
    assert len((await store.snapshot("room-1")).participants) == 2


async def test_roundtable_capacity(store: RoomStore) -> None:
    await store.create_room(Room.roundtable("rt", 3, DURATION_S, START))
    for ident in "abc":
        await store.join("rt", person(ident, role=Role.PARTICIPANT))
    await expect_error("room_full", store.join("rt", person("d", role=Role.PARTICIPANT)))


async def test_leave_frees_a_place(store: RoomStore) -> None:
    await store.create_room(coffee())
    await store.join("room-1", person("a"))
    await store.join("room-1", person("b"))
    assert await store.leave("room-1", "a") is True
    assert await store.leave("room-1", "a") is False
    snap = await store.join("room-1", person("c"))
    assert {p.identity for p in snap.participants} == {"b", "c"}


async def test_same_identity_rejoin_replaces_and_counts_once(store: RoomStore) -> None:
    await store.create_room(coffee())
    await store.join("room-1", person("a", name="Ada", at=START))
    await store.set_tracks("room-1", "a", [AUDIO])
    again = await store.join("room-1", person("a", name="Ada L.", at=START + 5))
    assert again.participants == [person("a", name="Ada L.", at=START + 5)]  # old tracks gone
    # Still one place left in a coffee room.
    full = await store.join("room-1", person("b"))
    assert len(full.participants) == 2
    # And a rejoin into a full room is a reconnect, not an overflow.
    rejoined = await store.join("room-1", person("b", name="B2"))
    assert rejoined.participant("b") == person("b", name="B2")
    assert len(rejoined.participants) == 2


async def test_join_keeps_tracks_given(store: RoomStore) -> None:
    await store.create_room(coffee())
    p = person("a").with_tracks([AUDIO, VIDEO])
    snap = await store.join("room-1", p)
    assert snap.participants == [p]


# --- tracks ------------------------------------------------------------------------------


async def test_set_tracks(store: RoomStore) -> None:
    await store.create_room(coffee())
    await store.join("room-1", person("a"))
    await store.join("room-1", person("b", at=START + 1))
    await store.set_tracks("room-1", "a", [AUDIO, VIDEO])
    snap = await store.snapshot("room-1")
    assert snap.participant("a") == person("a").with_tracks([AUDIO, VIDEO])
    assert snap.participant("b") == person("b", at=START + 1)
    await store.set_tracks("room-1", "a", [])
    assert (await store.snapshot("room-1")).participant("a") == person("a")


async def test_set_tracks_for_someone_absent(store: RoomStore) -> None:
    await store.create_room(coffee())
    await expect_error("not_in_room", store.set_tracks("room-1", "ghost", [AUDIO]))
    await store.join("room-1", person("a"))
    await store.leave("room-1", "a")
    await expect_error("not_in_room", store.set_tracks("room-1", "a", [AUDIO]))


async def test_set_tracks_refuses_duplicate_track_ids(store: RoomStore) -> None:
    await store.create_room(coffee())
    await store.join("room-1", person("a"))
    with pytest.raises(ValueError):
        await store.set_tracks("room-1", "a", [AUDIO, AUDIO])


async def test_left_participant_tracks_do_not_come_back(store: RoomStore) -> None:
    await store.create_room(coffee())
    await store.join("room-1", person("a"))
    await store.set_tracks("room-1", "a", [AUDIO])
    await store.leave("room-1", "a")
    snap = await store.join("room-1", person("a"))
    assert snap.participants == [person("a")]


async def test_snapshot_serialises_to_json(store: RoomStore) -> None:
    await store.create_room(coffee())
    await store.join("room-1", person("a").with_tracks([VIDEO]))
    wire = json.loads(json.dumps((await store.snapshot("room-1")).to_dict()))
    assert wire["room"]["kind"] == "coffee"
    assert wire["participants"][0]["tracks"] == [{"kind": "video", "track_id": "v1", "muted": True}]


async def test_snapshots_are_copies(store: RoomStore) -> None:
    await store.create_room(coffee())
    snap = await store.join("room-1", person("a"))
    snap.participants.clear()
    snap2 = await store.snapshot("room-1")
    snap2.participants[0].tracks.append(AUDIO)
    assert (await store.snapshot("room-1")).participants == [person("a")]


# --- expiry ------------------------------------------------------------------------------


async def test_room_closes_at_expiry(store: RoomStore, clock: ManualClock) -> None:
    await store.create_room(coffee())
    await store.join("room-1", person("a"))
    clock.set(START + DURATION_S)  # the last instant it is open
    await store.join("room-1", person("b"))
    clock.advance(0.001)
    await expect_error("room_closed", store.join("room-1", person("c")))
    await expect_error("room_closed", store.join("room-1", person("a")))
    await expect_error("room_closed", store.set_tracks("room-1", "a", [AUDIO]))
    # Winding down still works during the grace period.
    assert len((await store.snapshot("room-1")).participants) == 2
    assert await store.leave("room-1", "b") is True


# --- concurrency -------------------------------------------------------------------------


async def test_twenty_concurrent_joins_two_succeed(store: RoomStore) -> None:
    await store.create_room(coffee())
    assert tally(await race([store], "room-1")) == (2, 18)
    assert len((await store.snapshot("room-1")).participants) == 2


async def test_concurrent_joins_to_a_full_size_roundtable(store: RoomStore) -> None:
    await store.create_room(Room.roundtable("rt", 12, DURATION_S, START))
    results = await asyncio.gather(
        *(store.join("rt", person(f"u{i}", role=Role.PARTICIPANT)) for i in range(30)),
        return_exceptions=True,
    )
    assert tally(results) == (12, 18)
    assert len((await store.snapshot("rt")).participants) == 12
