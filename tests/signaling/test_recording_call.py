"""Recording a real call: aiortc peers through a real server, files checked with ffprobe."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from media.recording import read_info
from media.recording.disk import RESERVE_NAME
from media.recording.sidecar import DISK_FULL
from rooms.recordings.model import ConsentDecision, FileKind, Recording, RecordingState
from rooms.recordings.policy import CoffeeRecorders, RecordingPolicy
from tests.live_server import LiveServer, live_server, token_of
from tests.media.peers import LoopbackPeer
from tests.media.recording.probe import decode_errors, probe
from tests.tiny_disk import tiny_disk
from web.recordings.setup import RECORDINGS

from .client import SignalClient
from .participant import Participant

RECORD_S = 10.0


@dataclass
class Call:
    server: LiveServer
    mentor: Participant
    mentee: Participant
    room: dict[str, Any]

    def recording_folder(self, recording_id: str) -> Path:
        return self.server.app[RECORDINGS].local.folder(recording_id)

    async def recording(self, recording_id: str) -> Recording:
        found = await self.server.app[RECORDINGS].store.get(recording_id)
        assert found is not None
        return found


@asynccontextmanager
async def coffee_call(mentee_joins: bool = True, **settings: Any) -> AsyncIterator[Call]:
    """A coffee room whose mentor (and mentee) joined and publish audio and video."""
    async with live_server(**settings) as server:
        room = await server.create_room("Ada", "Grace")
        # 320x180: two live VP8 encoders share the test's event loop with the server. At
        # 640x360 on a heavily loaded machine (load 6-10) the files came out 0.6-1.2 s
        # shorter than the wall-clock window checked (3 of 6 runs); a quarter of the
        # encoding keeps the publishers nearer real time (not reproduced at lower load)
        mentor = Participant("Ada", await SignalClient().connect(server.base_url),
                             video_size=(320, 180))
        mentee = Participant("Grace", await SignalClient().connect(server.base_url),
                             video_size=(320, 180))
        try:
            await mentor.join(token_of(room["links"]["mentor"]))
            await mentor.publish()
            if mentee_joins:
                await mentee.join(token_of(room["links"]["mentee"]))
                await mentee.publish()
            await asyncio.sleep(1.0)  # media flows
            yield Call(server, mentor, mentee, room)
        finally:
            await mentor.close()
            await mentee.close()


def tracks_by_person(folder: Path) -> dict[tuple[str, str], list[Path]]:
    """The folder's track files by (identity, kind)."""
    found: dict[tuple[str, str], list[Path]] = {}
    for path in sorted(folder.glob("*.webm")):
        info = read_info(path)
        assert info is not None, path
        found.setdefault((info.peer_id.split(":", 1)[1], info.kind), []).append(path)
    return found


def check_track(path: Path, kind: str, expected_s: float) -> None:
    """One stream of ``kind``, its duration within 5 % of ``expected_s``, no decode error."""
    probed = probe(path)
    (stream,) = probed["streams"]
    assert stream["codec_type"] == kind
    assert stream["codec_name"] == ("vp8" if kind == "video" else "opus")
    duration = float(probed["format"]["duration"])
    assert abs(duration - expected_s) <= 0.05 * expected_s, (path.name, duration, expected_s)
    assert decode_errors(path) == ""


