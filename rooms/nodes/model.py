"""What the registry knows of a node: who it is, where it is reached, how loaded it is."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class NodeLoad:
    """What a node carries now (reported at every heartbeat)."""

    rooms: int = 0  # rooms with at least one connection here
    participants: int = 0  # joined connections here
    published: int = 0  # streams received from publishers
    forwarded: int = 0  # streams sent to subscribers
    cpu: float = 0.0  # share of one core the process used since the previous heartbeat

    @property
    def streams(self) -> int:
        return self.published + self.forwarded


@dataclass(frozen=True)
class Node:
    """A live node as the registry holds it.

    ``placed`` is how many rooms are placed on it now (counted by the registry, not
    reported: placements made between two heartbeats count at once, so a burst of first
    joins spreads over the nodes)."""

    node_id: str
    url: str  # the public signaling URL clients are sent to (``moved``)
    max_rooms: int  # capacity: a node with this many rooms placed takes no more
    ice_hosts: tuple[str, ...] = ()
    draining: bool = False
    load: NodeLoad = field(default_factory=NodeLoad)
    placed: int = 0
    started_at: float = 0.0

    def __post_init__(self) -> None:
        if not self.node_id or "\n" in self.node_id or self.max_rooms < 1:
            raise ValueError("a node needs an id and max_rooms >= 1")

    @property
    def has_room(self) -> bool:
        return not self.draining and self.placed < self.max_rooms

    def rank(self) -> tuple[float, int, float, str]:
        """Placement order, least loaded first: share of capacity placed, then streams,
        then CPU, then id (so equal nodes are chosen in a stable order)."""
        return (self.placed / self.max_rooms, self.load.streams, self.load.cpu, self.node_id)


@dataclass(frozen=True)
class Placement:
    """Where a room lives: its node (id and URL); ``moved`` when this call chose it
    again because the node it had lapsed or drains."""

    room_id: str
    node_id: str
    url: str
    moved: bool = False
