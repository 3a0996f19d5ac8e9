"""Finalising track files: a remux with stream copy gives them duration and cues.

A file still being written (or left by a crash, or by a full disk) plays but has no
duration and no cues (no seeking). :func:`finalize` copies its packets as they are
into a new file and replaces the old one atomically; a file cut short mid-cluster
keeps every packet before the cut. :func:`recover` does this for every file of a
folder whose sidecar says it was never finalised (call it at start-up). Nothing is
decoded or encoded.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import av

from media.recording.disk import RESERVE_NAME
from media.recording.sidecar import (
    DISK_FULL,
    FAILED,
    FINISHED,
    RECORDING,
    RECOVERED,
    read_info,
    write_info,
)

logger = logging.getLogger(__name__)

PARTIAL_SUFFIX = ".partial"


def finalize(path: Path) -> float:
    """Remux ``path`` in place with stream copy; returns its duration in seconds.

    Raises OSError (or av.FFmpegError) when the file cannot be read at all or the new
    one cannot be written; the original is then left as it was.
    """
    partial = path.with_name(path.name + PARTIAL_SUFFIX)
    try:
        return _remux(path, partial)
    except BaseException:
        partial.unlink(missing_ok=True)  # never leave a half copy on a full disk
        raise


def _remux(path: Path, partial: Path) -> float:
    packets = 0
    end = 0.0
    with av.open(str(path), "r") as source:
        if not source.streams:
            raise OSError(f"{path.name}: no stream")
        with av.open(str(partial), "w", format="webm") as target:
            streams: dict[int, Any] = {
                s.index: target.add_stream_from_template(s) for s in source.streams
            }
            try:
                for packet in source.demux():
                    if packet.dts is None or packet.pts is None:
                        continue  # the flush packet at the end
                    if packet.time_base is not None:
                        stop = packet.pts + (packet.duration or 0)
                        end = max(end, float(stop * packet.time_base))
                    packet.stream = streams[packet.stream.index]
                    target.mux(packet)
                    packets += 1
            except av.InvalidDataError:
                logger.info("%s ends mid-cluster: kept %d packets", path.name, packets)
    if packets == 0:
        raise OSError(f"{path.name}: no packet")
    os.replace(partial, path)
    return end


def finalize_track(path: Path, state: str = FINISHED) -> None:
    """Finalise ``path`` and record it in its sidecar (``state`` unless writing had
    stopped on an error, which stays recorded). A failure is recorded, not raised."""
    info = read_info(path)
    try:
        duration = finalize(path)
    except (OSError, av.FFmpegError) as exc:
        logger.warning("finalising %s failed: %s", path, exc)
        if info is not None:
            info.error = info.error or f"finalise: {exc}"
            if info.state == RECORDING:
                info.state = FAILED
            _write_quietly(path, info)
        return
    if info is not None:
        info.duration = round(duration, 3)
        if info.state not in (DISK_FULL, FAILED):
            info.state = state
        _write_quietly(path, info)


def recover(folder: Path) -> list[Path]:
    """Finalise every track file under ``folder`` left unfinalised (by a crash, or a
    write error) or without a sidecar; returns those files. Leftover partial remuxes
    and disk reserves are removed first."""
    recovered: list[Path] = []
    for leftover in folder.rglob(f"*{PARTIAL_SUFFIX}"):
        leftover.unlink(missing_ok=True)
    for reserve in folder.rglob(RESERVE_NAME):  # a crashed recorder's disk reserve
        reserve.unlink(missing_ok=True)
    for path in sorted(folder.rglob("*.webm")):
        info = read_info(path)
        if info is not None and (info.duration is not None or info.state == FINISHED):
            continue
        # unfinalised, or without a sidecar (a crash before its first one was written)
        finalize_track(path, RECOVERED)
        recovered.append(path)
    return recovered


def _write_quietly(path: Path, info: Any) -> None:
    try:
        write_info(path, info)
    except OSError as exc:
        logger.warning("writing the sidecar of %s failed: %s", path, exc)
