"""aiortc test clients for the SFU: loopback-only ICE, synthetic tracks, RTP taps.

Importable as ``tests.media.peers`` by other test suites (the signaling integration
test uses the same clients). Clients gather host candidates on 127.0.0.1 only and
never contact a STUN server, exactly like the server in tests.
"""

from __future__ import annotations

import asyncio
import fractions
import math
import random
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import av
from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack, VideoStreamTrack
from aiortc.rtp import RtpPacket, is_rtcp

from media import Sfu
from media.ice import restrict_gathering, rtc_configuration

LOOPBACK = ("127.0.0.1",)
AUDIO_RATE = 48000
AUDIO_PTIME = 0.02


class MovingVideoTrack(VideoStreamTrack):
    """640x360 frames of a blocky texture sliding sideways at 30 fps (VP8 has work to do)."""

    def __init__(self, width: int = 640, height: int = 360, seed: int = 7) -> None:
        super().__init__()
        self.width, self.height = width, height
        rng = random.Random(seed)
        self._span = width + 512
        self._rows = []
        for _ in range((height + 7) // 8):
            levels = [rng.randrange(16, 236) for _ in range(self._span // 8)]
            row = bytes(level for level in levels for _ in range(8))
            self._rows.append(row + row[:width])
        self._chroma = bytes([128]) * ((width // 2) * (height // 2))
        self.frames_sent = 0

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = self.frame(self.frames_sent)
        frame.pts = pts
        frame.time_base = time_base
        self.frames_sent += 1
        return frame

    def frame(self, index: int) -> av.VideoFrame:
        """Frame number ``index`` (no timestamp set)."""
        offset = (index * 4) % self._span
        width = self.width
        luma = b"".join(self._rows[y // 8][offset : offset + width] for y in range(self.height))
        frame = av.VideoFrame(width, self.height, "yuv420p")
        frame.planes[0].update(luma)
        frame.planes[1].update(self._chroma)
        frame.planes[2].update(self._chroma)
        return frame


class ToneAudioTrack(MediaStreamTrack):
    """A 440 Hz sine tone, 48 kHz mono s16, 20 ms frames, paced in real time."""

    kind = "audio"

    def __init__(self, frequency: float = 440.0, amplitude: int = 8000) -> None:
        super().__init__()
        one_second = array(
            "h",
            (
                int(amplitude * math.sin(2 * math.pi * frequency * n / AUDIO_RATE))
                for n in range(AUDIO_RATE)
            ),
        )
        self._tone = one_second.tobytes() * 2
        self._samples = int(AUDIO_RATE * AUDIO_PTIME)
        self._start: float | None = None
        self._timestamp = 0

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.time()
        else:
            self._timestamp += self._samples
            await asyncio.sleep(self._start + self._timestamp / AUDIO_RATE - time.time())
        frame = av.AudioFrame(format="s16", layout="mono", samples=self._samples)
        start = (self._timestamp % AUDIO_RATE) * 2
        frame.planes[0].update(self._tone[start : start + self._samples * 2])
        frame.pts = self._timestamp
        frame.sample_rate = AUDIO_RATE
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        return frame


class SwitchableTone(ToneAudioTrack):
    """A tone while ``speaking``, digital silence otherwise."""

    def __init__(self, speaking: bool) -> None:
        super().__init__()
        self.speaking = speaking

    async def recv(self) -> av.AudioFrame:
        frame = await super().recv()
        if not self.speaking:
            frame.planes[0].update(bytes(frame.samples * 2))
        return frame


class LoopbackPeer:
    """One aiortc client peer connection: loopback host candidates only, no STUN/TURN.

    ``offer_to_publish`` / ``accept_answer`` for a publishing leg, ``answer_offer`` for a
    subscribing leg (the server offers); remote tracks land in ``tracks``.
    """

    def __init__(self, addresses: tuple[str, ...] = LOOPBACK) -> None:
        self.pc = RTCPeerConnection(rtc_configuration([]))
        self.addresses = addresses
        self.tracks: list[MediaStreamTrack] = []
        self.track_arrived = asyncio.Event()

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self.tracks.append(track)
            self.track_arrived.set()

    async def offer_to_publish(
        self, *tracks: MediaStreamTrack, codecs: dict[str, list[Any]] | None = None
    ) -> str:
        """A sendonly offer carrying ``tracks`` (optionally with codec preferences)."""
        for track in tracks:
            transceiver = self.pc.addTransceiver(track, direction="sendonly")
            if codecs and track.kind in codecs:
                transceiver.setCodecPreferences(codecs[track.kind])
        return await self._apply_local(await self.pc.createOffer())

    async def accept_answer(self, sdp: str) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))

    async def answer_offer(self, sdp: str) -> str:
        """Apply the server's offer, return our complete answer."""
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        return await self._apply_local(await self.pc.createAnswer())

    async def _apply_local(self, description: RTCSessionDescription) -> str:
        restrict_gathering(self.pc, self.addresses)
        await self.pc.setLocalDescription(description)
        return str(self.pc.localDescription.sdp)

    def track(self, kind: str) -> MediaStreamTrack:
        return next(t for t in self.tracks if t.kind == kind)

    async def wait_connected(self, timeout: float = 10.0) -> None:
        connected = asyncio.Event()

        def check() -> None:
            if self.pc.connectionState == "connected":
                connected.set()

        self.pc.on("connectionstatechange", check)
        check()
        await asyncio.wait_for(connected.wait(), timeout)

    async def close(self) -> None:
        await self.pc.close()


@dataclass
class ReceivedMedia:
    """What a consumer of one remote track saw: frame arrival times, audio peak."""

    kind: str
    times: list[float] = field(default_factory=list)
    sizes: list[tuple[int, int]] = field(default_factory=list)
    peaks: list[int] = field(default_factory=list)
    first: asyncio.Event = field(default_factory=asyncio.Event)

    def frames_between(self, start: float, end: float) -> list[float]:
        return [t for t in self.times if start <= t < end]


async def consume(track: MediaStreamTrack, received: ReceivedMedia) -> None:
    """Read (decoded) frames from ``track`` until it ends, recording what arrives."""
    try:
        while True:
            frame = await track.recv()
            received.times.append(time.monotonic())
            if isinstance(frame, av.VideoFrame):
                received.sizes.append((frame.width, frame.height))
            elif isinstance(frame, av.AudioFrame):
                # every 8th sample: near the true peak of a tone (its period is over
                # 50 samples), and cheap enough for dozens of tracks in one process
                samples = array("h", bytes(frame.planes[0]))[::8]
                received.peaks.append(max(max(samples), -min(samples)) if samples else 0)
            received.first.set()
    except MediaStreamError:
        pass


def start_consuming(track: MediaStreamTrack) -> tuple[ReceivedMedia, asyncio.Task[None]]:
    received = ReceivedMedia(track.kind)
    return received, asyncio.ensure_future(consume(track, received))


@dataclass
class TappedPacket:
    ssrc: int
    payload_type: int
    sequence_number: int
    timestamp: int
    marker: int
    payload: bytes
    audio_level: tuple[bool, int] | None = None


def tap_outgoing_rtp(pc: RTCPeerConnection) -> list[TappedPacket]:
    """Record every RTP packet ``pc`` sends (before SRTP), from now on."""
    seen: list[TappedPacket] = []
    for transport in {id(s.transport): s.transport for s in pc.getSenders()}.values():
        original = transport._send_rtp

        async def send_rtp(data: bytes, original: Callable[..., Any] = original) -> None:
            if not is_rtcp(data):
                p = RtpPacket.parse(data)
                seen.append(
                    TappedPacket(
                        p.ssrc, p.payload_type, p.sequence_number, p.timestamp, p.marker, p.payload
                    )
                )
            await original(data)

        transport._send_rtp = send_rtp  # type: ignore[method-assign]
    return seen


def tap_incoming_rtp(pc: RTCPeerConnection) -> list[TappedPacket]:
    """Record every RTP packet routed to ``pc``'s receivers (after SRTP, before RTX unwrap)."""
    seen: list[TappedPacket] = []
    for receiver in pc.getReceivers():
        original = receiver._handle_rtp_packet

        async def handle(
            packet: RtpPacket, arrival_time_ms: int, original: Callable[..., Any] = original
        ) -> None:
            seen.append(
                TappedPacket(
                    packet.ssrc,
                    packet.payload_type,
                    packet.sequence_number,
                    packet.timestamp,
                    packet.marker,
                    packet.payload,
                    packet.extensions.audio_level,
                )
            )
            await original(packet, arrival_time_ms)

        receiver._handle_rtp_packet = handle  # type: ignore[method-assign]
    return seen


def drop_incoming_rtp(
    pc: RTCPeerConnection, fraction: float, payload_types: set[int], seed: int = 1
) -> list[RtpPacket]:
    """Lose ``fraction`` of the RTP packets of ``payload_types`` arriving at ``pc``.

    Emulates loss on the server -> client leg: packets vanish after SRTP, before routing,
    so the client's receiver sees gaps and NACKs them. Returns the dropped packets (the
    list fills while the call runs).
    """
    rng = random.Random(seed)
    dropped: list[RtpPacket] = []
    for transport in {id(r.transport): r.transport for r in pc.getReceivers()}.values():
        original = transport._handle_rtp_data

        async def handle(
            data: bytes, arrival_time_ms: int, original: Callable[..., Any] = original
        ) -> None:
            if data[1] & 0x7F in payload_types and rng.random() < fraction:
                dropped.append(RtpPacket.parse(data))
                return
            await original(data, arrival_time_ms)

        transport._handle_rtp_data = handle  # type: ignore[method-assign]
    return dropped


def codec_capability(kind: str, mime_type: str) -> list[Any]:
    """Capabilities of one codec (for a client that should offer only it)."""
    capabilities = RTCRtpSender.getCapabilities(kind)
    return [c for c in capabilities.codecs if c.mimeType.lower() == mime_type.lower()]


def negotiated_payload_types(pc: RTCPeerConnection, kind: str) -> set[int]:
    """Media (non-RTX) payload types negotiated for ``kind`` on ``pc``."""
    types = set()
    for transceiver in pc.getTransceivers():
        if transceiver.kind == kind:
            for codec in transceiver._codecs:
                if codec.mimeType.lower() != f"{kind}/rtx" and codec.payloadType is not None:
                    types.add(codec.payloadType)
    return types


async def publish_to(
    sfu: Sfu, peer_id: str, client: LoopbackPeer, *tracks: MediaStreamTrack
) -> None:
    """Publish ``tracks`` from ``client`` to ``sfu`` directly (no signaling)."""
    offer = await client.offer_to_publish(*tracks)
    await client.accept_answer(await sfu.publish(peer_id, offer))


async def subscribe_from(
    sfu: Sfu,
    subscriber_id: str,
    publisher_id: str,
    client: LoopbackPeer,
    before_answer: Callable[[LoopbackPeer], None] | None = None,
) -> str:
    """Subscribe ``client`` to ``publisher_id`` on ``sfu``; returns the subscription id.

    ``before_answer`` runs after the client applied the offer (its receivers exist) and
    before the server gets the answer (before any media can flow): install taps there.
    """
    subscription_id, offer = await sfu.subscribe(subscriber_id, publisher_id)
    answer = await client.answer_offer(offer)
    if before_answer is not None:
        before_answer(client)
    await sfu.accept_answer(subscription_id, answer)
    return subscription_id
