"""ConnectionWatch: what every SFU peer connection shares while it lives and as it ends.

It reports a connection that fails or is closed by the far end to ``on_peer_failed``,
closes connections while keeping the tallies the SFU reports after they are gone
(codecs that ran, datagrams dropped at ingress), and runs the SFU's background work.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from media.admission import IngressCounters
from media.peer import ForwardingPeerConnection

logger = logging.getLogger(__name__)

PeerFailedHook = Callable[[str, str], Awaitable[None]]


class ConnectionWatch:
    """Failure reports, closing with tallies, and background tasks for one SFU.

    ``closed`` is set when the SFU closes: failures are no longer reported then.
    """

    def __init__(self) -> None:
        self.on_peer_failed: PeerFailedHook | None = None
        self.closed = False
        self.tasks: set[asyncio.Future[None]] = set()
        self.codecs_seen = 0  # codecs that ran in connections already closed
        self.ingress_closed = IngressCounters()  # of connections already closed

    def watch(
        self,
        pc: ForwardingPeerConnection,
        peer_id: str,
        connection: str,
        expected: Callable[[], bool],
    ) -> None:
        """Report ``pc`` to ``on_peer_failed(peer_id, connection)`` once if it fails or
        closes while ``expected()`` is false (we did not close it ourselves)."""
        reported = False

        @pc.on("connectionstatechange")
        def on_state() -> None:
            nonlocal reported
            state = pc.connectionState
            if reported or expected() or self.closed or state not in ("failed", "closed"):
                return
            reported = True
            logger.info("peer %s: connection %s %s", peer_id, connection, state)
            hook = self.on_peer_failed
            if hook is not None:
                self.spawn(_call_hook(hook, peer_id, connection))

    async def close_pc(self, pc: ForwardingPeerConnection) -> None:
        """Close ``pc``, never raising, and keep its tallies."""
        self.codecs_seen += pc.codecs_running()
        try:
            await pc.close()
        except Exception:  # closing must not fail the caller; log why
            logger.exception("closing a peer connection failed")
        self.ingress_closed.add(pc.ingress_counters())

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run ``coroutine`` in the background until it ends or :meth:`cancel_tasks`."""
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def cancel_tasks(self) -> None:
        """Cancel every background task still running."""
        for task in list(self.tasks):
            task.cancel()


async def _call_hook(hook: PeerFailedHook, peer_id: str, connection: str) -> None:
    try:
        await hook(peer_id, connection)
    except Exception:
        logger.exception("on_peer_failed(%s, %s) failed", peer_id, connection)
