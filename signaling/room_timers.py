"""Ends live calls when their room's time is over."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from rooms.clock import Clock

logger = logging.getLogger(__name__)


class RoomEndTimers:
    """One timer per live room that calls `on_end(room_id)` at the room's expiry.

    Sleeps are computed from the injected clock and re-checked on waking, so a test
    clock that jumps forward ends the room at the next check (at most `max_sleep_s`).
    """

    def __init__(
        self,
        clock: Clock,
        on_end: Callable[[str], Awaitable[None]],
        max_sleep_s: float = 5.0,
    ) -> None:
        self._clock = clock
        self._on_end = on_end
        self._max_sleep_s = max_sleep_s
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def watch(self, room_id: str, expires_at: float) -> None:
        """Start the room's timer unless it already runs."""
        if room_id not in self._tasks:
            self._tasks[room_id] = asyncio.create_task(self._run(room_id, expires_at))

    async def _run(self, room_id: str, expires_at: float) -> None:
        try:
            while (left := expires_at - self._clock.now()) > 0:  # noqa: ASYNC110 (clock can jump)
                await asyncio.sleep(min(left, self._max_sleep_s))
            await self._on_end(room_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("ending room %s failed", room_id)
        finally:
            self._tasks.pop(room_id, None)

    def __contains__(self, room_id: str) -> bool:
        return room_id in self._tasks

    async def close(self) -> None:
        for task in list(self._tasks.values()):
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._tasks.clear()
