"""Roundtable controls that reach media: hard mute and active speaker, with real aiortc
clients over loopback and Socket.IO."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from tests.live_server import live_server
from tests.media.peers import LoopbackPeer, ReceivedMedia, SwitchableTone

from .client import SignalClient
from .participant import Participant
from .roundtable import Member, create_roundtable


async def grows(received: ReceivedMedia, within: float = 10.0) -> None:
    """Wait until ``received`` gets at least a few more frames."""
    count = len(received.times)
    async with asyncio.timeout(within):
        while len(received.times) < count + 5:  # noqa: ASYNC110 (frames set no event)
            await asyncio.sleep(0.05)


async def stays_still(received: ReceivedMedia, settle: float = 0.7,
                      watch: float = 1.5) -> None:
    """Once what was in flight has arrived, no frame arrives any more."""
    await asyncio.sleep(settle)
    count = len(received.times)
    await asyncio.sleep(watch)
    assert len(received.times) == count, f"{len(received.times) - count} more frames"


async def test_a_hard_mute_stops_the_track_at_every_subscriber_until_a_host_lifts_it() -> None:
    async with live_server() as server:
        room = await create_roundtable(server.base_url, [("Pat", "participant"),
                                                         ("Ann", "participant"),
                                                         ("Bob", "observer")])
        host = Participant("host", await SignalClient().connect(server.base_url))
        speaker = Participant("Pat", await SignalClient().connect(server.base_url))
        listeners = [Participant(n, await SignalClient().connect(server.base_url))
                     for n in ("Ann", "Bob")]
        everyone = [host, speaker, *listeners]
        try:
            for who in everyone:
                await who.join(room["tokens"][who.name])
            await speaker.publish()
            for who in (host, *listeners):
                await who.subscribe(speaker.identity)
            subscribers = (host, *listeners)
            for who in subscribers:
                await grows(who.received["audio"])
                await grows(who.received["video"])

            hard = {"identity": speaker.identity, "kind": "audio", "muted": True}
            assert await host.signal.call("hard_mute", hard) == {"ok": True}
            told = await speaker.signal.next_event("hard_muted")
            assert told["kind"] == "audio" and told["muted"] is True
            await asyncio.gather(*(stays_still(w.received["audio"]) for w in subscribers))
            for who in subscribers:  # the other kind flows on
                await grows(who.received["video"])
            refused = await speaker.signal.call("mute", {"kind": "audio", "muted": False})
            assert refused["error"]["code"] == "hard_muted"
            refused = await speaker.signal.call("hard_mute", hard | {"muted": False})
            assert refused["error"]["code"] == "not_host"
            # a re-publish (a new publish connection) does not escape it
            old, speaker.publisher = speaker.publisher, LoopbackPeer()
            await speaker.publish()
            await old.close()
            await asyncio.gather(*(stays_still(w.received["audio"]) for w in subscribers))

            assert await host.signal.call("hard_mute", hard | {"muted": False}) == {"ok": True}
            told = await speaker.signal.next_event("hard_muted")
            assert told["muted"] is False
            for who in subscribers:
                await grows(who.received["audio"])
        finally:
            for who in everyone:
                await who.close()


async def publish_audio(member: Member, track: SwitchableTone) -> LoopbackPeer:
    peer = LoopbackPeer()
    offer = await peer.offer_to_publish(track)
    ack = await member.call("publish", {"sdp": offer})
    assert ack["ok"], ack
    await peer.accept_answer(ack["sdp"])
    return peer


async def test_active_speaker_follows_the_louder_publisher() -> None:
    async with live_server() as server:
        room = await create_roundtable(server.base_url, [("Ann", "participant"),
                                                         ("Bob", "participant"),
                                                         ("Cy", "observer")])
        host, ann, bob = [await Member.connect(server.base_url) for _ in range(3)]
        peers: list[LoopbackPeer] = []
        try:
            await host.join(room["tokens"]["host"])
            await ann.join(room["tokens"]["Ann"])
            await bob.join(room["tokens"]["Bob"])
            tones = {"ann": SwitchableTone(True), "bob": SwitchableTone(False)}
            peers.append(await publish_audio(ann, tones["ann"]))
            peers.append(await publish_audio(bob, tones["bob"]))

            def speaker_is(identity: str) -> Callable[[dict[str, str]], bool]:
                return lambda event: event["identity"] == identity

            await host.event_where("active_speaker", speaker_is(ann.identity), 15)
            # someone joining now is told who speaks (active_speaker only tells changes)
            late = await Member.connect(server.base_url)
            try:
                assert (await late.join(room["tokens"]["Cy"]))["speaker"] == ann.identity
            finally:
                await late.close()
            tones["ann"].speaking, tones["bob"].speaking = False, True
            await host.event_where("active_speaker", speaker_is(bob.identity), 15)
            # a hard-muted microphone cannot take the floor
            await host.ok("hard_mute", {"identity": bob.identity, "kind": "audio",
                                        "muted": True})
            tones["ann"].speaking = True
            await host.event_where("active_speaker", speaker_is(ann.identity), 15)
            tones["ann"].speaking = False
            await asyncio.sleep(1.5)
            changes = [d for e, d in host.signal.drain() if e == "active_speaker"]
            assert all(d["identity"] == ann.identity for d in changes), changes
        finally:
            for peer in peers:
                await peer.close()
            for member in (host, ann, bob):
                await member.close()
