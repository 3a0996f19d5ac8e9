"""ffprobe / ffmpeg on recorded files (Debian's ffmpeg; ./dev.sh test installs it)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any


def probe(path: Path) -> dict[str, Any]:
    """ffprobe's view of ``path``: ``format`` and ``streams`` (packets counted)."""
    out = subprocess.run(
        [
            "ffprobe", "-v", "error", "-print_format", "json", "-count_packets",
            "-show_format", "-show_streams", str(path),
        ],
        capture_output=True, check=True, text=True, timeout=60,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def duration(path: Path) -> float:
    return float(probe(path)["format"]["duration"])


def decode_errors(path: Path) -> str:
    """What ``ffmpeg -v error`` reports decoding every frame of ``path`` ("" if nothing)."""
    out = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", str(path), "-f", "null", "-"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return out.stderr.strip() + ("" if out.returncode == 0 else f" (exit {out.returncode})")


def decoded_frames(path: Path) -> int:
    """Frames (video) or audio frames ffmpeg decodes from ``path``'s first stream."""
    out = subprocess.run(
        [
            "ffprobe", "-v", "error", "-count_frames", "-select_streams", "0",
            "-show_entries", "stream=nb_read_frames", "-print_format", "json", str(path),
        ],
        capture_output=True, check=True, text=True, timeout=120,
    )  # fmt: skip
    return int(json.loads(out.stdout)["streams"][0]["nb_read_frames"])