async def test_a_two_person_call_is_recorded_track_by_track_with_consent_and_filed() -> None:
    async with coffee_call() as call:
        composed: list[str] = []

        async def compose(recording_id: str) -> None:
            composed.append(recording_id)

        call.server.app[RECORDINGS].filer.on_stopped = compose
        started_at = time.monotonic()
        ack = await call.mentor.signal.call("start_recording", {})
        assert ack["ok"], ack
        recording_id = ack["recording"]["recording_id"]
        for who in (call.mentor, call.mentee):  # everyone is told at once
            state = await who.signal.next_event("recording_state")
            assert state["recording"] is True and state["started_by"] == call.mentor.identity
            assert state["consent"] == {call.mentor.identity: "accepted"}
        ack = await call.mentee.signal.call("recording_consent", {"accepted": True})
        accepted_at = time.monotonic()
        assert ack["ok"] and ack["recording"]["consent"][call.mentee.identity] == "accepted"
        await asyncio.sleep(RECORD_S)
        ack = await call.mentor.signal.call("stop_recording", {})
        stopped_at = time.monotonic()
        assert ack == {"ok": True}
        state = await call.mentee.signal.next_event("recording_state")
        while state["recording"]:
            state = await call.mentee.signal.next_event("recording_state")

        folder = call.recording_folder(recording_id)
        files = tracks_by_person(folder)
        assert set(files) == {(who.identity, kind) for who in (call.mentor, call.mentee)
                              for kind in ("audio", "video")}
        for (identity, kind), paths in files.items():
            assert len(paths) == 1
            since = started_at if identity == call.mentor.identity else accepted_at
            check_track(paths[0], kind, stopped_at - since)

        recording = await call.recording(recording_id)
        assert recording.state is RecordingState.STOPPED
        assert [(e.identity, e.decision) for e in recording.consent] == [
            (call.mentor.identity, ConsentDecision.ACCEPTED),
            (call.mentee.identity, ConsentDecision.ACCEPTED)]
        assert all(e.session_id for e in recording.consent)
        tracks = {f.name: f for f in recording.files if f.kind is FileKind.TRACK}
        assert set(tracks) == {p.name for paths in files.values() for p in paths}
        for name, file in tracks.items():
            assert file.size == (folder / name).stat().st_size > 0
        consent = json.loads((folder / "consent.json").read_text())
        assert [e["decision"] for e in consent["consent"]] == ["accepted", "accepted"]
        assert recording.file("consent.json") is not None
        assert composed == [recording_id]


async def test_a_later_joiner_is_asked_and_a_decliner_is_absent_from_every_file() -> None:
    async with coffee_call(mentee_joins=False) as call:
        ack = await call.mentor.signal.call("start_recording", {})
        assert ack["ok"], ack
        recording_id = ack["recording"]["recording_id"]
        joined = await call.mentee.signal.call(
            "join", {"token": token_of(call.room["links"]["mentee"])})
        assert joined["ok"], joined
        call.mentee.identity = joined["you"]["identity"]
        asked = joined["recording"]
        assert asked["recording"] is True and asked["started_by"] == call.mentor.identity
        assert call.mentee.identity not in asked["consent"]
        await call.mentee.publish()
        ack = await call.mentee.signal.call("recording_consent", {"accepted": False})
        assert ack["ok"] and ack["recording"]["consent"][call.mentee.identity] == "declined"
        await asyncio.sleep(3.0)
        assert (await call.mentor.signal.call("stop_recording", {}))["ok"]

        folder = call.recording_folder(recording_id)
        people = {identity for identity, _ in tracks_by_person(folder)}
        assert people == {call.mentor.identity}
        for path in folder.glob("*.webm"):  # no stream of the mentee's in any file
            assert call.mentee.identity not in path.name
            assert len(probe(path)["streams"]) == 1
        recording = await call.recording(recording_id)
        assert recording.decision_of(call.mentee.identity) is ConsentDecision.DECLINED
        # kept with it: the names the links gave (a decliner's too) and the room's title
        assert recording.names == {call.mentor.identity: "Ada", call.mentee.identity: "Grace"}
        assert recording.room_title == call.room.get("title", "")
        assert {f.peer for f in recording.files if f.kind is FileKind.TRACK} == {
            call.mentor.identity}


