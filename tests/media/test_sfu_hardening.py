"""What a hostile or careless client cannot do to the SFU: extra m-lines, error text."""

from __future__ import annotations

import logging

import pytest
from aiortc import RTCPeerConnection
from aiortc import sdp as aiortc_sdp
from aiortc.exceptions import OperationError

from media import MediaError, Sfu
from media.peer import ForwardingPeerConnection
from media.sdp import inspect_offer, parse_description
from tests.media.peers import LoopbackPeer, MovingVideoTrack, ToneAudioTrack, publish_to


async def test_at_most_one_audio_and_one_video_m_line_is_published(sfu: Sfu) -> None:
    for tracks in (
        (MovingVideoTrack(seed=1), MovingVideoTrack(seed=2)),
        (ToneAudioTrack(), ToneAudioTrack(frequency=660.0), MovingVideoTrack()),
    ):
        client = LoopbackPeer()
        try:
            offer = await client.offer_to_publish(*tracks)
            with pytest.raises(MediaError) as info:
                inspect_offer(offer)
            assert info.value.code == "invalid_sdp"
            assert "at most one" in info.value.message
            with pytest.raises(MediaError) as info:
                await sfu.publish("a", offer)
            assert info.value.code == "invalid_sdp"
            assert sfu.published_tracks("a") == []
            assert sfu._connections() == []
        finally:
            await client.close()


async def test_one_audio_and_one_video_m_line_are_accepted() -> None:
    client = LoopbackPeer()
    try:
        offer = await client.offer_to_publish(ToneAudioTrack(), MovingVideoTrack())
        assert [m.kind for m in inspect_offer(offer)] == ["audio", "video"]
    finally:
        await client.close()


SECRET = "/opt/internal/aiortc/secret-detail.py:42"


@pytest.mark.parametrize(
    ("failure", "code"),
    [(OperationError(SECRET), "unsupported_codec"), (ValueError(SECRET), "invalid_sdp")],
)
async def test_aiortc_errors_are_logged_not_sent(
    sfu: Sfu,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    failure: Exception,
    code: str,
) -> None:
    async def refuse(self: ForwardingPeerConnection, sdp: str, kind: str) -> None:
        raise failure

    monkeypatch.setattr(ForwardingPeerConnection, "apply_remote", refuse)
    client = LoopbackPeer()
    try:
        offer = await client.offer_to_publish(ToneAudioTrack())
        with caplog.at_level(logging.INFO, logger="media"), pytest.raises(MediaError) as info:
            await sfu.publish("a", offer)
        assert info.value.code == code
        assert SECRET not in str(info.value) and SECRET not in info.value.message
        assert info.value.message.endswith(".")
        assert SECRET in caplog.text
    finally:
        await client.close()


async def test_a_local_description_failure_is_logged_not_sent(
    sfu: Sfu, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def fail(self: RTCPeerConnection, description: object) -> None:
        raise RuntimeError(SECRET)

    client = LoopbackPeer()
    try:
        offer = await client.offer_to_publish(ToneAudioTrack())
        monkeypatch.setattr(RTCPeerConnection, "setLocalDescription", fail)
        with caplog.at_level(logging.INFO, logger="media"), pytest.raises(MediaError) as info:
            await sfu.publish("a", offer)
        assert info.value.code == "media_failed"
        assert SECRET not in str(info.value)
        assert SECRET in caplog.text
    finally:
        await client.close()


def test_an_unreadable_description_is_logged_not_sent(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def fail(text: str) -> object:
        raise ValueError(SECRET)

    monkeypatch.setattr(aiortc_sdp.SessionDescription, "parse", fail)
    with caplog.at_level(logging.INFO, logger="media"), pytest.raises(MediaError) as info:
        parse_description("v=0\r\n")
    assert info.value.code == "invalid_sdp"
    assert SECRET not in str(info.value)
    assert SECRET in caplog.text


async def test_a_closed_subscription_leaves_the_fanouts_even_if_closing_fails(
    sfu: Sfu, monkeypatch: pytest.MonkeyPatch
) -> None:
    publisher = LoopbackPeer()
    try:
        await publish_to(sfu, "a", publisher, ToneAudioTrack(), MovingVideoTrack())
        subscription_id, _ = await sfu.subscribe("b", "a")
        fanouts = sfu._fanouts["a"].values()
        assert all(len(f.senders) == 1 for f in fanouts)

        async def broken_close(self: RTCPeerConnection) -> None:
            raise RuntimeError("close failed")

        monkeypatch.setattr(ForwardingPeerConnection, "close", broken_close)
        await sfu.unsubscribe(subscription_id)
        assert [f.senders for f in fanouts] == [(), ()]
    finally:
        monkeypatch.undo()
        await publisher.close()


async def test_a_republish_without_a_track_removes_its_fanout(sfu: Sfu) -> None:
    first, second = LoopbackPeer(), LoopbackPeer()
    try:
        await publish_to(sfu, "a", first, ToneAudioTrack(), MovingVideoTrack())
        video = sfu._fanouts["a"]["video-0"]
        closed: list[bool] = []
        video.close = lambda: closed.append(True)  # type: ignore[method-assign]
        await publish_to(sfu, "a", second, ToneAudioTrack())  # the camera is turned off
        assert [t.track_id for t in sfu.published_tracks("a")] == ["audio-0"]
        assert list(sfu._fanouts["a"]) == ["audio-0"]
        assert closed == [True]
    finally:
        for client in (first, second):
            await client.close()
