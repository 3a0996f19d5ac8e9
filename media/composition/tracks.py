"""The tracks of a recording folder, placed on the common clock by their sidecars."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

from media.recording.sidecar import read_info


@dataclass(frozen=True)
class Segment:
    """One track file: whose, which kind, and where it lies on the common clock."""

    path: Path
    peer_id: str
    kind: str  # "audio" or "video"
    number: int
    start: float  # Unix seconds of the file's pts 0 (the sidecar's start_time)
    duration: float  # seconds

    @property
    def end(self) -> float:
        return self.start + self.duration


def measured_duration(path: Path) -> float:
    """Seconds from pts 0 to the end of the last packet (a file never finalised)."""
    end = 0.0
    with av.open(str(path)) as container:
        for packet in container.demux():
            if packet.pts is None or packet.time_base is None:
                continue
            length = packet.duration or 0
            end = max(end, float((packet.pts + length) * packet.time_base))
    return end


def find_segments(folder: Path) -> list[Segment]:
    """Every track file of ``folder`` that has a sidecar placing it on the clock and at
    least one frame, ordered by start. Files without a sidecar (a composed file, a
    temporary file) are not tracks and are ignored."""
    segments = []
    for path in sorted(folder.glob("*.webm")):
        info = read_info(path)
        if info is None or info.kind not in ("audio", "video"):
            continue
        start = info.start_time if info.start_time is not None else info.first_packet_time
        if start is None or info.frames == 0:
            continue
        duration = info.duration if info.duration else measured_duration(path)
        if duration <= 0:
            continue
        segments.append(Segment(path, info.peer_id, info.kind, info.segment, start, duration))
    return sorted(segments, key=lambda s: (s.start, s.peer_id, s.kind, s.number))


def participants(segments: list[Segment]) -> list[str]:
    """Everyone with a track, by peer id (the grid's order: stable whoever joined first)."""
    return sorted({s.peer_id for s in segments})