async def test_declining_midway_stops_that_persons_files_from_then_on() -> None:
    async with coffee_call() as call:
        ack = await call.mentor.signal.call("start_recording", {})
        recording_id = ack["recording"]["recording_id"]
        started_at = time.monotonic()
        await call.mentee.signal.call("recording_consent", {"accepted": True})
        accepted_at = time.monotonic()
        await asyncio.sleep(4.0)
        ack = await call.mentee.signal.call("recording_consent", {"accepted": False})
        declined_at = time.monotonic()
        assert ack["recording"]["consent"][call.mentee.identity] == "withdrawn"
        await asyncio.sleep(4.0)
        await call.mentor.signal.call("stop_recording", {})
        stopped_at = time.monotonic()

        files = tracks_by_person(call.recording_folder(recording_id))
        for kind in ("audio", "video"):
            (mentee_file,) = files[(call.mentee.identity, kind)]
            check_track(mentee_file, kind, declined_at - accepted_at)
            (mentor_file,) = files[(call.mentor.identity, kind)]
            check_track(mentor_file, kind, stopped_at - started_at)
        recording = await call.recording(recording_id)
        assert [e.decision for e in recording.consent if e.identity == call.mentee.identity] \
            == [ConsentDecision.ACCEPTED, ConsentDecision.WITHDRAWN]


async def test_who_may_not_record_gets_the_code_and_nothing_starts() -> None:
    async with coffee_call() as call:
        store = call.server.app[RECORDINGS].store
        ack = await call.mentee.signal.call("start_recording", {})  # default: mentor only
        assert ack["ok"] is False and ack["error"]["code"] == "not_allowed_to_record"
        signer = call.server.services.signer
        no_grant = signer.issue(signer.verify(token_of(call.room["links"]["mentor"]))
                                .model_copy(update={"record": False}), ttl_s=60)
        other = await SignalClient().connect(call.server.base_url)
        try:
            assert (await other.call("join", {"token": no_grant}))["ok"]  # takes over the seat
            ack = await other.call("start_recording", {})
            assert ack["ok"] is False and ack["error"]["code"] == "not_allowed_to_record"
            ack = await other.call("recording_consent", {"accepted": True})
            assert ack["error"]["code"] == "not_recording"
        finally:
            await other.close()
        assert await store.active(call.room["room_id"]) is None
        assert not call.server.app[RECORDINGS].local.root.exists() or not any(
            call.server.app[RECORDINGS].local.root.iterdir())
        assert "recording_state" not in [e for e, _ in call.mentee.signal.drain()]

        # The room allows either participant: the mentee may record.
        room = (await call.server.services.service.snapshot(call.room["room_id"])).room
        await call.server.app[RECORDINGS].service.set_policy(
            room, RecordingPolicy(coffee_recorders=CoffeeRecorders.EITHER))
        ack = await call.mentee.signal.call("start_recording", {})
        assert ack["ok"] and ack["recording"]["started_by"] == call.mentee.identity


async def test_a_full_disk_stops_the_recording_tells_the_room_and_keeps_the_files(
    tmp_path: Path,
) -> None:
    # A real full disk: the recordings folder is a tmpfs of 600 KB, filled by the call's
    # four tracks within seconds; the kernel's ENOSPC goes through the recorder's
    # on_failed path.
    with tiny_disk(tmp_path / "disk", 600) as disk:
        async with coffee_call(recordings_dir=disk) as call:
            ack = await call.mentor.signal.call("start_recording", {})
            recording_id = ack["recording"]["recording_id"]
            await call.mentee.signal.call("recording_consent", {"accepted": True})
            for who in (call.mentor, call.mentee):
                error = await who.signal.next_event("recording_error", timeout=60)
                assert error["code"] == "recording_disk_full" and error["message"]
            recording = await call.recording(recording_id)
            assert recording.state is RecordingState.STOPPED
            assert await call.server.app[RECORDINGS].store.active(call.room["room_id"]) is None
            folder = call.recording_folder(recording_id)
            tracks = tracks_by_person(folder)  # every file kept its sidecar
            assert {kind for _, kind in tracks} == {"audio", "video"}
            states = set()
            for paths in tracks.values():
                for path in paths:
                    # cut after a whole cluster: plays as written (no "ended prematurely")
                    assert decode_errors(path) == ""
                    info = read_info(path)
                    assert info is not None
                    states.add(info.state)
            assert DISK_FULL in states
            # the reserve freed at the first ENOSPC took the sidecars and the consent log
            assert recording.file("consent.json") is not None
            assert {f.name for f in recording.files} >= {p.name for p in folder.glob("*.webm")}
            assert not (folder / RESERVE_NAME).exists()


