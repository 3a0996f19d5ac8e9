"""Fixtures for the SFU tests: a real Sfu on 127.0.0.1, and codec accounting."""

from __future__ import annotations

import sys
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiortc.rtcrtpreceiver
import aiortc.rtcrtpsender
import pytest

from media import MediaConfig, Sfu


@pytest.fixture
async def sfu() -> AsyncIterator[Sfu]:
    server = Sfu(MediaConfig())
    yield server
    await server.close()


@dataclass
class CodecWatch:
    """Every decoder thread, decoder and encoder aiortc creates in this process."""

    decoder_threads: dict[int, Any] = field(default_factory=dict)  # thread id -> output queue
    decoders: list[int] = field(default_factory=list)  # thread ids that created a decoder
    encoder_owners: list[Any] = field(default_factory=list)  # the RTCRtpSender asking

    def decoder_queues(self) -> list[Any]:
        return list(self.decoder_threads.values())


@pytest.fixture
def codec_watch(monkeypatch: pytest.MonkeyPatch) -> CodecWatch:
    watch = CodecWatch()
    worker = aiortc.rtcrtpreceiver.decoder_worker
    get_decoder = aiortc.rtcrtpreceiver.get_decoder
    get_encoder = aiortc.rtcrtpsender.get_encoder

    def watched_worker(loop: Any, input_q: Any, output_q: Any, decode_error: Any) -> None:
        watch.decoder_threads[threading.get_ident()] = output_q
        worker(loop, input_q, output_q, decode_error)

    def watched_get_decoder(codec: Any) -> Any:
        watch.decoders.append(threading.get_ident())
        return get_decoder(codec)

    def watched_get_encoder(codec: Any) -> Any:
        watch.encoder_owners.append(sys._getframe(1).f_locals.get("self"))
        return get_encoder(codec)

    patches: list[tuple[Any, str, Callable[..., Any]]] = [
        (aiortc.rtcrtpreceiver, "decoder_worker", watched_worker),
        (aiortc.rtcrtpreceiver, "get_decoder", watched_get_decoder),
        (aiortc.rtcrtpsender, "get_encoder", watched_get_encoder),
    ]
    for module, name, replacement in patches:
        monkeypatch.setattr(module, name, replacement)
    return watch
