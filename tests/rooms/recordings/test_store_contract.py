"""One contract for every RecordingStore: run against the in-memory and the Redis store."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from rooms.clock import ManualClock
from rooms.errors import RoomError
from rooms.recordings.audit import AuditAction, AuditEntry, AuditOutcome
from rooms.recordings.model import (
    ConsentDecision,
    ConsentEntry,
    Recording,
    RecordingFilter,
    RecordingState,
)
from rooms.recordings.policy import CoffeeRecorders, RecordingPolicy
from rooms.recordings.store import RecordingStore
from tests.rooms.builders import START, expect_error
from tests.rooms.recordings.builders import recording


def consented(current: Recording, who: str) -> Recording:
    entry = ConsentEntry(identity=who, at=START + 1, decision=ConsentDecision.ACCEPTED,
                         session_id="sid-" + who)
    return current.model_copy(update={"consent": [*current.consent, entry]})


def stopped(current: Recording) -> Recording:
    return current.model_copy(update={"state": RecordingState.STOPPED,
                                      "stopped_at": START + 60})


async def test_create_get_and_revision(recording_store: RecordingStore) -> None:
    made = await recording_store.create(recording())
    assert made.revision == 1
    assert await recording_store.get("rec-1") == made
    assert await recording_store.get("nope") is None
    await expect_error("recording_exists", recording_store.create(recording()))


async def test_one_active_recording_per_room(recording_store: RecordingStore) -> None:
    await recording_store.create(recording("rec-1"))
    await expect_error("already_recording", recording_store.create(recording("rec-2")))
    assert await recording_store.get("rec-2") is None
    await recording_store.create(recording("rec-3", room_id="room-2"))  # another room
    await recording_store.create(recording("rec-4", active=False))  # a finished one
    assert (await recording_store.active("room-1")).recording_id == "rec-1"  # type: ignore[union-attr]
    await recording_store.update("rec-1", stopped)
    assert await recording_store.active("room-1") is None
    await recording_store.create(recording("rec-2", at=START + 100))
    assert (await recording_store.active("room-1")).recording_id == "rec-2"  # type: ignore[union-attr]


async def test_concurrent_starts_make_exactly_one(recording_store: RecordingStore) -> None:
    results = await asyncio.gather(
        *(recording_store.create(recording(f"rec-{n}")) for n in range(10)),
        return_exceptions=True)
    made = [r for r in results if isinstance(r, Recording)]
    refused = [r for r in results if isinstance(r, RoomError)]
    assert len(made) == 1 and len(refused) == 9
    assert {e.code for e in refused} == {"already_recording"}


async def test_update_applies_changes_in_turn(recording_store: RecordingStore) -> None:
    await recording_store.create(recording())
    people = [f"p{n}" for n in range(12)]

    def consent_of(who: str) -> Callable[[Recording], Recording]:
        return lambda current: consented(current, who)

    await asyncio.gather(*(recording_store.update("rec-1", consent_of(p)) for p in people))
    final = await recording_store.get("rec-1")
    assert final is not None
    assert sorted(e.identity for e in final.consent) == sorted(people)  # none lost
    assert final.revision == 1 + len(people)


async def test_update_same_object_is_no_write(recording_store: RecordingStore) -> None:
    made = await recording_store.create(recording())
    assert await recording_store.update("rec-1", lambda r: r) == made


async def test_update_errors(recording_store: RecordingStore) -> None:
    await expect_error("recording_not_found", recording_store.update("nope", stopped))
    await recording_store.create(recording())

    def refuse(current: Recording) -> Recording:
        raise RoomError("not_recording")

    await expect_error("not_recording", recording_store.update("rec-1", refuse))
    with pytest.raises(ValueError):
        await recording_store.update(
            "rec-1", lambda r: r.model_copy(update={"room_id": "room-9"}))
    await recording_store.update("rec-1", stopped)
    with pytest.raises(ValueError):  # never active again
        await recording_store.update(
            "rec-1", lambda r: r.model_copy(update={"state": RecordingState.RECORDING}))
    assert (await recording_store.get("rec-1")).revision == 2  # type: ignore[union-attr]


async def test_list_filters(recording_store: RecordingStore) -> None:
    await recording_store.create(recording("a", "room-1", START, booking_id="b1"))
    await recording_store.update("a", lambda r: consented(r, "mentee-1"))
    await recording_store.update("a", stopped)
    await recording_store.create(recording("b", "room-1", START + 3600))
    await recording_store.create(recording("c", "room-2", START + 7200, booking_id="b1",
                                           started_by="mentor-2"))
    await recording_store.create(recording("d", "room-3", START - 86400, active=False))

    async def ids(**where: object) -> list[str]:
        found = await recording_store.find(RecordingFilter.model_validate(where))
        return [r.recording_id for r in found]

    assert await ids() == ["c", "b", "a", "d"]  # newest first
    assert await ids(room_id="room-1") == ["b", "a"]
    assert await ids(booking_id="b1") == ["c", "a"]
    assert await ids(participant="mentee-1") == ["a"]
    assert await ids(participant="mentor-1") == ["b", "a", "d"]
    assert await ids(participant="mentor-2", booking_id="b1") == ["c"]
    assert await ids(since=START, until=START + 3600) == ["a"]  # until is exclusive
    assert await ids(since=START + 1) == ["c", "b"]
    assert await ids(until=START) == ["d"]
    assert await ids(room_id="room-1", since=START + 1) == ["b"]
    assert await ids(room_id="room-9") == []
    assert [r.recording_id for r in await recording_store.find(RecordingFilter(), 2)] == [
        "c", "b"]


async def test_delete_removes_from_every_listing(recording_store: RecordingStore) -> None:
    await recording_store.create(recording("a", booking_id="b1"))
    await recording_store.update("a", lambda r: consented(r, "mentee-1"))
    await recording_store.create(recording("b", "room-2"))
    assert await recording_store.delete("a") is True
    assert await recording_store.delete("a") is False
    assert await recording_store.get("a") is None
    assert await recording_store.active("room-1") is None
    for where in (RecordingFilter(), RecordingFilter(room_id="room-1"),
                  RecordingFilter(booking_id="b1"), RecordingFilter(participant="mentee-1")):
        assert "a" not in [r.recording_id for r in await recording_store.find(where)]
    await recording_store.create(recording("a2"))  # the room may record again
    assert (await recording_store.get("b")) is not None


async def test_policy_defaults_and_expires_with_the_room(recording_store: RecordingStore,
                                                          clock: ManualClock) -> None:
    assert (await recording_store.policy("room-1")).coffee_recorders is CoffeeRecorders.MENTOR
    either = RecordingPolicy(coffee_recorders=CoffeeRecorders.EITHER)
    await recording_store.set_policy("room-1", either, until=START + 100)
    assert await recording_store.policy("room-1") == either
    assert (await recording_store.policy("room-2")).coffee_recorders is CoffeeRecorders.MENTOR
    await expect_error("room_closed", recording_store.set_policy("room-3", either, START))


async def test_signed_out_admin_sessions_are_remembered_until_they_end(
        recording_store: RecordingStore) -> None:
    assert not await recording_store.session_revoked("nonce-a")
    await recording_store.revoke_session("nonce-a", until=START + 100)
    await recording_store.revoke_session("nonce-old", until=START - 1)  # already over
    assert await recording_store.session_revoked("nonce-a")
    assert not await recording_store.session_revoked("nonce-b")
    assert not await recording_store.session_revoked("nonce-old")


def audit(n: int, recording_id: str | None = None) -> AuditEntry:
    return AuditEntry(at=START + n, actor="admin", action=AuditAction.DOWNLOAD,
                      outcome=AuditOutcome.ALLOWED if n % 2 else AuditOutcome.REFUSED,
                      recording_id=recording_id, code=None if n % 2 else "link_expired")


async def test_audit_log_newest_first_bounded(recording_store: RecordingStore) -> None:
    assert await recording_store.audit_log() == []
    for n in range(60):  # the fixtures keep 50
        await recording_store.audit(audit(n, "rec-x" if n % 3 == 0 else "rec-y"))
    log = await recording_store.audit_log(limit=1000)
    assert [e.at - START for e in log] == list(range(59, 9, -1))
    assert log[0] == audit(59, "rec-y")
    assert [e.at - START for e in await recording_store.audit_log(limit=3)] == [59, 58, 57]
    only_x = await recording_store.audit_log(limit=4, recording_id="rec-x")
    assert [e.at - START for e in only_x] == [57, 54, 51, 48]


async def test_a_recordings_trail_outlives_a_flood_of_other_entries(
        recording_store: RecordingStore) -> None:
    """The whole log keeps its latest entries (50 here); a recording's own entries are
    kept apart, so that refused requests about other ids cannot push them out."""
    for n in range(3):
        await recording_store.audit(audit(n, "rec-x"))
    for n in range(3, 203):
        await recording_store.audit(audit(n, None if n % 2 else f"junk-{n}"))
    assert len(await recording_store.audit_log(limit=1000)) == 50
    trail = await recording_store.audit_log(limit=1000, recording_id="rec-x")
    assert [e.at - START for e in trail] == [2, 1, 0]
    assert [e.at - START for e in await recording_store.audit_log(
        limit=2, recording_id="rec-x")] == [2, 1]


def interrupted(current: Recording) -> Recording:
    return current.model_copy(update={"state": RecordingState.INTERRUPTED})


async def test_an_interrupted_recording_frees_the_room_and_is_recovered_later(
        recording_store: RecordingStore) -> None:
    await recording_store.create(recording("rec-1"))
    await recording_store.update("rec-1", interrupted)  # its node was lost
    assert await recording_store.active("room-1") is None
    await recording_store.create(recording("rec-2", at=START + 100))  # the room again
    assert (await recording_store.active("room-1")).recording_id == "rec-2"  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="active again"):
        await recording_store.update("rec-1", lambda current: current.model_copy(
            update={"state": RecordingState.RECORDING}))
    recovered = await recording_store.update("rec-1", lambda current: current.model_copy(
        update={"state": RecordingState.RECOVERED, "stopped_at": START + 50}))
    assert recovered.state is RecordingState.RECOVERED
    assert (await recording_store.active("room-1")).recording_id == "rec-2"  # type: ignore[union-attr]
    await recording_store.update("rec-2", stopped)
    with pytest.raises(ValueError, match="cannot be interrupted"):
        await recording_store.update("rec-2", interrupted)
