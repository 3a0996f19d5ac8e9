"""Last-N video on the subscribe connection: 8 publishers, N = 3, real aiortc peers.

Every participant publishes a pre-encoded video of a width of its own (the subscriber
tells publishers apart by the size it decodes) and audio; only p7's audio is encoded
live from a tone that can fall silent (pre-encoded packets carry no RFC 6464 level, so
the others never speak). Each participant's one subscribe connection carries 3 video
slots (m-lines) and 7 audio m-lines: video from exactly 3 publishers, audio from all.
When p7 speaks its video takes a slot at every other subscriber without an offer (the
offer version stays); a pin beyond N adds a slot, which does need an offer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiortc.mediastreams import MediaStreamTrack

from media import Sfu
from tests.media.encoded import encoded_tracks
from tests.media.peers import LoopbackPeer, SwitchableTone, publish_to
from tests.media.subscribers import SubscriberClient, route_renegotiations

PEERS = [f"p{i}" for i in range(8)]
WIDTHS = {peer: 160 + 32 * i for i, peer in enumerate(PEERS)}  # VP8-friendly, all distinct
HEIGHT = 96
SPEAKER = "p7"
N = 3


async def wait_until(predicate: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, f"no {what} within {timeout} s"
        await asyncio.sleep(0.05)


def video_mids(client: SubscriberClient) -> list[str]:
    return [t.mid for t in client.latest().tracks if t.kind == "video"]


def settled(sfu: Sfu, client: SubscriberClient) -> bool:
    return (
        sfu.subscriber_offer(client.peer_id) is None
        and bool(client.answered)
        and client.answered[-1] == client.latest().version
    )


def showing(client: SubscriberClient, mid: str, publisher: str, frames: int = 5) -> bool:
    """The last ``frames`` frames decoded on ``mid`` are all ``publisher``'s size."""
    received = client.received.get(mid)
    recent = received.sizes[-frames:] if received else []
    return len(recent) == frames and set(recent) == {(WIDTHS[publisher], HEIGHT)}


def shown(client: SubscriberClient) -> dict[str, str | None]:
    """Which publisher each video m-line shows now (by the size of its last frames)."""
    by_size = {(w, HEIGHT): p for p, w in WIDTHS.items()}
    result: dict[str, str | None] = {}
    for mid in video_mids(client):
        received = client.received.get(mid)
        recent = set(received.sizes[-5:]) if received else set()
        result[mid] = by_size.get(recent.pop()) if len(recent) == 1 else None
    return result


