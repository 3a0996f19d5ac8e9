"""Two aiortc clients in a call through the SFU: real ICE, DTLS and SRTP on 127.0.0.1.

Each publishes a synthetic 640x360 video and a tone, each subscribes to the other and
decodes what it receives. The server must forward the publisher's payload bytes
unchanged and never create a decoder or an encoder.
"""

from __future__ import annotations

import asyncio
import time

from media import Sfu
from media.peer import ForwardingPeerConnection
from media.receiver import ForwardingReceiver
from media.sender import ForwardingSender
from tests.media.conftest import CodecWatch
from tests.media.peers import (
    LoopbackPeer,
    MovingVideoTrack,
    ReceivedMedia,
    TappedPacket,
    ToneAudioTrack,
    negotiated_payload_types,
    publish_to,
    start_consuming,
    subscribe_from,
    tap_incoming_rtp,
    tap_outgoing_rtp,
)

WINDOW_S = 3.0


def assert_smooth_video(received: ReceivedMedia, start: float, end: float) -> None:
    frames = received.frames_between(start, end)
    assert len(frames) >= 60, f"only {len(frames)} frames decoded in {end - start:.1f} s"
    fps = (len(frames) - 1) / (frames[-1] - frames[0])
    assert fps >= 25, f"decoded at {fps:.1f} fps"
    assert set(received.sizes) == {(640, 360)}


def assert_audible(received: ReceivedMedia) -> None:
    assert len(received.peaks) >= 100, f"only {len(received.peaks)} audio frames"
    loud = [p for p in received.peaks[-100:] if p > 1000]
    assert len(loud) >= 90, f"audio mostly silent: {received.peaks[-100:]}"


def assert_payloads_forwarded_unchanged(
    sent: list[TappedPacket],
    sent_types: set[int],
    received: list[TappedPacket],
    received_types: set[int],
) -> int:
    """Every received media packet carries a sent payload, at a constant seq/ts offset."""
    by_payload: dict[bytes, list[TappedPacket]] = {}
    for p in sent:
        if p.payload_type in sent_types:
            by_payload.setdefault(p.payload, []).append(p)
    media = [p for p in received if p.payload_type in received_types]
    assert media, "nothing received"
    # a periodic tone can repeat an Opus payload exactly: keep every candidate, and
    # require one (seq offset, ts offset) that fits every packet
    common: set[tuple[int, int]] | None = None
    for packet in media:
        originals = by_payload.get(packet.payload)
        assert originals, "a forwarded payload differs from every sent one"
        fits = {
            (
                (packet.sequence_number - o.sequence_number) & 0xFFFF,
                (packet.timestamp - o.timestamp) & 0xFFFFFFFF,
            )
            for o in originals
            if o.marker == packet.marker
        }
        common = fits if common is None else common & fits
        assert common, "sequence numbers or timestamps were not shifted by one constant"
    # and nothing in between went missing on loopback
    assert common is not None
    seq_offset = next(iter(common))[0]
    first = (media[0].sequence_number - seq_offset) & 0xFFFF
    expected = [p for p in sent if p.payload_type in sent_types]
    expected = expected[next(i for i, p in enumerate(expected) if p.sequence_number == first) :]
    expected = expected[: len(expected) - 20]  # the tail may still be in flight
    got = {p.payload for p in media}
    missing = [p for p in expected if p.payload not in got]
    assert len(missing) <= len(expected) // 100, f"{len(missing)} of {len(expected)} not forwarded"
    return len(media)


