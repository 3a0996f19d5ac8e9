"""Fuzz of the media port: random and crafted datagrams at both legs' ICE ports.

Hypothesis draws datagrams (random bytes; RTP- and RTCP-range headers of every length,
oversized ones, truncated ones, STUN-looking and DTLS-looking ones) and sends each from
the peer's own ICE-selected address or from a foreign port, to the publisher's or the
subscriber's server port, while a call runs. Afterwards frames still arrive and no
transport closed. Hypothesis runs in a thread (it cannot await); the event loop keeps
serving the call meanwhile, and datagrams from the peer's socket are sent on the loop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from media import Sfu
from tests.media.ports import Call, ForeignSender, local_addr, selected_pair, start_call

EXAMPLES = 400
STUN_COOKIE = bytes.fromhex("2112a442")


def _header(first: st.SearchStrategy[int], second: st.SearchStrategy[int]) -> Any:
    return st.tuples(first, second, st.binary(max_size=1700)).map(
        lambda t: bytes((t[0], t[1])) + t[2]
    )


def _rtp() -> Any:
    """A full RTP header (random CC, X, payload type, SSRC), then a random body."""
    return st.tuples(
        st.integers(0x80, 0xBF),
        st.integers(0, 255).filter(lambda b: not 191 < b < 209),
        st.binary(min_size=10, max_size=10),
        st.binary(min_size=4, max_size=1400),
    ).map(lambda t: bytes((t[0], t[1])) + t[2] + t[3])


def _rtcp() -> Any:
    """An RTCP header (type 192-208) whose length fits or not, an SSRC, a random body."""
    return st.tuples(
        st.integers(0x80, 0xBF),
        st.integers(192, 208),
        st.booleans(),
        st.binary(min_size=4, max_size=4),
        st.binary(min_size=8, max_size=1400),
    ).map(
        lambda t: (
            bytes((t[0], t[1]))
            + ((len(t[4]) - 8) // 4 if t[2] else len(t[4])).to_bytes(2, "big")
            + t[3]
            + t[4]
        )
    )


def _stun() -> Any:
    """A STUN header (any type, consistent or not length), then random attributes."""
    return st.tuples(
        st.sampled_from((0x0001, 0x0101, 0x0111, 0x0011, 0x0002)),
        st.binary(max_size=300),
        st.booleans(),
        st.binary(min_size=12, max_size=12),
    ).map(
        lambda t: (
            t[0].to_bytes(2, "big")
            + (len(t[1]) if t[2] else len(t[1]) ^ 4).to_bytes(2, "big")
            + STUN_COOKIE
            + t[3]
            + t[1]
        )
    )


def _dtls() -> Any:
    """A DTLS record header (content type 20-25, DTLS 1.0/1.2, any epoch), random body."""
    return st.tuples(
        st.integers(20, 25),
        st.sampled_from((b"\xfe\xff", b"\xfe\xfd")),
        st.binary(min_size=8, max_size=8),
        st.binary(max_size=600),
    ).map(lambda t: bytes((t[0],)) + t[1] + t[2] + len(t[3]).to_bytes(2, "big") + t[3])


DATAGRAMS = st.one_of(
    st.binary(max_size=1600),  # random
    _header(st.integers(0x80, 0xBF), st.integers(192, 208)),  # RTCP range
    _header(st.integers(0x80, 0xBF), st.integers(0, 255)),  # RTP range, any CC/X bits
    _rtp(),
    _rtcp(),
    st.binary(min_size=1501, max_size=4000).map(lambda b: b"\x80\xc8" + b),  # oversized
    st.binary(max_size=16),  # truncated
    _stun(),
    _dtls(),
)


@pytest.fixture
async def call(sfu: Sfu) -> AsyncIterator[Call]:
    started = await start_call(sfu)
    yield started
    await started.close()


def fuzz(send: Callable[[bytes, bool, bool], None]) -> None:
    """Hypothesis drives ``send(datagram, from_peer, to_publisher_leg)``."""

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True)
    @given(data=DATAGRAMS, from_peer=st.booleans(), to_publisher=st.booleans())
    def run(data: bytes, from_peer: bool, to_publisher: bool) -> None:
        send(data, from_peer, to_publisher)
        time.sleep(0.002)  # let the event loop read it (no receive buffer overflow)

    run()


async def test_random_and_crafted_datagrams_stop_nothing(call: Call) -> None:
    loop = asyncio.get_running_loop()
    foreign = ForeignSender()
    targets = {
        True: (call.publisher.pc, local_addr(call.server_publisher_pc)),
        False: (call.subscriber.pc, local_addr(call.server_subscriber_pc)),
    }
    sent = {"peer": 0, "foreign": 0}

    def send(data: bytes, from_peer: bool, to_publisher: bool) -> None:
        client_pc, server_addr = targets[to_publisher]
        if from_peer:
            transport = selected_pair(client_pc).protocol.transport
            loop.call_soon_threadsafe(transport.sendto, data, server_addr)
            sent["peer"] += 1
        else:
            foreign.send(data, server_addr)
            sent["foreign"] += 1

    try:
        await asyncio.to_thread(fuzz, send)
        await call.frames_keep_arriving()
        call.assert_connected()
    finally:
        foreign.close()
    assert sent["peer"] > 50 and sent["foreign"] > 50, sent
    dropped = call.sfu.ingress_stats()
    assert dropped.foreign > 0 and dropped.oversized > 0 and dropped.srtp_failed > 0, dropped
    assert dropped.handler_failed == 0, dropped
