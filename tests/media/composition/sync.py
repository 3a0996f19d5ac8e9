"""Measuring A/V sync in a composed file: flash onsets per tile, beep onsets per tone."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

from media.composition.layout import Box

RATE = 48000
WINDOW = 240  # 5 ms: a whole number of periods of 1 kHz and 2 kHz (rejects the other)


def flash_onsets(path: Path, tiles: list[Box]) -> list[list[float]]:
    """For each tile, the times (s) of the output frames where its picture turns bright."""
    onsets: list[list[float]] = [[] for _ in tiles]
    bright = [False] * len(tiles)
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            assert frame.time is not None
            luma = frame.to_ndarray(format="gray")
            for number, tile in enumerate(tiles):
                region = luma[tile.y + tile.height // 4 : tile.y + 3 * tile.height // 4,
                              tile.x + tile.width // 4 : tile.x + 3 * tile.width // 4]
                now = float(region.mean()) > 125
                if now and not bright[number]:
                    onsets[number].append(float(frame.time))
                bright[number] = now
    return onsets


def audio_samples(path: Path) -> tuple[float, npt.NDArray[np.float64]]:
    """The first sample's time and the mono 48 kHz audio of ``path``."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
    chunks: list[npt.NDArray[np.float32]] = []
    first: float | None = None
    with av.open(str(path)) as container:
        for frame in container.decode(audio=0):
            if first is None:
                assert frame.time is not None
                first = float(frame.time)
            chunks.extend(np.asarray(out.to_ndarray(), np.float32).reshape(-1)
                          for out in resampler.resample(frame))
    assert first is not None
    return first, np.concatenate(chunks).astype(np.float64)


def beep_onsets(first: float, samples: npt.NDArray[np.float64], frequency: float) -> list[float]:
    """Times where the ``frequency`` tone's envelope rises through half its peak."""
    n = np.arange(len(samples))
    shifted = samples * np.exp(-2j * np.pi * frequency * n / RATE)
    envelope = np.abs(np.convolve(shifted, np.ones(WINDOW) / WINDOW, mode="same"))
    above = envelope > 0.5 * envelope.max()
    rises = np.flatnonzero(above[1:] & ~above[:-1]) + 1
    return [first + float(index) / RATE for index in rises]


def nearest_offsets(reference: list[float], other: list[float]) -> list[float]:
    """For each reference time, the signed offset to the nearest time of ``other``."""
    return [min((o - r for o in other), key=abs) for r in reference if other]
