"""Batches: when a recorder's tracks process the packets they collected.

Every track of a recorder collects its packets as they come (a list append) and
processes them in batches (media/recording/track.py). The batches of all its tracks run
together, every BATCH_S, and end with one hand-over of what they wrote to the disk
thread (media/recording/disk.py): one wake-up of that thread per batch, whatever the
number of tracks.

A batch runs from within the arrival of the first packet after it fell due, on the
event loop's turn that packet woke it for: while packets come (audio every 20 ms),
recording adds no wake-up of the event loop of its own. A wake-up costs far more CPU
than the little work it brings (on the loaded 2-core bench host an idle loop's timer
wake-up measured 136 us, a hand-off to a sleeping thread 70-100 us more; see
docs/benchmarks.md, "Recording"), and a timer per track and a disk job per chunk woke
the loop and the disk thread about 20 times a second for one publisher. A timer runs a
batch that no packet came for (IDLE_S after it fell due: a paused track); it is armed
at the batch's first packet and cancelled when a packet runs it, so it never fires
while packets flow.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

BATCH_S = 0.3  # packets are processed this often (a SIGKILL loses them too)
IDLE_S = 0.1  # a batch no packet came for runs this long after it fell due


def _nothing() -> None:
    pass


class Batches:
    """Runs the members' ``process`` together, then ``flush`` (see the module docstring).

    On the event loop only.
    """

    def __init__(self, flush: Callable[[], None] = _nothing) -> None:
        self._loop = asyncio.get_running_loop()
        self._flush = flush
        self._members: list[Callable[[], None]] = []
        self._due: float | None = None  # when the open batch falls due (arrival clock)
        self._timer: asyncio.TimerHandle | None = None

    def join(self, process: Callable[[], None]) -> None:
        """Run ``process`` in every batch from now on."""
        self._members.append(process)

    def leave(self, process: Callable[[], None]) -> None:
        """No more batches for ``process`` (not a member: ignored)."""
        if process in self._members:
            self._members.remove(process)
        if not self._members:
            self.close()

    def collected(self, now: float) -> None:
        """A member collected a packet that arrived at ``now`` (``time.time()``): open a
        batch, or run the open one if it fell due."""
        due = self._due
        if due is None:
            self._due = now + BATCH_S
            self._timer = self._loop.call_later(BATCH_S + IDLE_S, self.run)
        elif now >= due:
            self.run()

    def run(self) -> None:
        """Process every member's packets now, and hand what they wrote to the disk."""
        self._due = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for process in list(self._members):
            process()
        self._flush()

    def close(self) -> None:
        """Cancel the idle timer (the members stopped)."""
        self._due = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
