"""Last-N video over Socket.IO: a roundtable's subscribe connections carry video slots.

With N = 2 and four people publishing, each participant's subscribe connection has
two video m-lines (slots) and three audio ones. When someone speaks (a live tone: the
others' pre-encoded audio carries no level) their video moves into a slot at the
others: `video_slots` says which mid now carries whom, no new offer is made, and the
frames of the speaker's size arrive on that mid. `pin_videos` gives a pinned person a
slot of their own (a new slot: a new offer); bad pins are refused with their codes.
"""

from __future__ import annotations

import asyncio
import time
from contextlib import AsyncExitStack
from typing import Any

from rooms.models import Room
from signaling.session import peer_id_for
from tests.live_server import live_server
from tests.media.peers import SwitchableTone

from .subscribing import SubscribingParticipant
from .test_subscribe_connection import connect, roundtable_token

N = 2


def video_tracks(who: SubscribingParticipant) -> list[dict[str, Any]]:
    return [t for t in who.offers[-1]["tracks"] if t["kind"] == "video"]


async def frames_of(who: SubscribingParticipant, mid: str, other: SubscribingParticipant,
                    timeout: float = 20.0) -> None:
    """Until 5 new frames of ``other``'s size arrive on ``mid``."""
    received = who.received[mid]
    seen = len(received.sizes)
    async with asyncio.timeout(timeout):
        while received.sizes[seen:].count(other.size) < 5:  # noqa: ASYNC110 (frames)
            await asyncio.sleep(0.05)


async def test_video_slots_follow_the_speaker_and_pins_add_a_slot() -> None:
    async with live_server(last_n=N) as server, AsyncExitStack() as stack:
        room = Room.roundtable("round-last-n", capacity=6, duration_s=600, now=time.time())
        await server.services.store.create_room(room)
        people = [await connect(server, stack, seed) for seed in range(1, 5)]
        tone = SwitchableTone(False)
        for index, who in enumerate(people):
            await who.join(roundtable_token(server, room.room_id, f"p{index}"))
            await who.publish(tone if index == 3 else None)
        speaker = people[3]
        for who in people:
            others = [p.identity for p in people if p is not who]
            await who.wait_carrying(set(others))
            videos = video_tracks(who)
            assert [t["slot"] for t in videos] == list(range(N)), videos
            assert {t["identity"] for t in videos} == set(others[:N])
            audio = [t for t in who.offers[-1]["tracks"] if t["kind"] == "audio"]
            assert {t["identity"] for t in audio} == set(others)
            assert who.offers[-1]["sdp"].count("m=video") == N
        versions = [who.offers[-1]["version"] for who in people]

        tone.speaking = True
        told: dict[str, dict[str, str | None]] = {}
        for who, version in zip(people[:3], versions[:3], strict=True):
            event = await who.signal.next_event("video_slots", timeout=20)
            assert event["subscription_id"] == who.subscription_id
            slots = told[who.identity] = {s["mid"]: s["identity"] for s in event["slots"]}
            assert speaker.identity in slots.values()
            assert set(slots) == {t["mid"] for t in video_tracks(who)}
            mid = next(m for m, i in slots.items() if i == speaker.identity)
            await frames_of(who, mid, speaker)
            assert who.offers[-1]["version"] == version  # switched, not renegotiated

        # p0 pins p2, who has no slot there (p3 spoke, p1 is first in join order)
        pinner, pinned = people[0], people[2]
        assert set(told[pinner.identity].values()) == {people[1].identity, speaker.identity}
        ack = await pinner.signal.call("pin_videos", {"identities": [pinned.identity]})
        assert ack == {"ok": True, "pinned": [pinned.identity], "last_n": N}
        async with asyncio.timeout(20):
            while (  # noqa: ASYNC110 (offers arrive as events)
                len(video_tracks(pinner)) < N + 1
                or pinner.answered[-1] != pinner.offers[-1]["version"]
            ):
                await asyncio.sleep(0.05)
        third = video_tracks(pinner)[-1]
        assert third["identity"] == pinned.identity and third["slot"] == N
        await frames_of(pinner, third["mid"], pinned)

        # bad pins: too many, not a list, not in the room, an unknown field
        for bad, code in (
            ({"identities": ["a", "b", "c", "d", "e"]}, "invalid_payload"),
            ({"identities": "p1"}, "invalid_payload"),
            ({"identities": [""]}, "invalid_payload"),
            ({"identities": ["p1"], "slot": 0}, "invalid_payload"),
            ({}, "invalid_payload"),
            ({"identities": ["nobody"]}, "not_in_room"),
        ):
            refused = await pinner.signal.call("pin_videos", bad)
            assert refused["error"]["code"] == code, (bad, refused)
        pins = server.services.sfu.pinned_videos(peer_id_for(room.room_id, "p0"))
        assert pins == {peer_id_for(room.room_id, "p2")}
