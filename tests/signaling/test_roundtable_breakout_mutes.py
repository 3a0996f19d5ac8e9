"""A roundtable's hard mutes hold in its pair rooms while a breakout runs, and after.

The roundtable's state keeps the hard mutes (the one truth); each pair room's state
follows it while the breakout runs. Without that, a host's hard mute (or mute all) in
the roundtable never reached someone already in a pair room: not told, their track
still forwarded to their partner, and they could turn it back on; a visiting host's
hard mute in a pair room was lost when the pair came back.
"""

from __future__ import annotations

from typing import Any

from tests.live_server import live_server
from tests.signaling.test_roundtable_media import grows, stays_still

from .roundtable import create_roundtable
from .subscribing import SubscribingParticipant
from .test_roundtable_breakout import connect, everyone_sees_everyone, in_pairs, move

NAMES = ("Ann", "Bob")


async def told(person: SubscribingParticipant, kind: str, muted: bool) -> None:
    event: dict[str, Any] = await person.signal.next_event("hard_muted")
    assert (event["kind"], event["muted"]) == (kind, muted), event


async def video_stopped(viewer: SubscribingParticipant, identity: str) -> None:
    """``identity``'s video no longer reaches ``viewer``: with last-N no video slot of
    the latest offer carries it any more, or the slot that did receives nothing."""
    mids = [t["mid"] for t in viewer.offers[-1]["tracks"]
            if t["identity"] == identity and t["kind"] == "video"]
    for mid in mids:
        await stays_still(viewer.received[mid])


async def refused_to_unmute(person: SubscribingParticipant, kind: str) -> None:
    ack = await person.signal.call("mute", {"kind": kind, "muted": False})
    assert ack["error"]["code"] == "hard_muted", ack


async def test_hard_mutes_of_the_roundtable_hold_in_its_pair_rooms_and_after() -> None:
    async with live_server() as server:
        room = await create_roundtable(server.base_url, [(n, "participant") for n in NAMES])
        host = await connect(server.base_url, 1)
        people = {n: await connect(server.base_url, k + 2) for k, n in enumerate(NAMES)}
        ann, bob = people["Ann"], people["Bob"]
        visitor = await connect(server.base_url, 7)
        try:
            for who, person in (("host", host), *people.items()):
                await person.join(room["tokens"][who])
                await person.publish()
            await everyone_sees_everyone([host, ann, bob])
            pairs = [[ann.identity, bob.identity]]
            ack = await host.signal.call("start_breakout", {"minutes": 5, "pairs": pairs})
            assert ack["ok"], ack
            rooms = await in_pairs(people, [("Ann", "Bob")])

            # the host, in the roundtable, hard-mutes Ann's microphone: it stops in the pair
            mute = {"identity": ann.identity, "kind": "audio", "muted": True}
            assert await host.signal.call("hard_mute", mute) == {"ok": True}
            await told(ann, "audio", True)
            await stays_still(bob.media(ann.identity, "audio"))
            await grows(bob.media(ann.identity, "video"))
            await grows(ann.media(bob.identity, "audio"))
            await refused_to_unmute(ann, "audio")

            # mute all, from the roundtable, reaches both in their pair room
            assert await host.signal.call("mute_all", {"kind": "video"}) == {"ok": True}
            for person in (ann, bob):
                await told(person, "video", True)
                await refused_to_unmute(person, "video")
            await video_stopped(ann, bob.identity)

            # a host visiting the pair hard-mutes Bob's microphone there
            visit = await host.signal.call("visit_breakout", {"room_id": rooms["Ann"]})
            assert visit["ok"], visit
            await visitor.join(visit["token"])
            mute = {"identity": bob.identity, "kind": "audio", "muted": True}
            assert await visitor.signal.call("hard_mute", mute) == {"ok": True}
            await told(bob, "audio", True)
            await stays_still(ann.media(bob.identity, "audio"))
            assert await visitor.signal.call("leave", {}) == {"ok": True}

            # back in the roundtable, every one of these mutes still holds
            assert await host.signal.call("end_breakout", {}) == {"ok": True}
            for person in (ann, bob):
                ended = await person.signal.next_event("breakout_ended")
                await move(person, ended["token"])
            await host.wait_carrying({ann.identity, bob.identity})
            for person in (ann, bob):
                await stays_still(host.media(person.identity, "audio"))
                await video_stopped(host, person.identity)
                for kind in ("audio", "video"):
                    await refused_to_unmute(person, kind)
            # and a host lifts one: it flows again
            lift = {"identity": ann.identity, "kind": "audio", "muted": False}
            assert await host.signal.call("hard_mute", lift) == {"ok": True}
            await grows(host.media(ann.identity, "audio"))
        finally:
            for person in (host, visitor, *people.values()):
                await person.close()
                await person.signal.close()
