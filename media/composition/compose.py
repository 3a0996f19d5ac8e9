"""The composition loop: output frame by output frame, the grid and the audio mix up to
that instant, encoded VP8 + Opus into a WebM file.

The output timeline starts at the earliest segment's start and ends at the latest
segment's end (the recording's span on the common clock). The file is written under a
temporary name and renamed into place when complete: ``output`` is whole or absent.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from media.composition.audio import RATE, AudioSource
from media.composition.layout import grid
from media.composition.tracks import Segment, find_segments, participants
from media.composition.video import Canvas, VideoSource

AUDIO_FRAME = 960  # 20 ms at 48 kHz, what the Opus encoder takes
Progress = Callable[[float], None]  # percent, 0..100


class CompositionError(Exception):
    """The folder cannot be composed (no usable track); the message says why."""


@dataclass(frozen=True)
class ComposeOptions:
    width: int = 1280
    height: int = 720
    fps: int = 30
    video_bitrate: int = 2_000_000
    audio_bitrate: int = 64_000
    keyframe_every_s: float = 2.0


def compose(folder: Path, output: Path, options: ComposeOptions | None = None,
            progress: Progress | None = None,
            still_wanted: Callable[[], bool] | None = None) -> float:
    """Compose ``folder``'s tracks into ``output``; returns its duration in seconds.
    ``progress`` is called with a percent (increasing, 100 last); ``still_wanted`` is
    asked between frames (False aborts, leaving no output)."""
    options = options or ComposeOptions()
    segments = find_segments(folder)
    if not segments:
        raise CompositionError(f"no track file with a sidecar and frames in {folder}")
    origin = min(s.start for s in segments)
    total = max(s.end for s in segments) - origin
    temporary = output.with_name(f".{output.name}.{os.getpid()}.part")
    try:
        _encode(segments, origin, total, temporary, options, progress, still_wanted)
        os.replace(temporary, output)
    finally:
        temporary.unlink(missing_ok=True)
    if progress is not None:
        progress(100.0)
    return total


def _encode(segments: list[Segment], origin: float, total: float, path: Path,
            options: ComposeOptions, progress: Progress | None,
            still_wanted: Callable[[], bool] | None) -> None:
    people = participants(segments)
    tiles = grid(len(people), options.width, options.height)
    videos = [VideoSource([s for s in segments if s.peer_id == p and s.kind == "video"])
              for p in people]
    audio = AudioSource([s for s in segments if s.kind == "audio"], origin)
    canvas = Canvas(options.width, options.height)
    frames = max(1, math.ceil(total * options.fps))
    audio_end = math.ceil(total * RATE / AUDIO_FRAME) * AUDIO_FRAME
    half_frame = 0.5 / options.fps
    with av.open(str(path), "w", format="webm") as container:
        video_stream = container.add_stream("libvpx", rate=options.fps)
        video_stream.width, video_stream.height = options.width, options.height
        video_stream.pix_fmt = "yuv420p"
        video_stream.bit_rate = options.video_bitrate
        video_stream.codec_context.gop_size = max(1, round(options.keyframe_every_s * options.fps))
        video_stream.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
        audio_stream = container.add_stream("libopus", rate=RATE, layout="mono")
        audio_stream.bit_rate = options.audio_bitrate
        audio_done = 0
        reported = -1.0
        for index in range(frames):
            if still_wanted is not None and not still_wanted():
                raise CompositionError("composition aborted")
            t = origin + index / options.fps
            canvas.clear()
            for source, tile in zip(videos, tiles, strict=True):
                source.paint(canvas, tile, t, half_frame)
            picture = canvas.frame()
            picture.pts = index
            picture.time_base = Fraction(1, options.fps)
            container.mux(video_stream.encode(picture))
            until = min(audio_end, math.ceil((index + 1) * RATE / options.fps))
            while audio_done < until:
                container.mux(audio_stream.encode(_audio_frame(audio, audio_done)))
                audio_done += AUDIO_FRAME
            percent = math.floor(99.0 * (index + 1) / frames * 10) / 10
            if progress is not None and percent >= reported + 1.0:
                reported = percent
                progress(percent)
        while audio_done < audio_end:
            container.mux(audio_stream.encode(_audio_frame(audio, audio_done)))
            audio_done += AUDIO_FRAME
        container.mux(video_stream.encode(None))
        container.mux(audio_stream.encode(None))


def _audio_frame(audio: AudioSource, start: int) -> av.AudioFrame:
    samples = audio.mix(start, start + AUDIO_FRAME)
    frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
    frame.sample_rate = RATE
    frame.pts = start
    frame.time_base = Fraction(1, RATE)
    return frame
