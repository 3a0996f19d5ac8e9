"""RecordingService against both stores: start/stop rules, consent log, files."""

from __future__ import annotations

import pytest

from rooms.clock import ManualClock
from rooms.models import Role, Room, TrackKind
from rooms.recordings.model import (
    CompositionState,
    ConsentDecision,
    FileKind,
    RecordingFile,
    RecordingState,
)
from rooms.recordings.policy import CoffeeRecorders, RecordingPolicy
from rooms.recordings.service import RecordingService
from tests.rooms.builders import DURATION_S, START, coffee, expect_error


def roundtable() -> Room:
    return Room.roundtable("rt-1", 12, DURATION_S, START)


async def test_mentor_starts_and_stops(recordings: RecordingService,
                                       clock: ManualClock) -> None:
    room = coffee()
    made = await recordings.start(room, "mentor-1", Role.MENTOR, True, booking_id="b1")
    assert made.state is RecordingState.RECORDING and made.booking_id == "b1"
    assert made.started_at == START and made.consenting() == []
    await expect_error("already_recording",
                       recordings.start(room, "mentor-1", Role.MENTOR, True))
    clock.advance(90)
    done = await recordings.stop(room, Role.MENTOR, True)
    assert done.state is RecordingState.STOPPED and done.duration_s == 90
    await expect_error("not_recording", recordings.stop(room, Role.MENTOR, True))


async def test_a_lost_nodes_recording_does_not_block_the_room(
        recordings: RecordingService) -> None:
    room = coffee()
    live = {"node-a"}

    async def live_nodes() -> set[str]:
        return live

    recordings.live_nodes = live_nodes
    recordings.node_id = "node-a"
    first = await recordings.start(room, "mentor-1", Role.MENTOR, True)
    recordings.node_id = "node-b"  # the room moved while node-a is still live: refused
    live.add("node-b")
    await expect_error("already_recording",
                       recordings.start(room, "mentor-1", Role.MENTOR, True))
    live.discard("node-a")  # node-a was killed: its lease lapsed
    second = await recordings.start(room, "mentor-1", Role.MENTOR, True)
    assert second.node_id == "node-b" and second.state is RecordingState.RECORDING
    assert (await recordings.store.active(room.room_id)) == second
    old = await recordings.store.get(first.recording_id)
    assert old is not None and old.state is RecordingState.INTERRUPTED
    await expect_error("not_recording", recordings.answer_consent(
        first.recording_id, "mentee-1", True, "sid-1"))
    # its files are not final: nothing composes it yet
    assert not await recordings.claim_composition(first.recording_id, "w1", START, 60)
    # node-a (or its folder) comes back: its start-up recovery ends the old one
    recovered = await recordings.finish(first.recording_id, RecordingState.RECOVERED)
    assert recovered.state is RecordingState.RECOVERED
    assert await recordings.claim_composition(first.recording_id, "w1", START, 60)
    assert (await recordings.stop(room, Role.MENTOR, True)).recording_id == second.recording_id


async def test_stopping_a_lost_nodes_recording_interrupts_it(
        recordings: RecordingService) -> None:
    """Its files are on the lost node: a `stopped` one with no files could be deleted
    while they stay on disk, so it waits as `interrupted` for that node's recovery."""
    room = coffee()
    live = {"node-a", "node-b"}

    async def live_nodes() -> set[str]:
        return live

    recordings.live_nodes = live_nodes
    recordings.node_id = "node-a"
    first = await recordings.start(room, "mentor-1", Role.MENTOR, True)
    recordings.node_id = "node-b"
    live.discard("node-a")  # node-a was killed while recording; the room moved to node-b
    await expect_error("recording_interrupted", recordings.stop(room, Role.MENTOR, True))
    old = await recordings.store.get(first.recording_id)
    assert old is not None and old.state is RecordingState.INTERRUPTED and old.stopped_at is None
    await expect_error("not_recording", recordings.stop(room, Role.MENTOR, True))
    # a live node's recording is stopped as before, from whichever node
    live.add("node-a")
    recordings.node_id = "node-a"
    second = await recordings.start(room, "mentor-1", Role.MENTOR, True)
    recordings.node_id = "node-b"
    assert (await recordings.stop(room, Role.MENTOR, True)).recording_id == second.recording_id


async def test_refused_start_starts_nothing(recordings: RecordingService) -> None:
    room = coffee()
    await expect_error("not_allowed_to_record",
                       recordings.start(room, "mentee-1", Role.MENTEE, True))
    await expect_error("not_allowed_to_record",
                       recordings.start(room, "mentor-1", Role.MENTOR, False))
    await expect_error("not_allowed_to_record",
                       recordings.start(roundtable(), "p", Role.PARTICIPANT, True))
    assert await recordings.store.active(room.room_id) is None
    await recordings.start(room, "mentor-1", Role.MENTOR, True)
    await expect_error("not_allowed_to_record", recordings.stop(room, Role.MENTEE, True))
    assert await recordings.store.active(room.room_id) is not None


async def test_room_setting_lets_either_participant_record(
        recordings: RecordingService) -> None:
    room = coffee()
    await recordings.set_policy(room, RecordingPolicy(coffee_recorders=CoffeeRecorders.EITHER))
    made = await recordings.start(room, "mentee-1", Role.MENTEE, True)
    assert made.started_by == "mentee-1"
    assert (await recordings.stop(room, Role.MENTEE, True)).state is RecordingState.STOPPED


async def test_hosts_record_roundtables(recordings: RecordingService) -> None:
    made = await recordings.start(roundtable(), "host-1", Role.HOST, True)
    assert made.room_id == "rt-1"
    await recordings.stop(roundtable(), Role.CO_HOST, True)


