"""Composition of a real recorded call: two aiortc publishers through the Sfu, recorded
by the Recorder, composed by ``python -m media.composition`` in a child process."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from media import Sfu
from media.composition.layout import grid
from tests.media.composition.recorded import TONES, record_call, recorded_span
from tests.media.composition.sync import (
    audio_samples,
    beep_onsets,
    flash_onsets,
    nearest_offsets,
)
from tests.media.recording.probe import decode_errors, probe

ROOT = Path(__file__).resolve().parents[3]
RECORD_S = 8.0
WIDTH, HEIGHT = 640, 360


async def compose_in_child(folder: Path, output: Path) -> list[str]:
    """Run the composition CLI; returns its stdout lines."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "media.composition", str(folder), str(output),
        "--width", str(WIDTH), "--height", str(HEIGHT),
        "--progress", str(output.with_suffix(".progress")), cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(child.communicate(), 150)
    assert child.returncode == 0, stderr.decode()
    return stdout.decode().splitlines()


async def test_a_two_person_call_composes_into_one_file_in_sync(
    sfu: Sfu, tmp_path: Path
) -> None:
    folder = tmp_path / "rec"
    await record_call(folder, RECORD_S, sfu)
    span = recorded_span(folder)
    output = tmp_path / "composed.webm"
    lines = await compose_in_child(folder, output)

    # progress rises to 100, then done
    percents = [float(line.split()[1]) for line in lines if line.startswith("progress ")]
    assert percents == sorted(percents) and len(set(percents)) > 10 and percents[-1] == 100.0
    assert lines[-1].startswith("done ")
    saved = json.loads(output.with_suffix(".progress").read_text())
    assert saved == {"state": "done", "value": float(lines[-1].split()[1])}

    probed = probe(output)
    kinds = sorted(s["codec_type"] for s in probed["streams"])
    assert kinds == ["audio", "video"]
    codecs = {s["codec_type"]: s["codec_name"] for s in probed["streams"]}
    assert codecs == {"video": "vp8", "audio": "opus"}
    duration = float(probed["format"]["duration"])
    assert abs(duration - span) <= 0.05 * span, (duration, span)
    assert decode_errors(output) == ""

    tiles = grid(2, WIDTH, HEIGHT)  # by peer id: alice left, bob right
    flashes = dict(zip(TONES, flash_onsets(output, tiles), strict=True))
    first, samples = audio_samples(output)
    for peer, tone in TONES.items():
        beeps = beep_onsets(first, samples, tone)
        assert len(flashes[peer]) >= RECORD_S - 2 and len(beeps) >= RECORD_S - 2, peer
        offsets = nearest_offsets(flashes[peer], beeps)
        print(peer, "audio - video offsets (ms):", [round(o * 1000, 1) for o in offsets])
        assert max(abs(o) for o in offsets) < 0.040, (peer, offsets)
    between = nearest_offsets(flashes["alice"], flashes["bob"])
    print("bob - alice flash offsets (ms):", [round(o * 1000, 1) for o in between])
    assert len(between) >= RECORD_S - 2
    assert max(abs(o) for o in between) < 0.060, between