def assert_no_server_codecs(sfu: Sfu, watch: CodecWatch) -> None:
    connections: list[ForwardingPeerConnection] = sfu._connections()
    assert connections
    server_queues = set()
    for pc in connections:
        for receiver in pc.getReceivers():
            assert isinstance(receiver, ForwardingReceiver)
            assert not receiver.decoder_running
            if receiver.track is not None:
                server_queues.add(id(receiver.track._queue))  # type: ignore[attr-defined]
        for sender in pc.getSenders():
            assert isinstance(sender, ForwardingSender)
            assert sender.track is None
    server_senders = {id(s) for pc in connections for s in pc.getSenders()}

    # the watch sees the clients' codecs, so it would see the server's too
    assert len(watch.decoder_threads) >= 4
    assert len(watch.encoder_owners) >= 4
    assert not [q for q in watch.decoder_queues() if id(q) in server_queues]
    assert all(thread in watch.decoder_threads for thread in watch.decoders)
    assert not [s for s in watch.encoder_owners if id(s) in server_senders]
    assert sfu.stats().decoders_created == 0


async def test_two_peers_see_and_hear_each_other(sfu: Sfu, codec_watch: CodecWatch) -> None:
    a_pub, b_pub, a_sub, b_sub = (LoopbackPeer() for _ in range(4))
    taps: dict[str, list[TappedPacket]] = {}
    try:
        a_offer = await a_pub.offer_to_publish(ToneAudioTrack(440), MovingVideoTrack(seed=1))
        taps["a_out"] = tap_outgoing_rtp(a_pub.pc)
        await a_pub.accept_answer(await sfu.publish("a", a_offer))
        await publish_to(sfu, "b", b_pub, ToneAudioTrack(660), MovingVideoTrack(seed=2))
        assert [t.kind for t in sfu.published_tracks("a")] == ["audio", "video"]

        # subscriptions are made at once, before any packet reached the server
        await subscribe_from(
            sfu, "b", "a", b_sub, lambda c: taps.__setitem__("b_in", tap_incoming_rtp(c.pc))
        )
        await subscribe_from(sfu, "a", "b", a_sub)

        b_sees_a, _ = start_consuming(b_sub.track("video"))
        b_hears_a, _ = start_consuming(b_sub.track("audio"))
        a_sees_b, _ = start_consuming(a_sub.track("video"))
        a_hears_b, _ = start_consuming(a_sub.track("audio"))
        await asyncio.wait_for(b_sees_a.first.wait(), 15)
        await asyncio.wait_for(a_sees_b.first.wait(), 15)

        start = time.monotonic()
        await asyncio.sleep(WINDOW_S)
        end = time.monotonic()

        assert_smooth_video(b_sees_a, start, end)
        assert_smooth_video(a_sees_b, start, end)
        assert_audible(b_hears_a)
        assert_audible(a_hears_b)
        assert_no_server_codecs(sfu, codec_watch)

        compared = {}
        for kind in ("video", "audio"):
            compared[kind] = assert_payloads_forwarded_unchanged(
                taps["a_out"],
                negotiated_payload_types(a_pub.pc, kind),
                taps["b_in"],
                negotiated_payload_types(b_sub.pc, kind),
            )
        assert compared["video"] >= 90 and compared["audio"] >= 100, compared
        # the audio level extension is carried through (for active-speaker detection)
        audio_types = negotiated_payload_types(b_sub.pc, "audio")
        levels = [p.audio_level for p in taps["b_in"] if p.payload_type in audio_types]
        assert levels and all(level is not None for level in levels)

        # the subscriber's RTCP works: it got sender reports with true counters
        reports = [
            r for r in (await b_sub.pc.getStats()).values() if r.type == "remote-outbound-rtp"
        ]
        assert {r.kind for r in reports} == {"audio", "video"}
        received_by_ssrc: dict[int, int] = {}
        for p in taps["b_in"]:
            received_by_ssrc[p.ssrc] = received_by_ssrc.get(p.ssrc, 0) + 1
        for report in reports:
            assert 0 < report.packetsSent <= received_by_ssrc[report.ssrc]

        stats = sfu.stats()
        assert stats.packets_forwarded > 0
        assert stats.packets_received > 0
    finally:
        for client in (a_pub, b_pub, a_sub, b_sub):
            await client.close()