async def test_closed_room_cannot_be_recorded(recordings: RecordingService,
                                              clock: ManualClock) -> None:
    clock.advance(DURATION_S + 1)
    await expect_error("room_closed", recordings.start(coffee(), "m", Role.MENTOR, True))


async def test_consent_log(recordings: RecordingService, clock: ManualClock) -> None:
    made = await recordings.start(coffee(), "mentor-1", Role.MENTOR, True)
    rid = made.recording_id
    await recordings.answer_consent(rid, "mentor-1", True, "sid-1")
    clock.advance(5)
    await recordings.answer_consent(rid, "mentee-1", False, "sid-2")
    await recordings.answer_consent(rid, "mentee-1", False, "sid-2")  # logged once
    after = await recordings.answer_consent(rid, "mentor-1", True, "sid-1")
    assert after.consenting() == ["mentor-1"]
    clock.advance(5)
    later = await recordings.answer_consent(rid, "mentor-1", False, "sid-3")
    assert later.consenting() == []
    assert [(e.identity, e.decision, e.session_id, e.at - START) for e in later.consent] == [
        ("mentor-1", ConsentDecision.ACCEPTED, "sid-1", 0),
        ("mentee-1", ConsentDecision.DECLINED, "sid-2", 5),
        ("mentor-1", ConsentDecision.WITHDRAWN, "sid-3", 10),
    ]
    back = await recordings.answer_consent(rid, "mentor-1", True, "sid-3")
    assert back.consenting() == ["mentor-1"] and len(back.consent) == 4
    await recordings.stop(coffee(), Role.MENTOR, True)
    await expect_error("not_recording", recordings.answer_consent(rid, "x", True, "s"))
    await expect_error("recording_not_found",
                       recordings.answer_consent("nope", "x", True, "s"))


async def test_files_composition_and_recovery(recordings: RecordingService) -> None:
    rid = (await recordings.start(coffee(), "mentor-1", Role.MENTOR, True)).recording_id
    track = RecordingFile(name="mentor-1.video.webm", kind=FileKind.TRACK, size=10,
                          peer="mentor-1", track_kind=TrackKind.VIDEO)
    await recordings.put_file(rid, track)
    grown = await recordings.put_file(rid, track.model_copy(update={"size": 99}))
    assert [f.size for f in grown.files] == [99]
    assert (await recordings.mark_uploaded(rid, track.name)).files[0].uploaded
    await expect_error("recording_file_not_found", recordings.mark_uploaded(rid, "x.webm"))
    running = await recordings.set_composition(rid, CompositionState.RUNNING, 40)
    assert running.composition.percent == 40
    done = await recordings.set_composition(rid, CompositionState.DONE, 0)
    assert done.composition.percent == 100
    recovered = await recordings.finish(rid, RecordingState.RECOVERED)
    assert recovered.state is RecordingState.RECOVERED
    again = await recordings.finish(rid, RecordingState.STOPPED)  # keeps its first ending
    assert again.state is RecordingState.RECOVERED and again.revision == recovered.revision
    with pytest.raises(ValueError):
        await recordings.finish(rid, RecordingState.RECORDING)


async def test_a_composition_is_claimed_by_one_worker_under_a_lease(
    recordings: RecordingService,
) -> None:
    rid = (await recordings.start(coffee(), "mentor-1", Role.MENTOR, True)).recording_id
    assert not await recordings.claim_composition(rid, "a", START, 10)  # still recording
    await recordings.finish(rid, RecordingState.STOPPED)
    assert await recordings.claim_composition(rid, "a", START, 10)
    assert not await recordings.claim_composition(rid, "b", START + 5, 10)  # a holds it
    held = await recordings.set_composition(rid, CompositionState.RUNNING, 30, worker="a",
                                            lease_until=START + 15)
    assert (held.composition.worker, held.composition.lease_until) == ("a", START + 15)
    assert not await recordings.claim_composition(rid, "b", START + 14, 10)
    assert await recordings.claim_composition(rid, "b", START + 16, 10)  # a's lease ran out
    taken = await recordings.store.get(rid)
    assert taken is not None and taken.composition.percent == 0
    stale = await recordings.set_composition(rid, CompositionState.DONE, 100, worker="a")
    assert stale.composition.state is CompositionState.RUNNING  # a changes nothing now
    done = await recordings.set_composition(rid, CompositionState.DONE, 100, worker="b")
    assert done.composition.state is CompositionState.DONE
    assert (done.composition.worker, done.composition.lease_until) == (None, None)
    assert not await recordings.claim_composition(rid, "c", START + 100, 10)  # done


async def test_display_names_and_the_room_title_are_kept(recordings: RecordingService) -> None:
    made = await recordings.start(coffee(), "mentor-1", Role.MENTOR, True, name="Mia Mentor")
    assert (made.room_title, made.names) == ("Career chat", {"mentor-1": "Mia Mentor"})
    rid = made.recording_id
    await recordings.answer_consent(rid, "mentor-1", True, "sid-1", "Mia Mentor")
    declined = await recordings.answer_consent(rid, "mentee-1", False, "sid-2", "Tom")
    assert declined.names == {"mentor-1": "Mia Mentor", "mentee-1": "Tom"}
    # the same answer again under a new name: one log entry, the latest name
    renamed = await recordings.answer_consent(rid, "mentee-1", False, "sid-3", "Tom T.")
    assert renamed.names["mentee-1"] == "Tom T." and len(renamed.consent) == 2
    stored = await recordings.store.get(rid)
    assert stored is not None and stored.names == renamed.names
    assert stored.room_title == "Career chat"
