"""Active speaker through the SFU from real aiortc publishers' RFC 6464 audio levels.

aiortc's sender computes each frame's level (RFC 6465 appendix A, from the samples it
encodes) into the audio-level extension and never sets the voice-activity flag, so
the test controls who is "speaking" by what its track sends: a tone or digital
silence (-127 dBov). The server reads the levels from the RTP headers at ingress; it
never decodes (no decoder is created).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from media import Sfu
from tests.media.conftest import CodecWatch
from tests.media.peers import LoopbackPeer, SwitchableTone, publish_to


async def wait_until(predicate: Callable[[], object], what: str, timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, f"no {what} within {timeout} s"
        await asyncio.sleep(0.02)


async def test_the_louder_publisher_becomes_the_active_speaker(
    sfu: Sfu, codec_watch: CodecWatch
) -> None:
    events: list[tuple[str, str]] = []
    sfu.speakers.on_active_speaker = lambda group, peer: events.append((group, peer))
    sfu.speakers.set_group("room", ["a", "b", "c"])
    sfu.speakers.set_group("other", ["d"])
    tracks = {"a": SwitchableTone(True), "b": SwitchableTone(False), "c": SwitchableTone(False)}
    clients = {peer: LoopbackPeer() for peer in tracks}
    try:
        for peer, track in tracks.items():
            await publish_to(sfu, peer, clients[peer], track)
        await wait_until(lambda: events, "active speaker event")
        assert events == [("room", "a")]
        assert sfu.speakers.speaker("room") == "a"

        # a stops, b starts: b takes over; silence alone never switched anything
        await asyncio.sleep(1.0)
        assert events == [("room", "a")]
        tracks["a"].speaking = False
        tracks["b"].speaking = True
        await wait_until(lambda: len(events) > 1, "a speaker change")
        assert events == [("room", "a"), ("room", "b")]
        assert sfu.speakers.recent_speakers("room") == ["b", "a", "c"]

        # the speaker leaves: it is no longer ranked
        await sfu.remove_peer("b")
        assert sfu.speakers.recent_speakers("room") == ["a", "c"]
        assert sfu.stats().decoders_created == 0
        assert not codec_watch.decoders
    finally:
        for client in clients.values():
            await client.close()