async def test_last_n_three_of_eight_follows_the_speaker_without_renegotiation(
    sfu: Sfu,
) -> None:
    clients = {peer: SubscriberClient(sfu, peer) for peer in PEERS}
    route_renegotiations(sfu, clients)
    slot_events: list[tuple[str, tuple[tuple[str, str | None], ...]]] = []

    async def told(peer_id: str, subscription_id: str,
                   slots: tuple[tuple[str, str | None], ...]) -> None:
        slot_events.append((peer_id, slots))

    sfu.on_video_slots = told
    publishers = {peer: LoopbackPeer() for peer in PEERS}
    tone = SwitchableTone(False)
    tracks: dict[str, list[MediaStreamTrack]] = {}
    for index, peer in enumerate(PEERS):  # encoded before anything flows
        audio, video = encoded_tracks(WIDTHS[peer], HEIGHT, seed=index, tone=300 + 50 * index)
        tracks[peer] = [tone if peer == SPEAKER else audio, video]
    sfu.speakers.set_group("room", PEERS)
    sfu.set_last_n("room", n=N)
    try:
        for peer in PEERS:
            await publish_to(sfu, peer, publishers[peer], *tracks[peer])
        for peer in PEERS:
            await clients[peer].open(PEERS)
        await wait_until(lambda: all(settled(sfu, c) for c in clients.values()), "answers")

        # nobody has spoken: the first three others in join order, on 3 video m-lines
        for peer, client in clients.items():
            kinds = [t.kind for t in client.latest().tracks]
            assert kinds.count("video") == N and kinds.count("audio") == 7
            assert client.latest().sdp.count("\r\nm=video") == N
            expected = [p for p in PEERS if p != peer][:N]
            slots = [t for t in client.latest().tracks if t.kind == "video"]
            assert sorted(t.publisher_id or "" for t in slots) == expected
            assert [t.slot for t in slots] == [0, 1, 2]
            heard = {t.publisher_id for t in client.latest().tracks if t.kind == "audio"}
            assert heard == set(PEERS) - {peer}
        for peer, client in clients.items():
            for track in client.latest().tracks:
                if track.kind == "video":
                    await wait_until(lambda c=client, t=track: showing(  # type: ignore[misc]
                        c, t.mid, t.publisher_id or ""), f"{peer}'s {track.publisher_id}")

        # exactly 3 videos grow at every subscriber, every audio grows
        before = {
            peer: {mid: len(r.times) for mid, r in c.received.items()}
            for peer, c in clients.items()
        }

        def grown(peer: str) -> list[str]:
            client = clients[peer]
            kind_of = {t.mid: t.kind for t in client.latest().tracks}
            return sorted(kind_of[mid] for mid, r in client.received.items()
                          if len(r.times) > before[peer].get(mid, 0))

        # waited for rather than slept on: on a loaded machine a shown video can take
        # longer than a second to deliver its next frame; the hidden ones never grow
        for peer in clients:
            await wait_until(lambda p=peer: len(grown(p)) >= 7 + N,  # type: ignore[misc]
                             f"{peer}'s 7 audio and {N} video m-lines growing")
        await asyncio.sleep(0.5)  # a hidden video would have grown by now too
        for peer in clients:
            assert grown(peer) == ["audio"] * 7 + ["video"] * N, peer
        versions = {peer: c.latest().version for peer, c in clients.items()}

        # p7 speaks: its video replaces the lowest ranked shown, with no new offer
        tone.speaking = True
        await wait_until(lambda: sfu.speakers.speaker("room") == SPEAKER, "p7 speaking")
        for peer, client in clients.items():
            if peer == SPEAKER:
                continue
            await wait_until(lambda c=client: SPEAKER in shown(c).values(),  # type: ignore[misc]
                             f"p7's video at {peer}")
            others = [p for p in PEERS if p not in (peer, SPEAKER)]
            assert sorted(p for p in shown(client).values() if p) == sorted(
                [SPEAKER, *others[:N - 1]])
            assert client.latest().version == versions[peer], "renegotiated"
            told_now = [s for p, s in slot_events if p == peer][-1]
            assert sorted(p or "" for _, p in told_now) == sorted([SPEAKER, *others[:N - 1]])
            assert dict(told_now) == shown(client)
        assert clients[SPEAKER].latest().version == versions[SPEAKER]
        # every sender is fed by one fan-out at most, and no video reaches a subscriber twice
        for peer, connection in sfu._subscribers.items():
            mine = {id(t.sender) for t in connection.pc.getTransceivers()}
            feeding = [id(s) for fanouts in sfu._fanouts.values() for f in fanouts.values()
                       for s in f.senders if id(s) in mine]
            assert len(feeding) == len(set(feeding)) == N + 7, peer
        assert not [p for p, _ in slot_events if p == SPEAKER]  # p7's own slots never moved

        # a pin beyond N: a fourth slot, negotiated, carrying p5
        sfu.pin_videos("p0", ["p5"])
        await wait_until(lambda: len(video_mids(clients["p0"])) == N + 1
                         and settled(sfu, clients["p0"]), "a fourth slot")
        fourth = video_mids(clients["p0"])[-1]
        assert clients["p0"].latest().tracks[-1].publisher_id == "p5"
        # a new m-line, so every frame on it came after the pin: one decoded frame of p5's
        # size will do (on a loaded machine the test's 8 clients decode well under 1 fps
        # per m-line, and 5 frames took longer than the wait)
        await wait_until(lambda: showing(clients["p0"], fourth, "p5", frames=1), "p5 pinned")
        assert sfu.stats().decoders_created == 0
    finally:
        for client in clients.values():
            await client.close()
        for publishing in publishers.values():
            await publishing.close()

