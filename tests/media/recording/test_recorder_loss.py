"""The recorder under loss on the publisher -> server leg.

Packets are dropped where the SFU receives them. With retransmissions (the SFU NACKs,
the aiortc publisher resends over RTX) the recorder's reorder buffer waits for them
and loses next to nothing; without, it drops the frames that lost a packet and those
after them until a keyframe, which it asks for: either way every frame written decodes.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from aiortc.rtp import RtpPacket

from media import Sfu
from media.receiver import ForwardingReceiver
from media.recording.recorder import Recorder
from media.recording.sidecar import TrackInfo, read_info
from tests.media.peers import LoopbackPeer, MovingVideoTrack, publish_to
from tests.media.recording.probe import decode_errors, decoded_frames

LOSS = 0.05
RECORD_S = 5.0


def lose_video(sfu: Sfu, peer_id: str, retransmissions_too: bool) -> list[int]:
    """Drop LOSS of the video packets the SFU receives from ``peer_id`` (first copies
    only, unless ``retransmissions_too``); returns the sequence numbers dropped."""
    pc = sfu._publications[peer_id].pc
    (receiver,) = (t.receiver for t in pc.getTransceivers() if t.kind == "video")
    assert isinstance(receiver, ForwardingReceiver)
    codecs = receiver._codecs  # filled once the server's receiver starts
    original = receiver.handle_rtp
    rng = random.Random(11)
    dropped: list[int] = []

    def lossy(packet: RtpPacket, now: float) -> None:
        codec = codecs.get(packet.payload_type)
        if codec is not None and codec.mimeType.lower() == "video/vp8":
            if rng.random() < LOSS:
                dropped.append(packet.sequence_number)
                return
        elif retransmissions_too:
            return  # every RTX packet
        original(packet, now)

    receiver.handle_rtp = lossy  # type: ignore[method-assign]
    return dropped


async def record_with_loss(sfu: Sfu, tmp_path: Path, retransmissions_too: bool) -> TrackInfo:
    client = LoopbackPeer()
    await publish_to(sfu, "alice", client, MovingVideoTrack())
    await client.wait_connected()
    dropped = lose_video(sfu, "alice", retransmissions_too)
    recorder = Recorder(sfu, tmp_path)
    try:
        recorder.start("alice", ["video"])
        await asyncio.sleep(RECORD_S)
        (path,) = await recorder.close()
    finally:
        await client.close()
    assert len(dropped) >= 10, "too little loss to mean anything"
    info = read_info(path)
    assert info is not None
    assert decode_errors(path) == ""  # no frame refers to a lost one
    assert decoded_frames(path) == info.frames
    return info


async def test_packets_recovered_by_nack_are_waited_for(sfu: Sfu, tmp_path: Path) -> None:
    info = await record_with_loss(sfu, tmp_path, retransmissions_too=False)
    assert info.packets_lost <= 2, info  # nearly every loss came back in time
    assert info.frames >= 0.9 * 30 * (RECORD_S - 1.0)


async def test_without_retransmissions_frames_are_dropped_until_a_keyframe(
    sfu: Sfu, tmp_path: Path
) -> None:
    info = await record_with_loss(sfu, tmp_path, retransmissions_too=True)
    assert info.packets_lost >= 10 and info.frames_dropped > info.packets_lost
    assert info.frames > 30  # keyframes were asked for, and came
