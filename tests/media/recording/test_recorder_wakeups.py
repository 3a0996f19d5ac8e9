"""What recording wakes, on a real call: the event loop and the disk thread.

Each wake-up of a sleeping loop or thread costs far more CPU than the little work it does
(docs/benchmarks.md, "Recording"): while a publisher's packets flow, the recorder's
batches run from the packets' own turns of the loop (no timer of theirs fires) and
hand their chunks to the disk thread once per batch for all the tracks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from media import Sfu
from media.recording.batches import BATCH_S
from media.recording.recorder import Recorder
from tests.media.recording.probe import decode_errors
from tests.media.recording.test_recorder_call import start_publisher

COUNTED_S = 3.0


class CountingQueue:
    """The disk thread's queue, counting the jobs put (each wakes the thread)."""

    def __init__(self, queue: Any) -> None:
        self.queue = queue
        self.puts = 0

    def put(self, item: Any) -> None:
        self.puts += 1
        self.queue.put(item)

    def get(self) -> Any:
        return self.queue.get()


def count_recording_timers(loop: asyncio.AbstractEventLoop) -> list[str]:
    """Names of the recorder's timer callbacks as they run, from now on."""
    ran: list[str] = []
    call_at = loop.call_at

    def counted_call_at(when: float, callback: Callable[..., Any], *args: Any,
                        **kwargs: Any) -> asyncio.TimerHandle:
        owner = getattr(callback, "__self__", None)
        if owner is None or not type(owner).__module__.startswith("media.recording"):
            return call_at(when, callback, *args, **kwargs)

        def run(*args: Any) -> None:
            ran.append(getattr(callback, "__qualname__", repr(callback)))
            callback(*args)

        return call_at(when, run, *args, **kwargs)

    loop.call_at = counted_call_at  # type: ignore[method-assign, assignment]
    return ran


async def test_while_packets_flow_no_recorder_timer_fires_and_the_disk_wakes_once_a_batch(
    sfu: Sfu, tmp_path: Path
) -> None:
    client, _ = await start_publisher(sfu, "alice")
    recorder = Recorder(sfu, tmp_path)
    loop = asyncio.get_running_loop()
    try:
        assert sorted(recorder.start("alice")) == ["audio", "video"]
        await asyncio.sleep(1.0)  # the files began, the first sender reports came
        disk = recorder._disk
        assert disk is not None
        jobs = disk._queue = CountingQueue(disk._queue)  # type: ignore[assignment]
        timers = count_recording_timers(loop)
        await asyncio.sleep(COUNTED_S)
        counted_jobs, counted_timers = jobs.puts, list(timers)
        files = await recorder.close()
    finally:
        del loop.call_at  # the class's again
        await client.close()
    # two tracks, one batch every BATCH_S: before, each track ran its batches from a
    # timer (10 a second) and each cluster woke the disk thread (10 a second)
    assert len(counted_timers) <= 2, counted_timers  # (a loop stalled past a batch)
    assert counted_jobs <= COUNTED_S / BATCH_S + 3, counted_jobs
    assert len(files) == 2
    for path in files:
        assert decode_errors(path) == ""
