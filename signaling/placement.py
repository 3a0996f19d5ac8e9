"""Which node serves a room's calls: a join reaching a node that does not host the room
is answered `moved`, with the URL of the node that does (docs/operations.md, "Several
nodes": the chosen design is a redirect, not a relay).

The room is placed at its first join (:meth:`rooms.nodes.registry.NodeRegistry.place`:
least loaded live node with room, atomically); every later join, through whichever node,
reads the same placement. A room whose node lapsed or drains is placed again there.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from rooms.clock import Clock, SystemClock
from rooms.nodes.model import Placement
from rooms.nodes.registry import NodeRegistry
from rooms.service import RoomService

from .errors import SignalingError

logger = logging.getLogger(__name__)

PLACEMENT_SLACK_S = 60.0  # a placement outlives its room's end by this much


class RoomPlacement:
    """This node's view of placements: refuses joins of rooms placed elsewhere."""

    def __init__(self, registry: NodeRegistry, node_id: str, service: RoomService,
                 clock: Clock | None = None) -> None:
        self.registry = registry
        self.node_id = node_id
        self._service = service
        self._clock: Clock = clock if clock is not None else SystemClock()  # the rooms'
        # Called when no node is live, this one included (Redis restarted empty): the
        # keeper registers this node again at once (set by the NodeKeeper).
        self.reregister: Callable[[], Awaitable[None]] | None = None

    def _ttl_s(self, expires_at: float) -> float:
        """How long a placement of a room ending at ``expires_at`` lasts."""
        return max(1.0, expires_at - self._clock.now() + PLACEMENT_SLACK_S)

    async def _place(self, room_id: str, expires_at: float) -> Placement | None:
        placement = await self.registry.place(room_id, self._ttl_s(expires_at))
        if placement is None and self.reregister is not None:
            await self.reregister()
            placement = await self.registry.place(room_id, self._ttl_s(expires_at))
        return placement

    async def check(self, room_id: str, token: str | None = None) -> None:
        """Return if the room is (now) placed on this node; else `moved` carrying the
        owner's ``url`` (and ``token``, the joiner's personal token, when the join
        redeemed a shareable one: reconnect with it), or `no_node` if no node can take
        the room. A room that does not exist is left to the join to refuse."""
        room = await self._service.room(room_id)
        if room is None:
            return
        placement = await self._place(room_id, room.expires_at)
        if placement is None:
            raise SignalingError("no_node", "No server can take this call now; try again "
                                 "in a minute.")
        if placement.moved:
            logger.info("room %s placed again on node %s", room_id, placement.node_id)
        if placement.node_id == self.node_id:
            return
        details = {"url": placement.url, **({} if token is None else {"token": token})}
        raise SignalingError("moved", "This call is served by another server: reconnect "
                             "there and join again.", details=details)

    async def live_nodes(self) -> set[str]:
        """The ids of the live nodes."""
        return {node.node_id for node in await self.registry.nodes()}

    async def release_if_ended(self, room_id: str) -> bool:
        """Give the room's placement up if the room is gone (ended early: a host ended
        it); True if so. A room that still exists keeps its node until it ends."""
        if await self._service.room(room_id) is not None:
            return False
        await self.registry.release(room_id, self.node_id)
        return True

    async def place_elsewhere(self, room_id: str) -> str | None:
        """Place a room of this (draining) node again; the URL of its new node, or None
        if it stays here (no other node can take it) or is gone."""
        room = await self._service.room(room_id)
        if room is None:
            return None
        placement = await self.registry.place(room_id, self._ttl_s(room.expires_at))
        if placement is None or placement.node_id == self.node_id:
            return None
        return placement.url
