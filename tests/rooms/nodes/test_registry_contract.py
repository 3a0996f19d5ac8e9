"""The node registry contract, run against both implementations (real redis-server)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter

from rooms.clock import ManualClock
from rooms.nodes.model import Node, NodeLoad
from rooms.nodes.registry import NodeRegistry
from tests.rooms.builders import START

LEASE_S = 3.0
ROOM_TTL_S = 3600.0


def node(name: str, max_rooms: int = 100, **load: float) -> Node:
    return Node(node_id=name, url=f"http://{name}.test", max_rooms=max_rooms,
                ice_hosts=("127.0.0.1",), load=NodeLoad(**load),  # type: ignore[arg-type]
                started_at=START)


async def register(registry: NodeRegistry, *nodes: Node) -> None:
    for each in nodes:
        await registry.heartbeat(each, LEASE_S)


async def test_a_heartbeat_registers_a_node_until_its_lease_lapses(
        registry: NodeRegistry, clock: ManualClock) -> None:
    await register(registry, node("a", published=2, forwarded=3, cpu=0.25, rooms=1))
    [seen] = await registry.nodes()
    assert seen == dataclasses.replace(node("a", published=2, forwarded=3, cpu=0.25, rooms=1))
    clock.advance(LEASE_S - 0.1)
    assert [n.node_id for n in await registry.nodes()] == ["a"]
    clock.advance(0.2)
    assert await registry.nodes() == []


async def test_a_node_that_leaves_is_gone_at_once(registry: NodeRegistry) -> None:
    await register(registry, node("a"), node("b"))
    await registry.leave("a")
    assert [n.node_id for n in await registry.nodes()] == ["b"]


async def test_first_joins_spread_over_the_nodes_by_placed_rooms(
        registry: NodeRegistry) -> None:
    await register(registry, node("a"), node("b"), node("c"))
    placements = [await registry.place(f"room-{i}", ROOM_TTL_S) for i in range(20)]
    counts = Counter(p.node_id for p in placements if p is not None)
    assert sorted(counts.values()) == [6, 7, 7]
    assert {n.node_id: n.placed for n in await registry.nodes()} == counts


async def test_capacity_is_a_share_of_max_rooms_and_a_full_node_takes_no_more(
        registry: NodeRegistry) -> None:
    await register(registry, node("small", max_rooms=1), node("big", max_rooms=4))
    placed = [await registry.place(f"room-{i}", ROOM_TTL_S) for i in range(5)]
    assert Counter(p.node_id for p in placed if p is not None) == {"small": 1, "big": 4}
    assert await registry.place("room-6", ROOM_TTL_S) is None


async def test_streams_then_cpu_break_ties(registry: NodeRegistry) -> None:
    await register(registry, node("a", published=4), node("b", published=1, cpu=0.9),
                   node("c", published=1, cpu=0.1))
    first = await registry.place("room-1", ROOM_TTL_S)
    assert first is not None and first.node_id == "c"


async def test_a_room_keeps_its_node_whoever_asks(registry: NodeRegistry) -> None:
    await register(registry, node("a"), node("b"))
    first = await registry.place("room-1", ROOM_TTL_S)
    assert first is not None and not first.moved
    for _ in range(3):
        assert await registry.place("room-1", ROOM_TTL_S) == first
    assert await registry.placement("room-1") == first.node_id


async def test_a_room_of_a_lapsed_node_is_placed_again_once(
        registry: NodeRegistry, clock: ManualClock) -> None:
    await register(registry, node("a"), node("b"))
    first = await registry.place("room-1", ROOM_TTL_S)
    assert first is not None
    survivor = "b" if first.node_id == "a" else "a"
    clock.advance(LEASE_S / 2)
    await register(registry, node(survivor))
    clock.advance(LEASE_S / 2 + 0.1)  # the first node's lease lapsed
    again = await registry.place("room-1", ROOM_TTL_S)
    assert again is not None and (again.node_id, again.url, again.moved) == (
        survivor, f"http://{survivor}.test", True)
    assert await registry.place("room-1", ROOM_TTL_S) == dataclasses.replace(again, moved=False)


async def test_a_draining_node_takes_no_rooms_and_its_rooms_move(
        registry: NodeRegistry) -> None:
    await register(registry, node("a"), node("b"))
    first = await registry.place("room-1", ROOM_TTL_S)
    assert first is not None
    other = "b" if first.node_id == "a" else "a"
    await registry.set_draining(first.node_id)
    await register(registry, node(first.node_id))  # a heartbeat does not undo draining
    assert {n.node_id: n.draining for n in await registry.nodes()} == {
        first.node_id: True, other: False}
    moved = await registry.place("room-1", ROOM_TTL_S)
    assert moved is not None and (moved.node_id, moved.moved) == (other, True)
    fresh = await registry.place("room-2", ROOM_TTL_S)
    assert fresh is not None and fresh.node_id == other


async def test_a_draining_node_keeps_its_room_when_nobody_else_can_take_it(
        registry: NodeRegistry) -> None:
    await register(registry, node("a"))
    assert await registry.place("room-1", ROOM_TTL_S) is not None
    await registry.set_draining("a")
    kept = await registry.place("room-1", ROOM_TTL_S)
    assert kept is not None and kept.node_id == "a"
    assert await registry.place("room-2", ROOM_TTL_S) is None


async def test_no_live_node_places_nothing(registry: NodeRegistry) -> None:
    assert await registry.place("room-1", ROOM_TTL_S) is None
    assert await registry.placement("room-1") is None


async def test_a_placement_ends_with_its_room_or_its_release(
        registry: NodeRegistry, clock: ManualClock) -> None:
    await register(registry, node("a", max_rooms=2))
    await registry.place("room-1", 10)
    await registry.place("room-2", ROOM_TTL_S)
    assert [n.placed for n in await registry.nodes()] == [2]
    await registry.release("room-2", "someone-else")  # not theirs: nothing
    assert await registry.placement("room-2") == "a"
    await registry.release("room-2", "a")
    assert await registry.placement("room-2") is None
    clock.advance(11)
    await register(registry, node("a", max_rooms=2))
    assert [n.placed for n in await registry.nodes()] == [0]


async def test_concurrent_first_joins_agree_on_one_node(registry: NodeRegistry) -> None:
    await register(registry, node("a"), node("b"), node("c"))
    answers = await asyncio.gather(*(registry.place("room-1", ROOM_TTL_S) for _ in range(10)))
    assert len({a.node_id for a in answers if a is not None}) == 1
    assert sum(n.placed for n in await registry.nodes()) == 1
