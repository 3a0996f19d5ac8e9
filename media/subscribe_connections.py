"""SubscribeConnections: every participant's subscribe connection, kept in step with the
publishers it sees (one connection's rules: media/subscriber.py)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from media.config import MediaConfig
from media.counts import FirstFrameTimes
from media.errors import UNKNOWN_SUBSCRIPTION, MediaError
from media.fanout import TrackFanout
from media.first_frame import FirstFrameClock
from media.peer import ForwardingPeerConnection
from media.subscriber import SubscriberConnection
from media.subscriber_offer import SubscriberOffer

logger = logging.getLogger(__name__)

RenegotiateHook = Callable[[str, SubscriberOffer], Awaitable[None]]
# (peer id, subscription id, ((mid, publisher id or None), ...)): last-N slots changed
VideoSlotsHook = Callable[[str, str, tuple[tuple[str, str | None], ...]], Awaitable[None]]


class SubscribeConnections:
    """The subscribe connections of an SFU, one per peer id.

    The SFU lends its ways to find a publisher's fan-outs, to close a connection
    (``close_pc``), to report its failure (``watch(pc, peer_id, connection_id,
    expected)``) and to run background work (``spawn``). Offers that no call returns
    (after a publisher changed, or changes coalesced during an outstanding offer) go
    to ``on_renegotiate(peer_id, offer)``. ``arrange(connection)`` (last-N video, set by
    the SFU) assigns a connection's video slots before each offer made here; a slot
    mapping that changed without an offer showing it goes to ``on_video_slots``.
    """

    def __init__(
        self,
        config: MediaConfig,
        fanouts_of: Callable[[str], Sequence[TrackFanout]],
        close_pc: Callable[[ForwardingPeerConnection], Awaitable[None]],
        watch: Callable[[ForwardingPeerConnection, str, str, Callable[[], bool]], None],
        spawn: Callable[[Coroutine[Any, Any, None]], None],
        first_frame: FirstFrameTimes | None = None,
    ) -> None:
        self._config = config
        self._first_frame = first_frame
        self._fanouts_of = fanouts_of
        self._close_pc = close_pc
        self._watch = watch
        self._spawn = spawn
        self.by_peer: dict[str, SubscriberConnection] = {}
        self.on_renegotiate: RenegotiateHook | None = None
        self.on_video_slots: VideoSlotsHook | None = None
        self.arrange: Callable[[SubscriberConnection], None] | None = None
        self.closed = False

    async def open(self, peer_id: str, sources: Sequence[str]) -> SubscriberOffer:
        """A new subscribe connection for ``peer_id`` (replacing any), and its first offer."""
        pc = ForwardingPeerConnection(self._config)
        connection = SubscriberConnection(uuid.uuid4().hex, peer_id, pc, self._fanouts_of)
        connection.first_frame = FirstFrameClock(self._first_frame)
        connection.set_sources(sources)
        try:
            if self.arrange is not None:
                self.arrange(connection)
            offer = await connection.make_offer()
        except BaseException:
            await self._close(connection)
            raise
        assert offer is not None  # the first offer is always made
        old = self.by_peer.get(peer_id)
        self.by_peer[peer_id] = connection
        self._watch(pc, peer_id, connection.subscription_id, lambda: connection.closing)
        if old is not None:
            await self._close(old)
        return offer

    async def set_sources(
        self, peer_id: str, publisher_ids: Sequence[str]
    ) -> SubscriberOffer | None:
        """See :meth:`media.sfu.Sfu.set_sources`."""
        connection = self.by_peer.get(peer_id)
        if connection is None:
            raise MediaError(UNKNOWN_SUBSCRIPTION, "There is no subscribe connection.")
        connection.set_sources(publisher_ids)
        if self.arrange is not None:
            self.arrange(connection)
        offer = await connection.make_offer()
        if offer is None:
            self._renegotiate_soon(connection)  # a slot mapping to tell, maybe
        return offer

    def alive(self, peer_id: str) -> bool:
        """True if the peer has a subscribe connection that is neither closing nor failed."""
        connection = self.by_peer.get(peer_id)
        return connection is not None and not connection.closing and (
            connection.pc.connectionState not in ("closed", "failed"))

    def by_id(self, subscription_id: str) -> SubscriberConnection | None:
        """The connection with this subscription id, if any."""
        return next(
            (c for c in self.by_peer.values() if c.subscription_id == subscription_id), None
        )

    async def accept_answer(
        self, connection: SubscriberConnection, version: int | None, answer_sdp: str
    ) -> None:
        """Apply the answer; offer what changed meanwhile through ``on_renegotiate``."""
        await connection.accept_answer(version, answer_sdp)
        self._renegotiate_soon(connection)

    async def close(self, peer_id: str) -> None:
        """Close the peer's subscribe connection (none: ignored)."""
        connection = self.by_peer.pop(peer_id, None)
        if connection is not None:
            await self._close(connection)

    def publisher_changed(self, publisher_id: str) -> None:
        """A publisher's tracks changed: forward accordingly, renegotiate who sees it."""
        for connection in self.by_peer.values():
            if publisher_id in connection.sources:
                connection.refresh()
                self._renegotiate_soon(connection)

    def slots_changed(self, connection: SubscriberConnection) -> None:
        """Last-N moved the connection's video slots: offer new ones or tell the mapping."""
        self._renegotiate_soon(connection)

    def _renegotiate_soon(self, connection: SubscriberConnection) -> None:
        if not self.closed and not connection.closing:
            self._spawn(self._renegotiate(connection))

    async def _renegotiate(self, connection: SubscriberConnection) -> None:
        try:
            offer = await connection.make_offer()
        except Exception:
            # it closed meanwhile (here, or by aiortc when the remote closed its DTLS,
            # which Sfu.on_peer_failed reports): nothing to tell
            if connection.closing or self.closed or connection.pc.signalingState == "closed":
                logger.debug("%s's subscribe connection closed while renegotiating",
                             connection.peer_id)
                return
            logger.exception("renegotiating %s's subscribe connection failed", connection.peer_id)
            return
        hook = self.on_renegotiate
        if connection.closing:
            return
        if offer is not None and hook is not None:
            try:
                await hook(connection.peer_id, offer)
            except Exception:
                logger.exception("on_renegotiate(%s) failed", connection.peer_id)
        slots = connection.untold_slots()
        tell = self.on_video_slots
        if slots is not None and tell is not None and not connection.closing:
            try:
                await tell(connection.peer_id, connection.subscription_id, slots)
            except Exception:
                logger.exception("on_video_slots(%s) failed", connection.peer_id)

    async def _close(self, connection: SubscriberConnection) -> None:
        connection.closing = True
        connection.detach_all()  # nothing is forwarded to it while it closes
        await self._close_pc(connection.pc)
