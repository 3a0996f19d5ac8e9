"""Renegotiating one subscribe connection: publishers leaving and joining, coalesced
changes, stale answers, and m-lines recycled so the SDP stays bounded.

Real aiortc clients on 127.0.0.1 publishing pre-encoded media (tests/media/encoded.py);
the subscriber decodes what it receives.
"""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from media import MediaError, Sfu
from tests.media.encoded import EncodedTrack, encoded_tracks, opus_packets
from tests.media.peers import (
    LoopbackPeer,
    ReceivedMedia,
    drop_incoming_rtp,
    negotiated_payload_types,
    publish_to,
)
from tests.media.subscribers import SubscriberClient, drain, route_renegotiations

HEIGHT = 96


def max_gap(received: ReceivedMedia, start: float, end: float) -> float:
    """The longest time without a frame between ``start`` and ``end``."""
    times = [start, *received.frames_between(start, end), end]
    return max(b - a for a, b in itertools.pairwise(times))


async def test_a_leave_and_a_join_keep_the_other_tracks_flowing(sfu: Sfu) -> None:
    s = SubscriberClient(sfu, "s")
    route_renegotiations(sfu, {"s": s})
    publishers: dict[str, LoopbackPeer] = {}
    widths = {"a": 160, "b": 192, "c": 224, "d": 256}

    # encoded up front: encoding blocks the event loop, and would show as a gap
    tracks = {
        peer: encoded_tracks(width, HEIGHT, seed=1, tone=440) for peer, width in widths.items()
    }

    async def publish(peer: str) -> None:
        publishers[peer] = LoopbackPeer()
        await publish_to(sfu, peer, publishers[peer], *tracks[peer])

    try:
        for peer in ("a", "b", "c"):
            await publish(peer)
        await s.open(["a", "b", "c", "d"])
        await s.wait_settled({"a", "b", "c"})
        for peer in ("a", "b", "c"):
            await s.wait_frame(s.mid_of(peer, "video"), (widths[peer], HEIGHT))
        a_mids = {kind: s.mid_of("a", kind) for kind in ("audio", "video")}
        first_version = s.latest().version
        before = time.monotonic()
        await asyncio.sleep(0.5)

        # a leaves: its m-lines go inactive, nothing is forwarded on them any more
        await sfu.remove_peer("a")
        await s.wait_settled({"b", "c"})
        inactive = {t.mid for t in s.latest().tracks if t.publisher_id is None}
        assert inactive == set(a_mids.values())
        connection = sfu._subscribers["s"]
        assert set(connection.forwarding()) == {
            (p, t) for p in "bc" for t in ("audio-0", "video-0")
        }

        # d joins: a's m-lines are recycled for it, and its media arrives on them
        await publish("d")
        await s.wait_settled({"b", "c", "d"})
        assert {kind: s.mid_of("d", kind) for kind in ("audio", "video")} == a_mids
        assert s.latest().sdp.count("\r\nm=") == 6
        audio_frames = len(s.received[a_mids["audio"]].times)
        await s.wait_frame(a_mids["video"], (widths["d"], HEIGHT))
        await asyncio.sleep(0.5)
        end = time.monotonic()
        assert len(s.received[a_mids["audio"]].times) > audio_frames + 10

        # b and c never stopped: frames all along, through both renegotiations
        assert s.latest().version == first_version + 2
        for peer in ("b", "c"):
            for kind in ("audio", "video"):
                received = s.media(peer, kind)
                assert max_gap(received, before, end) < 0.5, (peer, kind)
            assert set(s.media(peer, "video").sizes) == {(widths[peer], HEIGHT)}
    finally:
        await s.close()
        for client in publishers.values():
            await client.close()


async def test_changes_during_an_outstanding_offer_are_coalesced_and_stale_answers_refused(
    sfu: Sfu,
) -> None:
    s = SubscriberClient(sfu, "s")
    s.auto_answer = False
    route_renegotiations(sfu, {"s": s})
    publishers: dict[str, LoopbackPeer] = {}

    async def publish(peer: str, tone: float) -> None:
        publishers[peer] = LoopbackPeer()
        await publish_to(sfu, peer, publishers[peer], EncodedTrack("audio", opus_packets(tone)))

    try:
        await s.open(["a", "b", "c"])  # nobody publishes yet: one inactive m-line
        assert s.answered == [1]
        assert [(t.kind, t.publisher_id) for t in s.latest().tracks] == [("audio", None)]

        await publish("a", 300)
        v2 = await asyncio.wait_for(s.pending.get(), 10)
        assert v2.version == 2 and s.publishers() == {"a"}

        # while v2 is outstanding: two more publishers and a change of sources
        await publish("b", 500)
        await publish("c", 700)
        assert await s.set_sources(["a", "b", "c", "x"]) is None
        await drain(sfu)
        assert s.pending.empty()
        outstanding = sfu.subscriber_offer("s")
        assert outstanding is not None and outstanding.version == 2

        answer = await s.peer.answer_offer(v2.sdp)
        for stale in (1, 3, None):
            with pytest.raises(MediaError) as info:
                await sfu.accept_answer(v2.subscription_id, answer, stale)
            assert info.value.code == "stale_answer"
            assert info.value.message
        assert sfu.subscriber_offer("s") == v2  # refused answers changed nothing
        with pytest.raises(MediaError) as info:
            await sfu.accept_answer(v2.subscription_id, "v=0\r\nnonsense", 2)
        assert info.value.code == "invalid_sdp"
        assert sfu.subscriber_offer("s") == v2

        await sfu.accept_answer(v2.subscription_id, answer, 2)
        v3 = await asyncio.wait_for(s.pending.get(), 10)
        await drain(sfu)
        assert s.pending.empty()  # everything since v2 went into this one offer
        assert v3.version == 3 and s.publishers() == {"a", "b", "c"}
        assert s.latest().sdp.count("\r\nm=") == 3
        assert v3.tracks[0].publisher_id == "a"  # the m-lines stay in place

        with pytest.raises(MediaError) as info:  # the answer to v2, once more
            await sfu.accept_answer(v2.subscription_id, answer, 2)
        assert info.value.code == "stale_answer"

        await s.answer(v3)
        await drain(sfu)
        assert s.pending.empty() and sfu.subscriber_offer("s") is None  # nothing more
        for peer in ("a", "b", "c"):
            await asyncio.wait_for(s.media(peer, "audio").first.wait(), 10)

        # nothing outstanding: a change is offered at once, by the call that made it
        v4 = await s.set_sources(["a", "c"])
        assert v4 is not None and v4.version == 4
        assert {t.publisher_id for t in v4.tracks} == {"a", "c", None}
        with pytest.raises(MediaError) as info:
            await sfu.set_sources("nobody", ["a"])
        assert info.value.code == "unknown_subscription"

        # closed by its subscription id (as a failed connection is), it is gone
        await sfu.unsubscribe(v4.subscription_id)
        assert sfu.connection_counts().subscribe == 0
        assert sfu.subscriber_offer("s") is None
        with pytest.raises(MediaError) as info:
            await sfu.accept_answer(v4.subscription_id, answer, 4)
        assert info.value.code == "unknown_subscription"
    finally:
        await s.close()
        for client in publishers.values():
            await client.close()


