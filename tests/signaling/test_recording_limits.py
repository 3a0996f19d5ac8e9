"""A recording's bounds on a real call (review 4, finding 1): a participant toggling
their consent cannot grow the recording past what its metadata may list. Past the bound
of track files nothing new is written and the room is told `recording_segment_limit`
once; past the consent log's bound an answer is refused (`recording_consent_limit`), a
withdrawal never; the recording stays readable and is filed."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from rooms.recordings.model import (
    MAX_ANSWERS_PER_PERSON,
    FileKind,
    RecordingFilter,
    RecordingState,
)
from signaling import recording_events
from web.recordings.setup import RECORDINGS

from .test_recording_call import coffee_call, tracks_by_person


async def test_toggling_consent_stops_at_the_bounds_and_the_recording_stays_readable(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recording_events, "MAX_TRACK_FILES", 4,  # the mentor's 2, then 2
                        raising=False)
    async with coffee_call() as call:
        ack = await call.mentor.signal.call("start_recording", {})
        assert ack["ok"], ack
        recording_id = ack["recording"]["recording_id"]

        async def answer(accepted: bool) -> dict[str, Any]:
            """The mentee's answer, at the pace the rate limit allows."""
            while True:
                ack: dict[str, Any] = await call.mentee.signal.call(
                    "recording_consent", {"accepted": accepted})
                if ack["ok"] or ack["error"]["code"] != "rate_limited":
                    return ack
                await asyncio.sleep(ack["error"]["retry_after_s"])

        answers = []
        for _ in range(MAX_ANSWERS_PER_PERSON // 2 + 1):
            answers.append(await answer(True))
            withdrawn = await answer(False)
            assert withdrawn["ok"], withdrawn  # a "no" is always taken
        assert all(a["ok"] for a in answers[:-1])
        assert answers[-1]["error"]["code"] == "recording_consent_limit", answers[-1]
        for who in (call.mentor, call.mentee):
            error = await who.signal.next_event("recording_error", timeout=30)
            assert error["code"] == "recording_segment_limit" and error["message"]
        assert (await call.mentor.signal.call("stop_recording", {})) == {"ok": True}

        store = call.server.app[RECORDINGS].store
        recording = await store.get(recording_id)
        assert recording is not None and recording.state is RecordingState.STOPPED
        assert len([e for e in recording.consent
                    if e.identity == call.mentee.identity]) == MAX_ANSWERS_PER_PERSON
        tracks = [f for f in recording.files if f.kind is FileKind.TRACK]
        assert 2 <= len(tracks) <= 4  # (a segment is a file once a keyframe came)
        assert any(f.kind is FileKind.CONSENT for f in recording.files)
        on_disk = tracks_by_person(call.recording_folder(recording_id))
        assert sum(len(paths) for paths in on_disk.values()) == len(tracks)
        assert [r.recording_id for r in await store.find(RecordingFilter())] == [recording_id]
