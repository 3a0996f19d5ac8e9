"""What the grid shows: a tile per person, black while a camera is paused or absent;
and the pure parts (grid geometry, the limiter)."""

from __future__ import annotations

import asyncio
import math
import time
from pathlib import Path

import av
import numpy as np
from aiortc.mediastreams import MediaStreamTrack

from media import Sfu
from media.composition import ComposeOptions, compose, find_segments
from media.composition.audio import limit
from media.composition.layout import Box, grid
from media.composition.video import HOLD_S
from media.recording.recorder import Recorder
from tests.media.composition.sync import flash_onsets
from tests.media.peers import LoopbackPeer, publish_to
from tests.media.recording.probe import decode_errors
from tests.media.sync_tracks import BeepAudioTrack, FlashVideoTrack

WIDTH, HEIGHT = 640, 360


def tile_luma(path: Path, tiles: list[Box]) -> list[tuple[float, list[float]]]:
    """(time, mean luma of each tile's centre) for every output frame."""
    rows = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            luma = frame.to_ndarray(format="gray")
            means = [float(luma[t.y + t.height // 4 : t.y + 3 * t.height // 4,
                                t.x + t.width // 4 : t.x + 3 * t.width // 4].mean())
                     for t in tiles]
            assert frame.time is not None
            rows.append((float(frame.time), means))
    return rows


async def test_a_paused_camera_and_an_audio_only_person_show_black_tiles(
    sfu: Sfu, tmp_path: Path
) -> None:
    epoch = math.floor(time.time()) + 1.0
    clients = []
    try:
        people: dict[str, list[MediaStreamTrack]] = {
            "alice": [FlashVideoTrack(epoch), BeepAudioTrack(epoch, 1000.0)],
            "bob": [FlashVideoTrack(epoch), BeepAudioTrack(epoch, 2000.0)],
            "carol": [BeepAudioTrack(epoch, 3000.0)],  # no camera
        }
        for peer, tracks in people.items():
            client = LoopbackPeer()
            clients.append(client)
            await publish_to(sfu, peer, client, *tracks)
            await client.wait_connected()
        recorder = Recorder(sfu, tmp_path)
        for peer in ("alice", "bob", "carol"):
            recorder.start(peer)
        await asyncio.sleep(2.5)
        sfu.set_forwarding("bob", "video", False)  # bob's camera off
        paused = time.time()
        await asyncio.sleep(3.0)
        sfu.set_forwarding("bob", "video", True)
        resumed = time.time()
        await asyncio.sleep(2.5)
        await recorder.close()
    finally:
        for client in clients:
            await client.close()
    origin = min(s.start for s in find_segments(tmp_path))
    output = tmp_path / "out" / "composed.webm"
    output.parent.mkdir()
    await asyncio.to_thread(compose, tmp_path, output, ComposeOptions(WIDTH, HEIGHT))
    assert decode_errors(output) == ""

    tiles = grid(3, WIDTH, HEIGHT)  # alice, bob, carol (by id)
    rows = tile_luma(output, tiles)
    assert all(means[2] < 30 for _, means in rows)  # carol: no video, black throughout
    during = [means for t, means in rows
              if paused + HOLD_S + 0.2 < origin + t < resumed - 0.2]
    assert len(during) > 30
    assert all(means[1] < 30 for means in during)  # bob's tile black while paused ...
    assert any(means[0] > 125 for means in during)  # ... while alice still flashes
    alice, bob, _ = flash_onsets(output, tiles)
    assert len(alice) >= 6
    assert [t for t in bob if paused + HOLD_S < origin + t < resumed] == []
    assert any(origin + t > resumed for t in bob)  # bob is back after the pause


def test_the_grid_adapts_to_the_number_of_people() -> None:
    assert grid(1, 1280, 720) == [Box(0, 0, 1280, 720)]
    assert [(b.width, b.height) for b in grid(2, 1280, 720)] == [(640, 720)] * 2
    four = grid(4, 1280, 720)
    assert {(b.x, b.y) for b in four} == {(0, 0), (640, 0), (0, 360), (640, 360)}
    three = grid(3, 1280, 720)
    assert three[2].x == (1280 - 640) // 2  # the last row centred
    for count in range(1, 13):
        boxes = grid(count, 1280, 720)
        assert len(boxes) == count
        for a in boxes:  # inside the canvas, no overlap
            assert a.x >= 0 and a.y >= 0 and a.x + a.width <= 1280 and a.y + a.height <= 720
            for b in boxes:
                if a is not b:
                    assert (a.x + a.width <= b.x or b.x + b.width <= a.x
                            or a.y + a.height <= b.y or b.y + b.height <= a.y)


def test_the_limiter_passes_quiet_sound_and_never_reaches_full_scale() -> None:
    quiet = np.array([0.1, -0.5, 0.79], np.float32)
    assert np.array_equal(limit(quiet), quiet)
    loud = np.array([0.9, -1.5, 3.0, -10.0], np.float32)
    limited = limit(loud)
    assert np.all(np.abs(limited) < 1.0) and np.all(np.sign(limited) == np.sign(loud))
    assert list(np.abs(limited)) == sorted(np.abs(limited))  # louder stays louder
