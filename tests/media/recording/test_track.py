"""TrackRecording driven directly (no SFU): batching, the reorder wait's timer, segments."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from media.recording.clock import PeerClock
from media.recording.disk import DiskThread
from media.recording.track import TrackRecording
from tests.media.recording.probe import decode_errors
from tests.media.recording.rtp_streams import opus_rtp


async def test_lossy_audio_keeps_one_reorder_timer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    disk = DiskThread()
    finalizing: list[asyncio.Future[None]] = []
    track = TrackRecording(
        "p", "audio", disk, PeerClock(), lambda: (tmp_path / "p.audio.001.webm", 1),
        finalizing.append,
    )  # fmt: skip
    releases = 0
    release = TrackRecording._release

    def counted(self: TrackRecording) -> None:
        nonlocal releases
        releases += 1
        release(self)

    monkeypatch.setattr(TrackRecording, "_release", counted)
    packets = opus_rtp(75)  # 1.5 s at 20 ms
    for index, packet in enumerate(packets):
        if index % 5 != 2:  # a packet lost every 100 ms: a gap is almost always waited for
            track.packet(packet, False, time.time())
        await asyncio.sleep(0.02)
    track.stop()
    await asyncio.gather(*finalizing)
    await asyncio.get_running_loop().run_in_executor(None, disk.stop)
    # about one give-up per gap (15 gaps), not a timer population doubling at each one
    assert releases <= 40, releases
    assert decode_errors(tmp_path / "p.audio.001.webm") == ""
