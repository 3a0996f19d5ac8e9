"""Tiles whose height is not a multiple of 4 (five people on 640x360: 212x118; on the
default 1280x720: 426x238): every person's picture lands in their tile."""

from __future__ import annotations

import asyncio
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from media.composition import ComposeOptions, compose
from media.composition.layout import fit, grid
from media.recording.sidecar import FINISHED, TrackInfo, write_info

START = 1_800_000_000.0
SECONDS, FPS = 1.0, 10
SIZE = (320, 180)
LUMAS = [40, 80, 120, 160, 200]  # one grey per person


def write_video(path: Path, number: int, luma: int) -> None:
    """A VP8 track of a flat grey picture, with the sidecar the recorder would write."""
    width, height = SIZE
    frames = int(SECONDS * FPS)
    with av.open(str(path), "w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index in range(frames):
            picture = np.full((height * 3 // 2, width), 128, np.uint8)
            picture[:height] = luma
            frame = av.VideoFrame.from_ndarray(picture, format="yuv420p")
            frame.pts, frame.time_base = index, Fraction(1, FPS)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    write_info(path, TrackInfo(
        peer_id=f"room:p{number}", kind="video", codec="VP8", file=path.name, segment=1,
        ssrc=number, clock_rate=90_000, start_time=START, frames=frames, duration=SECONDS,
        state=FINISHED))


def tile_lumas(path: Path, width: int, height: int) -> list[float]:
    """The mean luma of each tile's picture centre in the middle frame."""
    with av.open(str(path)) as container:
        frames = [f.to_ndarray(format="gray") for f in container.decode(video=0)]
    luma = frames[len(frames) // 2]
    means = []
    for box in grid(len(LUMAS), width, height):
        place = fit(box, *SIZE)
        means.append(float(luma[place.y + place.height // 4 : place.y + 3 * place.height // 4,
                                place.x + place.width // 4 : place.x + 3 * place.width // 4
                                ].mean()))
    return means


async def test_five_people_compose_into_tiles_of_any_even_height(tmp_path: Path) -> None:
    for number, luma in enumerate(LUMAS):
        await asyncio.to_thread(write_video, tmp_path / f"p{number}.video.001.webm",
                                number, luma)
    assert {fit(box, *SIZE).height % 4 for box in grid(len(LUMAS), 640, 360)} == {2}
    output = tmp_path / "out" / "composed.webm"
    output.parent.mkdir()
    await asyncio.to_thread(compose, tmp_path, output, ComposeOptions(640, 360, fps=FPS))
    means = await asyncio.to_thread(tile_lumas, output, 640, 360)
    for mean, luma in zip(means, LUMAS, strict=True):  # peers sorted: p0..p4 in order
        full_range = (luma - 16) * 255 / 219  # "gray" is full range, the video limited
        assert abs(mean - full_range) < 6, (means, LUMAS)
