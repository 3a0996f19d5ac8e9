"""Shared parts of the composition runner tests: one recorded call, copied per test."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from rooms.recordings.model import Recording
from rooms.recordings.store import RecordingStore
from web.recordings.composer import ComposerOptions

OPTIONS = ComposerOptions(width=640, height=360, max_attempts=2, retry_delay_s=0.1,
                          poll_s=0.5, lease_s=2.0)


def track_names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def place_tracks(source: Path, root: Path, recording_id: str) -> Path:
    folder = root / recording_id
    shutil.copytree(source, folder)
    return folder


async def watch(store: RecordingStore, recording_id: str, until: set[str],
                timeout_s: float = 150.0) -> list[tuple[str, float]]:
    """(state, percent) of the composition each time it changes, until a state in
    ``until`` is reached."""
    seen: list[tuple[str, float]] = []
    async with asyncio.timeout(timeout_s):
        while True:
            recording: Recording | None = await store.get(recording_id)
            assert recording is not None
            now = (recording.composition.state.value, recording.composition.percent)
            if not seen or seen[-1] != now:
                seen.append(now)
            if now[0] in until:
                return seen
            await asyncio.sleep(0.02)