async def test_everyone_leaving_stops_and_files_the_recording() -> None:
    async with coffee_call() as call:
        ack = await call.mentor.signal.call("start_recording", {})
        recording_id = ack["recording"]["recording_id"]
        await asyncio.sleep(2.0)
        for who in (call.mentor, call.mentee):
            assert (await who.signal.call("leave", {}))["ok"]
        for _ in range(200):  # filed in the background after the last one left
            if (await call.recording(recording_id)).file("consent.json") is not None:
                break
            await asyncio.sleep(0.1)
        recording = await call.recording(recording_id)
        assert recording.state is RecordingState.STOPPED
        assert {(f.peer, f.track_kind) for f in recording.files if f.kind is FileKind.TRACK} \
            == {(call.mentor.identity, "audio"), (call.mentor.identity, "video")}


async def test_a_server_shut_down_while_recording_files_it_as_stopped(
    redis_url: str, tmp_path: Path,
) -> None:
    folder = tmp_path / "recordings"
    mentor = Participant("Ada", SignalClient())
    try:
        async with live_server(redis_url=redis_url, recordings_dir=folder) as server:
            room = await server.create_room("Ada", "Grace")
            await mentor.signal.connect(server.base_url)
            await mentor.join(token_of(room["links"]["mentor"]))
            await mentor.publish()
            await asyncio.sleep(1.0)
            ack = await mentor.signal.call("start_recording", {})
            recording_id = ack["recording"]["recording_id"]
            await asyncio.sleep(2.0)
        # shut down with the mentor still in the call
    finally:
        await mentor.close()
    async with live_server(redis_url=redis_url, recordings_dir=folder) as again:
        recording = await again.app[RECORDINGS].store.get(recording_id)
        assert recording is not None
        assert recording.state is RecordingState.STOPPED  # not left for recovery
        assert {f.name for f in recording.files} >= {"consent.json"}
        for file in recording.files:
            if file.kind is FileKind.TRACK:
                assert decode_errors(folder / recording_id / file.name) == ""


async def test_a_consenting_participant_who_leaves_and_rejoins_is_recorded_again() -> None:
    async with coffee_call() as call:
        ack = await call.mentor.signal.call("start_recording", {})
        recording_id = ack["recording"]["recording_id"]
        await call.mentee.signal.call("recording_consent", {"accepted": True})
        await asyncio.sleep(2.0)
        assert (await call.mentee.signal.call("leave", {}))["ok"]
        await call.mentee.publisher.close()
        await call.mentee.signal.close()
        call.mentee.signal = await SignalClient().connect(call.server.base_url)
        call.mentee.publisher = LoopbackPeer()
        joined = await call.mentee.signal.call(
            "join", {"token": token_of(call.room["links"]["mentee"])})
        assert joined["recording"]["consent"][call.mentee.identity] == "accepted"
        await call.mentee.publish()
        await asyncio.sleep(2.0)
        assert (await call.mentor.signal.call("stop_recording", {}))["ok"]

        files = tracks_by_person(call.recording_folder(recording_id))
        for kind in ("audio", "video"):
            segments = [read_info(p) for p in files[(call.mentee.identity, kind)]]
            assert [s.segment for s in segments if s] == [1, 2], kind
            first, second = segments
            assert first and second and first.start_time and second.start_time
            assert first.duration is not None
            assert second.start_time > first.start_time + first.duration  # the gap is kept
