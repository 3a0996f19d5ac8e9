"""Notices between the server processes of one deployment, through the Socket.IO
client manager.

A host on one process may act on a person whose connection another process holds
(``remove``, ``hard_mute``, ``end_room``, a lobby ``deny``, a host handover). Only the
holding process can tell that connection, close it and tear down its media, so the
acting process sends a *notice* that every process (itself included) handles for the
connections it holds.

Notices ride the manager's own channel (the two managers are in ``server.py``): an
emit to :data:`NOTICE_ROOM`, a Socket.IO room no connection ever enters. With the
Redis manager every process receives it, in order with the room events emitted before
and after it; the in-memory manager hands it to this process only. The sender handles
its own notice before the emit returns; other processes handle theirs in a task, so a
slow handler never holds up the manager's listener (and every cross-process event).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

logger = logging.getLogger(__name__)

NOTICE_ROOM = "mentorcall:processes"  # a Socket.IO room no connection ever enters
NoticeHandler = Callable[[str, dict[str, Any]], Awaitable[None]]  # (notice, data)


class NoticeRelay:
    """Hands each notice to this process's handler (the namespace's)."""

    def __init__(self) -> None:
        self.handler: NoticeHandler | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def deliver(self, notice: str, data: Any, here: bool) -> None:
        """A notice arrived; ``here``: this process sent it (handled before returning)."""
        if self.handler is None or not isinstance(data, dict):
            return
        if here:
            await self.handler(notice, data)
            return
        task = asyncio.get_running_loop().create_task(self._handle(notice, data))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, notice: str, data: dict[str, Any]) -> None:
        assert self.handler is not None
        try:
            await self.handler(notice, data)
        except Exception:
            logger.exception("handling the %s notice of another process failed", notice)

    async def close(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
