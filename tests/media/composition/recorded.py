"""A recorded two-person call for composition tests: aiortc publishers through the Sfu,
written by the landed Recorder, each sending a flash and a beep once a second."""

from __future__ import annotations

import asyncio
import math
import time
from pathlib import Path

from media import MediaConfig, Sfu
from media.recording.recorder import Recorder
from media.recording.sidecar import read_info
from tests.media.peers import LoopbackPeer, publish_to
from tests.media.sync_tracks import BeepAudioTrack, FlashVideoTrack

TONES = {"alice": 1000.0, "bob": 2000.0}  # each person's beep, told apart in the mix


async def record_call(folder: Path, seconds: float, sfu: Sfu | None = None) -> float:
    """Record alice and bob for ``seconds`` into ``folder``; returns their shared epoch
    (a flash and a beep at each whole second after it)."""
    server = sfu if sfu is not None else Sfu(MediaConfig())
    epoch = math.floor(time.time()) + 1.0
    clients = []
    try:
        for peer, tone in TONES.items():
            client = LoopbackPeer()
            clients.append(client)
            await publish_to(server, peer, client, FlashVideoTrack(epoch),
                             BeepAudioTrack(epoch, tone))
            await client.wait_connected()
        recorder = Recorder(server, folder)
        for peer in TONES:
            assert sorted(recorder.start(peer)) == ["audio", "video"]
        await asyncio.sleep(seconds)
        await recorder.close()
    finally:
        for client in clients:
            await client.close()
        if sfu is None:
            await server.close()
    return epoch


def recorded_span(folder: Path) -> float:
    """Seconds from the earliest track start to the latest track end (the sidecars)."""
    infos = [read_info(p) for p in folder.glob("*.webm")]
    spans = [(i.start_time, i.start_time + i.duration) for i in infos
             if i is not None and i.start_time is not None and i.duration is not None]
    assert len(spans) == 4
    return max(end for _, end in spans) - min(start for start, _ in spans)
