"""The node registry interface, shared by the in-memory and Redis implementations.

* :meth:`NodeRegistry.heartbeat` registers a node or renews its lease (``lease_s``): a
  node whose lease lapses (it crashed, was killed, lost Redis) is no longer live.
* :meth:`NodeRegistry.place` is the one atomic placement step: the room keeps its node
  while that node's lease is alive and it is not draining; otherwise the least loaded
  live, non-draining node with room is chosen and recorded. If no other node can take
  it, a room placed on a live draining node stays there (better than refusing the
  people still in it). None: no node can take the room.
* A placement lasts ``ttl_s`` (the room's remaining time), or until its node releases
  it. Leases and placements run on the registry's clock: real time in a deployment
  (nodes renew their leases on real-time sleeps, whatever clock the rooms use).
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from rooms.nodes.model import Node, Placement


class NodeRegistry(ABC):
    """Which nodes are live, and which node hosts each room."""

    @abstractmethod
    async def heartbeat(self, node: Node, lease_s: float) -> None:
        """Register ``node`` (its URL, capacity, load, draining flag) for ``lease_s``
        from now; ``node.placed`` is ignored (the registry counts placements)."""

    @abstractmethod
    async def set_draining(self, node_id: str) -> None:
        """The node takes no new rooms from now on (nothing if it is not live)."""

    @abstractmethod
    async def leave(self, node_id: str) -> None:
        """The node stops (a clean shutdown): it is no longer live."""

    @abstractmethod
    async def nodes(self) -> list[Node]:
        """The live nodes, by id, with their placed-room counts."""

    @abstractmethod
    async def place(self, room_id: str, ttl_s: float) -> Placement | None:
        """The room's node, choosing one if its placement is missing, lapsed or draining
        (see the module docstring); a new placement lasts ``ttl_s``."""

    @abstractmethod
    async def placement(self, room_id: str) -> str | None:
        """The id of the node the room is placed on, live or not; None if not placed."""

    @abstractmethod
    async def release(self, room_id: str, node_id: str) -> None:
        """Forget the room's placement if it is on ``node_id`` (the room ended there)."""

    async def close(self) -> None:  # noqa: B027 - nothing to release by default
        """Release what the registry holds (its Redis client, if it owns one)."""
