"""The recorder's bound on segment files (review 4, finding 1): a track that would start
one file more stops instead, the caller is told, and what was written stays."""

from __future__ import annotations

import asyncio
from pathlib import Path

from media import Sfu
from media.recording.recorder import Recorder
from media.recording.sidecar import read_info
from tests.media.peers import LoopbackPeer, ToneAudioTrack, publish_to
from tests.media.recording.probe import decode_errors


async def test_no_segment_past_max_files_and_the_caller_is_told(
    sfu: Sfu, tmp_path: Path
) -> None:
    client = LoopbackPeer()
    await publish_to(sfu, "alice", client, ToneAudioTrack())
    await client.wait_connected()
    limited: list[tuple[str, str]] = []
    recorder = Recorder(sfu, tmp_path, max_files=1,
                        on_limit=lambda peer, kind: limited.append((peer, kind)))
    again = LoopbackPeer()
    try:
        assert recorder.start("alice", ["audio"]) == ["audio"]
        await asyncio.sleep(1.5)
        await publish_to(sfu, "alice", again, ToneAudioTrack())  # a re-publish: new SSRC
        await again.wait_connected()
        for _ in range(100):  # until the new stream's first packets reach the recorder
            if limited:
                break
            await asyncio.sleep(0.05)
        assert limited == [("alice", "audio")]
        assert recorder.full and recorder.recording("alice") == []
        assert recorder.start("alice", ["audio"]) == []  # nothing new starts
        files = await recorder.close()
    finally:
        await client.close()
        await again.close()
    assert [p.name for p in files] == ["alice.audio.001.webm"]
    on_disk = await asyncio.to_thread(lambda: sorted(p.name for p in tmp_path.glob("*.webm")))
    assert on_disk == ["alice.audio.001.webm"]
    info = read_info(files[0])
    assert info is not None and info.duration is not None and info.duration > 0.5
    assert decode_errors(files[0]) == ""
