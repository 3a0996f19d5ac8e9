"""A process that records a publisher until it is killed (the crash-safety test's child).

``python -m tests.media.recording.record_child FOLDER``: an Sfu, an aiortc publisher
(moving video and a tone) and a Recorder of it, all in this process; prints
``recording`` once both track files exist, then runs until killed.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from media import MediaConfig, Sfu
from media.recording.recorder import Recorder
from tests.media.peers import LoopbackPeer, MovingVideoTrack, ToneAudioTrack, publish_to


def wait_for_files(folder: Path, count: int) -> None:
    while len(list(folder.glob("*.webm"))) < count:
        time.sleep(0.05)


async def record(folder: Path) -> None:
    sfu = Sfu(MediaConfig())
    client = LoopbackPeer()
    await publish_to(sfu, "alice", client, MovingVideoTrack(), ToneAudioTrack())
    await client.wait_connected()
    recorder = Recorder(sfu, folder)
    recorder.start("alice")
    await asyncio.to_thread(wait_for_files, folder, 2)
    print("recording", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(record(Path(sys.argv[1])))
