"""The bounds of a recording's metadata hold when it changes (review 4, finding 1): a
participant toggling consent, or many segment files, cannot make a recording that no
listing, retention run or start-up could read any more; and one unreadable stored value
(written by an older version) is skipped, not fatal."""

from __future__ import annotations

import logging

import pytest

from rooms.clock import ManualClock
from rooms.errors import RoomError
from rooms.models import Role, TrackKind
from rooms.recordings import service as service_module
from rooms.recordings.model import (
    MAX_ANSWERS_PER_PERSON,
    MAX_FILES,
    MAX_TRACK_FILES,
    ConsentDecision,
    FileKind,
    Recording,
    RecordingFile,
    RecordingFilter,
)
from rooms.recordings.redis_store import RedisRecordingStore
from rooms.recordings.service import RecordingService
from tests.rooms.builders import START, coffee, expect_error
from tests.rooms.recordings.builders import recording


async def test_one_persons_consent_toggling_is_bounded_and_a_no_is_always_logged(
        recordings: RecordingService) -> None:
    rid = (await recordings.start(coffee(), "mentor-1", Role.MENTOR, True)).recording_id
    refused = 0
    for n in range(MAX_ANSWERS_PER_PERSON):
        try:
            await recordings.answer_consent(rid, "mentee-1", True, f"sid-{n}")
        except RoomError as exc:
            refused += 1
            assert exc.code == "recording_consent_limit"
        after = await recordings.answer_consent(rid, "mentee-1", False, f"sid-{n}")
        assert "mentee-1" not in after.consenting()  # the "no" is always logged
    assert refused > 0
    stored = await recordings.store.get(rid)
    assert stored is not None
    mine = [e for e in stored.consent if e.identity == "mentee-1"]
    assert len(mine) == MAX_ANSWERS_PER_PERSON
    assert mine[-1].decision is ConsentDecision.WITHDRAWN
    await expect_error("recording_consent_limit",
                       recordings.answer_consent(rid, "mentee-1", True, "sid-x"))
    # the others answer as before
    assert "mentor-1" in (await recordings.answer_consent(rid, "mentor-1", True,
                                                          "sid-m")).consenting()
    assert [r.recording_id for r in await recordings.store.find(RecordingFilter())] == [rid]


async def test_the_whole_log_keeps_room_for_every_withdrawal(
        recordings: RecordingService, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service_module, "MAX_CONSENT_ENTRIES", 6)
    rid = (await recordings.start(coffee(), "m", Role.MENTOR, True)).recording_id
    for who in ("a", "b", "c"):
        await recordings.answer_consent(rid, who, True, "s")
    # 3 entries, 3 people accepting: no room for a 4th yes (nor a first no)
    await expect_error("recording_consent_limit",
                       recordings.answer_consent(rid, "d", True, "s"))
    await expect_error("recording_consent_limit",
                       recordings.answer_consent(rid, "d", False, "s"))
    for who in ("a", "b", "c"):  # yet each can withdraw
        after = await recordings.answer_consent(rid, who, False, "s")
    assert after.consenting() == [] and len(after.consent) == 6


def track(n: int) -> RecordingFile:
    return RecordingFile(name=f"p.video.{n:03d}.webm", kind=FileKind.TRACK, size=n,
                         peer="p", track_kind=TrackKind.VIDEO)


async def test_track_files_past_the_bound_are_refused_and_the_recording_stays_readable(
        recordings: RecordingService) -> None:
    rid = (await recordings.start(coffee(), "mentor-1", Role.MENTOR, True)).recording_id
    for n in range(MAX_TRACK_FILES):
        await recordings.put_file(rid, track(n))
    await expect_error("recording_segment_limit", recordings.put_file(rid, track(9999)))
    grown = await recordings.put_file(rid, track(0).model_copy(update={"size": 5}))
    assert grown.file(track(0).name).size == 5  # type: ignore[union-attr]
    consent = RecordingFile(name="consent.json", kind=FileKind.CONSENT, size=3)
    composed = RecordingFile(name="session.webm", kind=FileKind.COMPOSED, size=3)
    await recordings.put_file(rid, consent)
    await recordings.put_file(rid, composed)
    stored = await recordings.store.get(rid)
    assert stored is not None and len(stored.files) == MAX_TRACK_FILES + 2 <= MAX_FILES
    assert [r.recording_id for r in await recordings.store.find(RecordingFilter())] == [rid]


async def test_a_change_past_a_bound_is_refused_by_the_store(
        recordings: RecordingService) -> None:
    rid = (await recordings.start(coffee(), "mentor-1", Role.MENTOR, True)).recording_id

    def overfill(current: Recording) -> Recording:
        return current.model_copy(update={"files": [track(n) for n in range(MAX_FILES + 1)]})

    with pytest.raises(ValueError):
        await recordings.store.update(rid, overfill)
    stored = await recordings.store.get(rid)
    assert stored is not None and stored.files == []


async def test_an_invalid_stored_recording_is_skipped_and_logged_once(
        clean_redis_url: str, clock: ManualClock, caplog: pytest.LogCaptureFixture) -> None:
    store = RedisRecordingStore(clean_redis_url, clock)
    try:
        good = await store.create(recording("rec-good", active=False))
        bad = recording("rec-bad", at=START + 10, active=False).model_copy(
            update={"files": [track(n) for n in range(MAX_FILES + 1)]})  # as old versions did
        client = store._client
        await client.hset(store.key("recording", "rec-bad"),
                          mapping={"rev": "1", "json": bad.model_dump_json()})
        await client.zadd(store.key("by-start"), {"rec-bad": bad.started_at})
        await client.sadd(store.key("room", "room-1"), "rec-bad")
        with caplog.at_level(logging.ERROR, logger="rooms.recordings.redis_store"):
            assert await store.find(RecordingFilter()) == [good]
            assert await store.find(RecordingFilter(room_id="room-1")) == [good]
            assert await store.get("rec-bad") is None
        logged = [r for r in caplog.records if "rec-bad" in r.getMessage()]
        assert len(logged) == 1 and "files" in logged[0].getMessage()
        await expect_error("recording_not_found", store.update("rec-bad", lambda r: r))
    finally:
        await store.close()
