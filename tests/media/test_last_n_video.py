"""LastNVideo: which publisher each subscribe connection's video slots carry.

Real :class:`SubscriberConnection` objects (never negotiated: only their slot mapping
is read) in a real :class:`ActiveSpeakers` group; which peers publish video is a set
the test changes. Media flow over these slots is tests/media/test_sfu_last_n_slots.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from media.active_speaker import ActiveSpeakers
from media.config import MediaConfig
from media.last_n_video import LastNVideo
from media.peer import ForwardingPeerConnection
from media.subscriber import SubscriberConnection

PEERS = ["a", "b", "c", "d", "e"]


class Room:
    def __init__(self) -> None:
        self.speakers = ActiveSpeakers()
        self.speakers.set_group("room", PEERS)
        self.video = set(PEERS)
        self.connections = {
            p: SubscriberConnection(f"s-{p}", p, ForwardingPeerConnection(MediaConfig()),
                                    lambda _: [])
            for p in PEERS
        }
        self.notified: list[str] = []
        self.last_n = LastNVideo(self.speakers, self.connections, self.video.__contains__,
                                 lambda c: self.notified.append(c.peer_id))
        self.speakers.on_speaker_order = self.last_n.update  # as the Sfu wires it
        self.now = 0.0

    def slots(self, peer: str) -> list[str | None] | None:
        return self.connections[peer].video_slots

    def speak(self, peer: str) -> None:
        """``peer`` talks (loud audio levels) for a second; the others are silent."""
        for _ in range(50):
            self.now += 0.02
            for other in PEERS:
                self.speakers.feed(other, -20.0 if other == peer else -127.0, False, self.now)


@pytest.fixture
async def room() -> AsyncIterator[Room]:
    made = Room()
    yield made
    for connection in made.connections.values():
        await connection.pc.close()


async def test_with_n_or_fewer_video_publishers_each_has_a_slot(room: Room) -> None:
    room.last_n.set_group("room", 4)
    for peer in PEERS:
        assert sorted(p or "" for p in room.slots(peer) or []) == [p for p in PEERS if p != peer]
    assert room.last_n.enabled("room") == 4


async def test_a_speaker_takes_the_slot_of_the_lowest_ranked_and_nothing_else_moves(
    room: Room,
) -> None:
    room.last_n.set_group("room", 2)
    assert room.slots("a") == ["b", "c"]  # nobody spoke: join order
    room.notified.clear()
    room.speak("e")
    assert room.slots("a") == ["b", "e"]  # c was ranked lowest of those shown
    assert room.slots("e") == ["a", "b"]  # e's own slots do not change
    assert sorted(room.notified) == ["a", "b", "c", "d"]
    assert room.speakers.speaker("room") == "e"
    room.notified.clear()
    room.speak("e")  # still e: nothing changes, nothing to tell
    room.last_n.update("room")
    assert room.notified == []


async def test_pins_add_slots_that_never_shrink_and_stopped_video_gives_its_slot_up(
    room: Room,
) -> None:
    room.last_n.set_group("room", 2)
    room.last_n.pin("a", ["e", "d", "a"])  # its own id is ignored
    assert sorted(p or "" for p in room.slots("a") or []) == ["b", "c", "d", "e"]
    room.last_n.pin("a", [])
    assert room.slots("a") == ["b", "c", None, None]  # slots stay, empty
    room.video.discard("b")  # b's camera stops (or is hard-muted)
    room.last_n.update_all()
    assert sorted(p or "" for p in room.slots("a") or []) == ["", "", "c", "d"]
    assert room.slots("a") is not None and len(room.slots("a") or []) == 4


async def test_turning_last_n_off_gives_every_connection_its_video_m_lines_back(
    room: Room,
) -> None:
    room.last_n.set_group("room", 2)
    room.notified.clear()
    room.last_n.set_group("room", None)
    assert all(room.slots(p) is None for p in PEERS)
    assert sorted(room.notified) == PEERS
    assert room.last_n.enabled("room") is None
