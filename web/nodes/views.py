"""The JSON shapes of ``GET /api/nodes`` (also the OpenAPI document's schemas)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from rooms.nodes.model import Node


class NodeLoadView(BaseModel):
    """What a node carries now (its last heartbeat)."""

    rooms: int = Field(description="rooms with at least one connection on the node")
    participants: int = Field(description="joined connections on the node")
    published_streams: int = Field(description="audio and video streams received")
    forwarded_streams: int = Field(description="streams sent to subscribers")
    cpu: float = Field(description="share of one core the process used (1.0 = a core)")


class NodeView(BaseModel):
    """A live node of the deployment."""

    node_id: str
    url: str = Field(description="where clients reach it (a `moved` answer sends them here)")
    ice_hosts: list[str]
    max_rooms: int = Field(description="capacity: no more rooms are placed on it then")
    placed_rooms: int = Field(description="rooms placed on it now")
    draining: bool = Field(description="SIGTERM: it takes no new rooms, moves its calls")
    started_at: float = Field(description="epoch seconds")
    load: NodeLoadView


class NodesView(BaseModel):
    """Answer of ``GET /api/nodes``: the live nodes (lease not lapsed), by id."""

    nodes: list[NodeView]


def node_view(node: Node) -> NodeView:
    load = node.load
    return NodeView(
        node_id=node.node_id, url=node.url, ice_hosts=list(node.ice_hosts),
        max_rooms=node.max_rooms, placed_rooms=node.placed, draining=node.draining,
        started_at=node.started_at,
        load=NodeLoadView(rooms=load.rooms, participants=load.participants,
                          published_streams=load.published, forwarded_streams=load.forwarded,
                          cpu=round(load.cpu, 3)))
