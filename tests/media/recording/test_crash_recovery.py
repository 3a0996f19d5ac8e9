"""Crash safety: a recording process killed with SIGKILL 8 s in; recover() finalises its files."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from media.recording.finalize import recover
from media.recording.sidecar import RECORDING, RECOVERED, read_info
from tests.media.recording.probe import decode_errors, decoded_frames, probe

ROOT = Path(__file__).resolve().parents[3]
KILL_AFTER_S = 8.0


async def test_files_of_a_killed_recorder_are_recovered_and_play(tmp_path: Path) -> None:
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.media.recording.record_child", str(tmp_path),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), 60)
        assert line.strip() == b"recording"
        await asyncio.sleep(KILL_AFTER_S)
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()
    assert child.returncode == -signal.SIGKILL
    check_recovery(tmp_path)


def check_recovery(tmp_path: Path) -> None:
    files = sorted(tmp_path.glob("*.webm"))
    assert [p.name for p in files] == ["alice.audio.001.webm", "alice.video.001.webm"]
    for path in files:  # as the crash left them: playable, without duration
        info = read_info(path)
        assert info is not None and info.state == RECORDING and info.duration is None
        assert decoded_frames(path) > 0

    assert recover(tmp_path) == files
    for path in files:
        info = read_info(path)
        assert info is not None and info.state == RECOVERED
        probed = probe(path)
        duration = float(probed["format"]["duration"])
        assert duration >= KILL_AFTER_S - 1.0, (path.name, duration)
        assert info.duration is not None and abs(info.duration - duration) < 0.05
        assert decode_errors(path) == ""
        (stream,) = probed["streams"]
        assert decoded_frames(path) == int(stream["nb_read_packets"])
    assert recover(tmp_path) == []  # finalised once
    assert not list(tmp_path.glob("*.partial"))
