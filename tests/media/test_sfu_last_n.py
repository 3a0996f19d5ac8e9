"""Last-N following the active speaker, end to end in media/ with aiortc peers.

Four publishers send a tone-or-silence (whose RFC 6464 levels the SFU reads) and a
video of a size of their own; a viewer has two video tracks (N = 2 slots, here the
video tracks of two subscriptions). When a publisher speaks, ``Sfu.speakers`` reports
it, :class:`media.last_n.LastN` plans the slot to switch, and the slot's sender
switches source (``switch_source``): the viewer's track shows the speaker's video
without renegotiation, and the viewer never gets more than two videos.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable

from media import Sfu
from media.last_n import LastN
from media.sender import ForwardingSender
from tests.media.peers import (
    LoopbackPeer,
    MovingVideoTrack,
    ReceivedMedia,
    SwitchableTone,
    publish_to,
    start_consuming,
    subscribe_from,
)

SIZES = {"p1": (160, 96), "p2": (192, 112), "p3": (224, 128), "p4": (256, 144)}


async def wait_until(predicate: Callable[[], object], what: str, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, f"no {what} within {timeout} s"
        await asyncio.sleep(0.02)


def has_tracks(viewer: LoopbackPeer, count: int) -> bool:
    return len(viewer.tracks) >= count


def showing(received: ReceivedMedia, publisher: str) -> bool:
    """The last 10 decoded frames are all the publisher's size."""
    recent = received.sizes[-10:]
    return len(recent) == 10 and set(recent) == {SIZES[publisher]}


async def test_the_viewers_two_video_tracks_follow_the_speakers(sfu: Sfu) -> None:
    publishers = list(SIZES)
    tones = {p: SwitchableTone(False) for p in publishers}
    clients = {p: LoopbackPeer() for p in publishers}
    viewers = [LoopbackPeer(), LoopbackPeer()]  # one subscribe connection per slot here
    last_n = LastN(n=2)
    slot_senders: list[ForwardingSender] = []
    switches: list[tuple[int, str | None]] = []

    def follow(group_id: str, speaker: str) -> None:
        plan = last_n.update(sfu.speakers.recent_speakers(group_id), publishers)
        for change in plan.get("viewer", []):
            switches.append((change.slot, change.new))
            sender = slot_senders[change.slot]
            if change.new is None:
                sender.leave_source()
            else:
                sender.switch_source(sfu._fanouts[change.new]["video-0"])

    try:
        for p in publishers:
            await publish_to(sfu, p, clients[p], tones[p], MovingVideoTrack(*SIZES[p], seed=3))
        sfu.speakers.set_group("room", publishers)
        sfu.speakers.on_active_speaker = follow
        last_n.set_subscriber("viewer", slots=2)
        # nobody has spoken: the first two in join order, which the two tracks carry
        assert last_n.update(sfu.speakers.recent_speakers("room"), publishers)["viewer"]
        assert last_n.slots("viewer") == ["p1", "p2"]
        received: list[ReceivedMedia] = []
        for viewer, publisher in zip(viewers, ("p1", "p2"), strict=True):
            subscription_id = await subscribe_from(sfu, "viewer", publisher, viewer)
            senders = sfu._subscriptions[subscription_id].senders
            slot_senders.append(next(s for s in senders if s.kind == "video"))
            await wait_until(functools.partial(has_tracks, viewer, 2), "audio and video")
            received.append(start_consuming(viewer.track("video"))[0])
        await wait_until(lambda: showing(received[0], "p1"), "p1 in slot 0")
        await wait_until(lambda: showing(received[1], "p2"), "p2 in slot 1")

        # p3 speaks: it takes the slot of the lowest ranked shown (p2)
        tones["p3"].speaking = True
        await wait_until(lambda: showing(received[1], "p3"), "p3 in slot 1")
        assert switches == [(1, "p3")]
        assert showing(received[0], "p1")
        tones["p3"].speaking = False

        # p4 speaks: now p1 is the lowest ranked shown
        tones["p4"].speaking = True
        await wait_until(lambda: showing(received[0], "p4"), "p4 in slot 0")
        assert switches == [(1, "p3"), (0, "p4")]
        assert showing(received[1], "p3")
        tones["p4"].speaking = False

        # p3 again: already shown, nothing moves
        tones["p3"].speaking = True
        await wait_until(lambda: sfu.speakers.speaker("room") == "p3", "p3 speaking again")
        assert switches == [(1, "p3"), (0, "p4")]
        # two video tracks all along, never renegotiated
        for viewer in viewers:
            assert [t.kind for t in viewer.tracks].count("video") == 1
            assert viewer.pc.signalingState == "stable"
    finally:
        for peer in [*clients.values(), *viewers]:
            await peer.close()
