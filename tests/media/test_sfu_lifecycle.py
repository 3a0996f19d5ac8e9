"""The Sfu API around the call: errors, audio-only, re-publish, removal, failure hook."""

from __future__ import annotations

import asyncio
import time

import pytest

from media import MediaConfig, MediaError, Sfu
from tests.media.peers import (
    LoopbackPeer,
    MovingVideoTrack,
    ToneAudioTrack,
    codec_capability,
    publish_to,
    start_consuming,
    subscribe_from,
)


async def test_garbage_is_invalid_sdp(sfu: Sfu) -> None:
    for garbage in ("", "hello", "v=0\r\ns=-\r\n"):
        with pytest.raises(MediaError) as info:
            await sfu.publish("a", garbage)
        assert info.value.code == "invalid_sdp"
        assert info.value.message


async def test_an_offer_without_vp8_is_unsupported(sfu: Sfu) -> None:
    client = LoopbackPeer()
    try:
        offer = await client.offer_to_publish(
            MovingVideoTrack(), codecs={"video": codec_capability("video", "video/H264")}
        )
        with pytest.raises(MediaError) as info:
            await sfu.publish("a", offer)
        assert info.value.code == "unsupported_codec"
        assert sfu.published_tracks("a") == []
    finally:
        await client.close()


async def test_an_offer_that_sends_nothing_is_invalid(sfu: Sfu) -> None:
    client = LoopbackPeer()
    try:
        client.pc.addTransceiver("video", direction="recvonly")
        offer = await client.offer_to_publish()
        with pytest.raises(MediaError) as info:
            await sfu.publish("a", offer)
        assert info.value.code == "invalid_sdp"
    finally:
        await client.close()


async def test_subscribing_to_nobody_and_unknown_subscriptions(sfu: Sfu) -> None:
    with pytest.raises(MediaError) as info:
        await sfu.subscribe("b", "a")
    assert info.value.code == "not_published"
    with pytest.raises(MediaError) as info:
        await sfu.accept_answer("no-such-id", "v=0\r\n")
    assert info.value.code == "unknown_subscription"
    await sfu.unsubscribe("no-such-id")  # a no-op, so callers can clean up freely


async def test_audio_only_publish_and_answer_errors(sfu: Sfu) -> None:
    publisher, subscriber = LoopbackPeer(), LoopbackPeer()
    try:
        await publish_to(sfu, "a", publisher, ToneAudioTrack())
        assert [(t.kind, t.track_id) for t in sfu.published_tracks("a")] == [("audio", "audio-0")]
        subscription_id, offer = await sfu.subscribe("b", "a")
        assert "m=audio" in offer and "m=video" not in offer
        with pytest.raises(MediaError) as info:
            await sfu.accept_answer(subscription_id, "nonsense")
        assert info.value.code == "invalid_sdp"
        answer = await subscriber.answer_offer(offer)
        await sfu.accept_answer(subscription_id, answer)
        with pytest.raises(MediaError) as info:
            await sfu.accept_answer(subscription_id, answer)
        assert info.value.code == "invalid_sdp"
        heard, _ = start_consuming(subscriber.track("audio"))
        await asyncio.wait_for(heard.first.wait(), 15)
        await sfu.unsubscribe(subscription_id)
        await sfu.unsubscribe(subscription_id)
        assert sfu._connections() and len(sfu._connections()) == 1
    finally:
        await publisher.close()
        await subscriber.close()


