"""The JSON sidecar next to each track file: what the composition job needs to place it.

``<file>.json`` beside ``<file>.webm``. Written when the segment's file is created,
again once its first sender report placed it on the common clock, and when it ends.
Fields (times are Unix seconds on the server's clock unless said otherwise):

- ``peer_id``, ``kind`` ("audio"/"video"), ``codec`` ("VP8"/"opus"), ``file``,
  ``segment`` (1, 2, ... per peer and kind), ``ssrc``, ``clock_rate``;
- ``first_rtp_timestamp``: the RTP timestamp (32 bits) of the file's pts 0;
- ``first_packet_time``: arrival of the first frame's first packet;
- ``start_time`` / ``start_time_source``: pts 0 on the common clock, from the sender
  reports ("sender_report") or the first packet's arrival ("arrival");
- ``sender_start_time``: pts 0 on the sender's clock by its first sender report, and
  ``clock_offset``: server minus sender clock estimated for this peer (both null before
  a sender report);
- ``sender_report``: the first one (``rtp_timestamp`` relative to pts 0 in ticks,
  ``sender_time``, ``received_at``), or null;
- ``width``, ``height`` (video), ``frames`` (written), ``packets_lost`` (given up after
  the reorder wait), ``frames_dropped`` (incomplete, or waiting for a keyframe);
- ``state``: "recording" (still written, or left by a crash), "finished" (finalised
  after a clean stop), "recovered" (finalised by
  :func:`~media.recording.finalize.recover`), "disk_full" or "failed" (writing stopped;
  what was written stays playable); ``error``; ``duration`` (s, once finalised).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

RECORDING = "recording"
FINISHED = "finished"
RECOVERED = "recovered"
DISK_FULL = "disk_full"
FAILED = "failed"


@dataclass
class TrackInfo:
    """One track file's sidecar (see the module docstring)."""

    peer_id: str
    kind: str
    codec: str
    file: str
    segment: int
    ssrc: int
    clock_rate: int
    first_rtp_timestamp: int | None = None
    first_packet_time: float | None = None
    start_time: float | None = None
    start_time_source: str = "none"
    sender_start_time: float | None = None
    clock_offset: float | None = None
    sender_report: dict[str, float] | None = None
    width: int | None = None
    height: int | None = None
    frames: int = 0
    packets_lost: int = 0
    frames_dropped: int = 0
    state: str = RECORDING
    error: str | None = None
    duration: float | None = None
    version: int = 1


def sidecar_path(media: Path) -> Path:
    return media.with_suffix(".json")


def write_info(media: Path, info: TrackInfo) -> None:
    """Write ``info`` beside ``media`` atomically (a crash leaves the old or the new)."""
    path = sidecar_path(media)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(asdict(info), indent=1, sort_keys=True))
    os.replace(temporary, path)


def read_info(media: Path) -> TrackInfo | None:
    """The sidecar of ``media``, None if missing or unreadable."""
    try:
        raw: Any = json.loads(sidecar_path(media).read_text())
        return TrackInfo(**raw)
    except (OSError, ValueError, TypeError):
        return None
