"""The recorder on a real call: aiortc publishers over loopback through the Sfu.

Publishers send a moving 640x360 VP8 picture and a tone; the recorder takes their
tracks from the SFU's fan-out and writes WebM files that ffprobe and ffmpeg check.
"""

from __future__ import annotations

import asyncio
import errno
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiortc import RTCPeerConnection
from aiortc.rtp import RtcpPacket, RtcpSrPacket, is_rtcp

from media import Sfu
from media.recording.clock import ntp_to_unix
from media.recording.disk import RESERVE_NAME, DiskFile
from media.recording.finalize import recover
from media.recording.recorder import Recorder
from media.recording.sidecar import DISK_FULL, FINISHED, TrackInfo, read_info
from tests.media.peers import (
    LoopbackPeer,
    MovingVideoTrack,
    TappedPacket,
    ToneAudioTrack,
    publish_to,
    tap_outgoing_rtp,
)
from tests.media.recording.probe import decode_errors, decoded_frames, probe

RECORD_S = 8.0


def tap_sender_reports(pc: RTCPeerConnection) -> list[RtcpSrPacket]:
    """Every RTCP sender report ``pc`` sends, from now on."""
    reports: list[RtcpSrPacket] = []
    for transport in {id(s.transport): s.transport for s in pc.getSenders()}.values():
        original = transport._send_rtp

        async def send(data: bytes, original: Callable[..., Any] = original) -> None:
            if is_rtcp(data):
                reports.extend(p for p in RtcpPacket.parse(data) if isinstance(p, RtcpSrPacket))
            await original(data)

        transport._send_rtp = send  # type: ignore[method-assign]
    return reports


async def start_publisher(sfu: Sfu, peer_id: str) -> tuple[LoopbackPeer, list[RtcpSrPacket]]:
    client = LoopbackPeer()
    await publish_to(sfu, peer_id, client, MovingVideoTrack(), ToneAudioTrack())
    await client.wait_connected()
    return client, tap_sender_reports(client.pc)


def sent_span(sent: list[TappedPacket], info: TrackInfo) -> float:
    """Seconds of media the publisher sent on the file's SSRC from its first frame on,
    by RTP timestamps (what the file should hold, however fast the machine ran)."""
    assert info.first_rtp_timestamp is not None
    after = [
        (p.timestamp - info.first_rtp_timestamp) & 0xFFFFFFFF for p in sent if p.ssrc == info.ssrc
    ]
    last = max(ticks for ticks in after if ticks < 0x80000000)  # (before the file: negative)
    frame = 3000 if info.kind == "video" else 960
    return (last + frame) / info.clock_rate


def sidecars(files: list[Path]) -> dict[tuple[str, str], TrackInfo]:
    infos = {}
    for path in files:
        info = read_info(path)
        assert info is not None, f"{path.name} has no sidecar"
        infos[(info.peer_id, info.kind)] = info
    return infos


async def test_a_publishers_audio_and_video_are_recorded_as_they_are(
    sfu: Sfu, tmp_path: Path
) -> None:
    client, _ = await start_publisher(sfu, "alice")
    sent = tap_outgoing_rtp(client.pc)
    recorder = Recorder(sfu, tmp_path)
    try:
        assert sorted(recorder.start("alice")) == ["audio", "video"]
        await asyncio.sleep(RECORD_S)
        files = await recorder.close()
        sent = list(sent)  # what was sent while recording
    finally:
        await client.close()
    assert [p.name for p in files] != []
    infos = sidecars(files)
    assert set(infos) == {("alice", "audio"), ("alice", "video")}
    for (_, kind), info in infos.items():
        path = tmp_path / info.file
        assert info.state == FINISHED and info.first_packet_time is not None
        expected = sent_span(sent, info)
        assert expected > RECORD_S - 1.5
        probed = probe(path)
        (stream,) = probed["streams"]
        duration = float(probed["format"]["duration"])
        assert abs(duration - expected) <= 0.05 * expected, (kind, duration, expected)
        assert info.duration is not None and abs(info.duration - duration) < 0.05
        if kind == "video":
            assert (stream["codec_name"], stream["width"], stream["height"]) == ("vp8", 640, 360)
            assert info.start_time_source == "sender_report"
        else:
            assert (stream["codec_name"], stream["channels"]) == ("opus", 2)
        assert decode_errors(path) == ""
        assert decoded_frames(path) == int(stream["nb_read_packets"]) == info.frames
    assert sfu.stats().decoders_created == 0