async def test_republish_keeps_subscribers_watching(sfu: Sfu) -> None:
    first, second, viewer = LoopbackPeer(), LoopbackPeer(), LoopbackPeer()
    failed: list[str] = []

    async def on_failed(peer_id: str, connection: str) -> None:
        failed.append(peer_id)

    sfu.on_peer_failed = on_failed
    try:
        await publish_to(sfu, "a", first, MovingVideoTrack(seed=1))
        await subscribe_from(sfu, "b", "a", viewer)
        seen, _ = start_consuming(viewer.track("video"))
        await asyncio.wait_for(seen.first.wait(), 15)
        old_pc = sfu._connections()[0]

        # the same peer publishes again from a new connection (e.g. a camera switch)
        await publish_to(sfu, "a", second, MovingVideoTrack(seed=2))
        assert old_pc.connectionState == "closed"
        switched = time.monotonic()
        await asyncio.sleep(2.0)
        frames = seen.frames_between(switched + 0.5, switched + 2.0)
        assert len(frames) >= 30, f"{len(frames)} frames after the re-publish"
        assert [t.track_id for t in sfu.published_tracks("a")] == ["video-0"]
        assert failed == []  # replacing a connection is not a failure
    finally:
        for client in (first, second, viewer):
            await client.close()


async def test_a_late_viewer_gets_a_keyframe_at_once(sfu: Sfu) -> None:
    publisher, early, late = LoopbackPeer(), LoopbackPeer(), LoopbackPeer()
    plis: list[float] = []
    try:
        offer = await publisher.offer_to_publish(MovingVideoTrack())
        sender = publisher.pc.getSenders()[0]
        request_keyframe = sender._send_keyframe

        def counted() -> None:
            plis.append(time.monotonic())
            request_keyframe()

        sender._send_keyframe = counted  # type: ignore[method-assign]
        await publisher.accept_answer(await sfu.publish("a", offer))
        await subscribe_from(sfu, "b", "a", early)
        seen_early, _ = start_consuming(early.track("video"))
        await asyncio.wait_for(seen_early.first.wait(), 15)
        await asyncio.sleep(1.5)  # long past the publisher's first keyframe

        joined = time.monotonic()
        await subscribe_from(sfu, "c", "a", late)
        seen_late, _ = start_consuming(late.track("video"))
        await asyncio.wait_for(seen_late.first.wait(), 15)
        assert seen_late.times[0] - joined < 2.0
        assert [t for t in plis if t >= joined], "no keyframe request reached the publisher"
        assert sfu.stats().keyframe_requests_sent >= 1
    finally:
        for client in (publisher, early, late):
            await client.close()


async def test_remove_peer_closes_everything_of_it(sfu: Sfu) -> None:
    a, b_pub, b_sub = LoopbackPeer(), LoopbackPeer(), LoopbackPeer()
    try:
        await publish_to(sfu, "a", a, ToneAudioTrack())
        await publish_to(sfu, "b", b_pub, ToneAudioTrack())
        await subscribe_from(sfu, "b", "a", b_sub)
        assert len(sfu._connections()) == 3
        await sfu.remove_peer("a")
        assert sfu.published_tracks("a") == []
        assert len(sfu._connections()) == 1  # b's publisher connection only
        with pytest.raises(MediaError):
            await sfu.subscribe("b", "a")
        await sfu.remove_peer("b")
        assert sfu._connections() == []
        await sfu.remove_peer("nobody")
    finally:
        for client in (a, b_pub, b_sub):
            await client.close()


async def test_a_peer_closing_its_connection_is_reported(sfu: Sfu) -> None:
    client = LoopbackPeer()
    reported = asyncio.Event()
    peers: list[tuple[str, str]] = []

    async def on_failed(peer_id: str, connection: str) -> None:
        peers.append((peer_id, connection))
        reported.set()

    sfu.on_peer_failed = on_failed
    await publish_to(sfu, "a", client, ToneAudioTrack())
    await client.wait_connected()
    await client.close()
    await asyncio.wait_for(reported.wait(), 10)
    assert peers == [("a", "publish")]


async def test_an_unusable_address_fails_clearly() -> None:
    sfu = Sfu(MediaConfig(ice_host_addresses=("192.0.2.1",)))  # TEST-NET-1: not local
    client = LoopbackPeer()
    try:
        offer = await client.offer_to_publish(ToneAudioTrack())
        with pytest.raises(MediaError) as info:
            await sfu.publish("a", offer)
        assert info.value.code == "media_failed"
        assert sfu.published_tracks("a") == []
    finally:
        await client.close()
        await sfu.close()
