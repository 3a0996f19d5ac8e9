"""The in-memory node registry: the process alone (no Redis), hence one node in practice.

The same rules as the Redis registry, applied to dicts under the event loop (no method
awaits between reading and writing, so each is one step); leases run on the clock.
"""

from __future__ import annotations

import dataclasses

from rooms.clock import Clock, SystemClock
from rooms.nodes.model import Node, Placement
from rooms.nodes.registry import NodeRegistry


class MemoryNodeRegistry(NodeRegistry):
    """Nodes and placements held in this process."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._nodes: dict[str, tuple[Node, float]] = {}  # id -> (node, lease end)
        self._placements: dict[str, tuple[str, float]] = {}  # room -> (node id, until)

    def _live(self) -> dict[str, Node]:
        now = self._clock.now()
        for node_id, (_, lease_end) in list(self._nodes.items()):
            if lease_end <= now:
                del self._nodes[node_id]
        for room_id, (_, until) in list(self._placements.items()):
            if until <= now:
                del self._placements[room_id]
        placed: dict[str, int] = {}
        for node_id, _ in self._placements.values():
            placed[node_id] = placed.get(node_id, 0) + 1
        return {node_id: dataclasses.replace(node, placed=placed.get(node_id, 0))
                for node_id, (node, _) in sorted(self._nodes.items())}

    async def heartbeat(self, node: Node, lease_s: float) -> None:
        previous = self._nodes.get(node.node_id)
        if previous is not None and previous[0].draining:  # draining is for good
            node = dataclasses.replace(node, draining=True)
        self._nodes[node.node_id] = (node, self._clock.now() + lease_s)

    async def set_draining(self, node_id: str) -> None:
        entry = self._nodes.get(node_id)
        if entry is not None:
            self._nodes[node_id] = (dataclasses.replace(entry[0], draining=True), entry[1])

    async def leave(self, node_id: str) -> None:
        self._nodes.pop(node_id, None)

    async def nodes(self) -> list[Node]:
        return list(self._live().values())

    async def place(self, room_id: str, ttl_s: float) -> Placement | None:
        live = self._live()
        current = self._placements.get(room_id)
        owner = None if current is None else live.get(current[0])
        if owner is not None and not owner.draining:
            return Placement(room_id, owner.node_id, owner.url)
        candidates = [node for node in live.values() if node.has_room]
        if not candidates:
            if owner is not None:  # draining, but nobody else can take the room
                return Placement(room_id, owner.node_id, owner.url)
            return None
        best = min(candidates, key=Node.rank)
        self._placements[room_id] = (best.node_id, self._clock.now() + ttl_s)
        return Placement(room_id, best.node_id, best.url, moved=current is not None)

    async def placement(self, room_id: str) -> str | None:
        self._live()
        current = self._placements.get(room_id)
        return None if current is None else current[0]

    async def release(self, room_id: str, node_id: str) -> None:
        current = self._placements.get(room_id)
        if current is not None and current[0] == node_id:
            del self._placements[room_id]