async def test_two_publishers_tracks_are_placed_by_their_sender_reports(
    sfu: Sfu, tmp_path: Path
) -> None:
    alice, alice_reports = await start_publisher(sfu, "alice")
    bob, bob_reports = await start_publisher(sfu, "bob")
    recorder = Recorder(sfu, tmp_path)
    try:
        recorder.start("alice")
        await asyncio.sleep(1.0)
        recorder.start("bob")  # a second later than alice
        await asyncio.sleep(4.0)
        files = await recorder.close()
    finally:
        await alice.close()
        await bob.close()
    infos = sidecars(files)
    assert len(infos) == 4
    sent = {"alice": alice_reports, "bob": bob_reports}
    for (peer, kind), info in infos.items():
        assert info.start_time_source == "sender_report", (peer, kind)
        assert info.sender_report is not None and info.first_rtp_timestamp is not None
        # the server placed the file with one of this publisher's own sender reports
        matching = [
            sr
            for sr in sent[peer]
            if sr.ssrc == info.ssrc
            and abs(ntp_to_unix(sr.sender_info.ntp_timestamp) - info.sender_report["sender_time"])
            < 1e-6
        ]
        assert matching, (peer, kind)
        report = matching[0].sender_info
        ticks = (info.first_rtp_timestamp - report.rtp_timestamp) & 0xFFFFFFFF
        if ticks >= 0x80000000:
            ticks -= 0x100000000
        assert info.sender_start_time is not None and info.start_time is not None
        expected = ntp_to_unix(report.ntp_timestamp) + ticks / info.clock_rate
        assert abs(info.sender_start_time - expected) < 1e-6, (peer, kind)
        # one clock offset per publisher, small on one machine's clock
        assert info.clock_offset is not None and abs(info.clock_offset) < 0.25
        assert abs(info.start_time - (expected + info.clock_offset)) < 1e-6
    for peer in ("alice", "bob"):
        assert infos[(peer, "audio")].clock_offset == infos[(peer, "video")].clock_offset
    # bob's files start about a second after alice's on the common clock
    gap = infos[("bob", "audio")].start_time - infos[("alice", "audio")].start_time  # type: ignore[operator]
    assert 0.5 < gap < 2.0


async def test_a_republish_starts_a_new_segment_later_on_the_same_clock(
    sfu: Sfu, tmp_path: Path
) -> None:
    client = LoopbackPeer()
    await publish_to(sfu, "alice", client, ToneAudioTrack())
    await client.wait_connected()
    recorder = Recorder(sfu, tmp_path)
    again = LoopbackPeer()
    try:
        recorder.start("alice", ["audio"])
        await asyncio.sleep(2.0)
        await publish_to(sfu, "alice", again, ToneAudioTrack())  # a reconnect: new SSRC
        await again.wait_connected()
        await asyncio.sleep(2.0)
        files = await recorder.close()
    finally:
        await client.close()
        await again.close()
    assert [p.name for p in files] == ["alice.audio.001.webm", "alice.audio.002.webm"]
    first, second = (read_info(p) for p in files)
    assert first is not None and second is not None
    assert first.ssrc != second.ssrc and second.segment == 2
    assert first.start_time is not None and second.start_time is not None
    assert first.duration is not None
    assert second.start_time >= first.start_time + first.duration - 0.1
    for path in files:
        assert decode_errors(path) == ""