async def test_recycled_m_lines_keep_the_sdp_bounded_over_ten_joins_and_leaves(
    sfu: Sfu,
) -> None:
    joiners = [f"j{i}" for i in range(10)]
    s = SubscriberClient(sfu, "s")
    route_renegotiations(sfu, {"s": s})
    steady = LoopbackPeer()
    clients = [steady]
    try:
        await publish_to(sfu, "a", steady, *encoded_tracks(320, HEIGHT, seed=1, tone=440))
        await s.open(["a", *joiners])
        await s.wait_settled({"a"})
        await s.wait_frame(s.mid_of("a", "video"), (320, HEIGHT))
        await asyncio.wait_for(s.media("a", "audio").first.wait(), 10)
        # encoded up front: encoding blocks the event loop, and would show as a gap
        widths = [160 + 32 * (index % 4) for index in range(len(joiners))]
        tracks = [encoded_tracks(width, HEIGHT, seed=2, tone=300) for width in widths]
        # ...and a's media flows again before the window opens: on a loaded CI machine
        # the encoding stalled the loop long enough for a's next frames to come 0.56 s
        # into the window (lost packets, then a keyframe), before any renegotiation
        for _ in range(10):
            await s.wait_frame(s.mid_of("a", "video"), (320, HEIGHT))
        start = time.monotonic()
        for index, joiner in enumerate(joiners):
            client = LoopbackPeer()
            clients.append(client)
            width = widths[index]
            await publish_to(sfu, joiner, client, *tracks[index])
            await s.wait_settled({"a", joiner})
            if index in (0, len(joiners) - 1):  # the first and the last joiner are seen
                await s.wait_frame(s.mid_of(joiner, "video"), (width, HEIGHT))
            await sfu.remove_peer(joiner)
            await s.wait_settled({"a"})
            await client.close()
            assert sfu._subscribers["s"].mline_count() == 4
            assert s.latest().sdp.count("\r\nm=") == 4
            assert len(s.peer.pc.getTransceivers()) == 4
        end = time.monotonic()
        assert s.latest().version == 1 + 2 * len(joiners)
        assert max_gap(s.media("a", "video"), start, end) < 0.5
        assert max_gap(s.media("a", "audio"), start, end) < 0.5
    finally:
        await s.close()
        for client in clients:
            await client.close()


async def test_loss_on_the_subscribe_connection_is_repaired_across_a_renegotiation(
    sfu: Sfu,
) -> None:
    s = SubscriberClient(sfu, "s")
    route_renegotiations(sfu, {"s": s})
    a, b = LoopbackPeer(), LoopbackPeer()
    tracks = {"a": encoded_tracks(160, HEIGHT, 1, 440), "b": encoded_tracks(192, HEIGHT, 2, 550)}
    try:
        await publish_to(sfu, "a", a, *tracks["a"])
        await s.open(["a", "b"])
        # 5 % of the video is lost on its way to the subscriber, from now on
        video_types = negotiated_payload_types(s.peer.pc, "video")
        lost = drop_incoming_rtp(s.peer.pc, 0.05, video_types, seed=5)
        await s.wait_frame(s.mid_of("a", "video"), (160, HEIGHT))
        await publish_to(sfu, "b", b, *tracks["b"])  # a new m-line, negotiated under loss
        await s.wait_settled({"a", "b"})
        await s.wait_frame(s.mid_of("b", "video"), (192, HEIGHT))

        start = time.monotonic()
        await asyncio.sleep(3.0)
        end = time.monotonic()
        assert len(lost) >= 5, "the test dropped too few packets to mean anything"
        for peer in ("a", "b"):
            video = s.media(peer, "video")
            assert len(video.frames_between(start, end)) >= 60, peer
            assert max_gap(video, start, end) < 0.5, peer
        answered = sfu.stats().nacks_answered
        assert answered >= len(lost) // 2, (answered, len(lost))
    finally:
        await s.close()
        await a.close()
        await b.close()