async def test_a_full_disk_stops_that_track_tells_the_caller_and_keeps_its_file(
    sfu: Sfu, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    room = {"video": 200_000}  # the video file meets a full disk after 200 kB
    write_chunk = DiskFile._write_chunk

    def filling(self: DiskFile, fd: int, data: memoryview) -> int:
        if ".video." not in self.path.name:
            return write_chunk(self, fd, data)
        if not room["video"]:
            raise OSError(errno.ENOSPC, "No space left on device")
        done = write_chunk(self, fd, data[: room["video"]])
        room["video"] -= done
        return done

    monkeypatch.setattr(DiskFile, "_write_chunk", filling)
    client, _ = await start_publisher(sfu, "alice")
    failures: list[tuple[str, str, int | None]] = []
    failed = asyncio.Event()

    def on_failed(peer_id: str, kind: str, error: OSError) -> None:
        failures.append((peer_id, kind, error.errno))
        if len(failures) == 2:
            failed.set()

    recorder = Recorder(sfu, tmp_path, on_failed)
    try:
        recorder.start("alice")
        await asyncio.wait_for(failed.wait(), 20)
        # one disk: once it is full the audio's next cluster is refused too
        assert recorder.recording("alice") == []
        files = await recorder.close()
    finally:
        await client.close()
    assert failures == [("alice", "video", errno.ENOSPC), ("alice", "audio", errno.ENOSPC)]
    assert not (tmp_path / RESERVE_NAME).exists()  # freed for the sidecars
    infos = sidecars(files)
    video, audio = infos[("alice", "video")], infos[("alice", "audio")]
    assert video.state == audio.state == DISK_FULL and "No space left" in (video.error or "")
    video_path = tmp_path / video.file
    assert decode_errors(video_path) == ""  # what reached the disk plays as it is
    assert decode_errors(tmp_path / audio.file) == ""
    assert 0 < decoded_frames(video_path) <= video.frames
    # not finalised on a full disk (the remux needs a copy's room): recover() does it
    assert video.duration is None and audio.duration is None
    assert sorted(recover(tmp_path)) == sorted(tmp_path / i.file for i in (video, audio))
    finalised = sidecars(files)[("alice", "video")]
    assert finalised.state == DISK_FULL and finalised.duration and finalised.duration > 0


async def test_a_pause_is_a_gap_in_the_timeline_not_a_cut(sfu: Sfu, tmp_path: Path) -> None:
    client, _ = await start_publisher(sfu, "alice")
    sent = tap_outgoing_rtp(client.pc)
    recorder = Recorder(sfu, tmp_path)
    pause_s = 2.0
    try:
        recorder.start("alice")
        await asyncio.sleep(2.0)
        for kind in ("audio", "video"):  # a host's hard mute: nothing reaches the recorder
            sfu.set_forwarding("alice", kind, False)
        await asyncio.sleep(pause_s)
        for kind in ("audio", "video"):
            sfu.set_forwarding("alice", kind, True)
        await asyncio.sleep(2.0)
        files = await recorder.close()
        sent = list(sent)
    finally:
        await client.close()
    for (_, kind), info in sidecars(files).items():
        path = tmp_path / info.file
        assert info.duration is not None
        span = sent_span(sent, info)
        # the file lasts as long as the recording did, pause included ...
        assert abs(info.duration - span) <= 0.05 * span, (kind, info.duration, span)
        # ... and holds only what was sent around it
        frame_s = 1 / 30 if kind == "video" else 0.02
        assert info.frames * frame_s < span - pause_s + 0.3, (kind, info.frames)
        assert decode_errors(path) == ""


async def test_leaving_and_rejoining_records_a_new_segment_when_started_again(
    sfu: Sfu, tmp_path: Path
) -> None:
    first = LoopbackPeer()
    await publish_to(sfu, "alice", first, ToneAudioTrack())
    await first.wait_connected()
    recorder = Recorder(sfu, tmp_path)
    second = LoopbackPeer()
    try:
        assert recorder.start("alice", ["audio"]) == ["audio"]
        await asyncio.sleep(1.5)
        await sfu.remove_peer("alice")  # left: the track ended
        assert recorder.recording("alice") == []
        await publish_to(sfu, "alice", second, ToneAudioTrack())  # joined again
        await second.wait_connected()
        assert recorder.start("alice", ["audio"]) == ["audio"]
        await asyncio.sleep(1.5)
        files = await recorder.close()
    finally:
        await first.close()
        await second.close()
    assert [p.name for p in files] == ["alice.audio.001.webm", "alice.audio.002.webm"]
    first_info, second_info = (read_info(p) for p in files)
    assert first_info is not None and second_info is not None
    assert first_info.state == second_info.state == FINISHED
    assert first_info.start_time is not None and second_info.start_time is not None
    assert first_info.duration is not None
    assert second_info.start_time > first_info.start_time + first_info.duration
