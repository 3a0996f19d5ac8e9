"""ICE policy: candidates on configured addresses only, remote candidates filtered."""

from __future__ import annotations

import logging
import re

import pytest
from aiortc import RTCPeerConnection

from media import MediaConfig, Sfu
from media.errors import MediaError
from media.ice import (
    allowed_networks,
    candidate_allowed,
    filter_remote_candidates,
    refused_candidates,
    restrict_gathering,
    rtc_configuration,
)
from tests.media.peers import LoopbackPeer, MovingVideoTrack

SDP = (
    "v=0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "a=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host\r\n"
    "a=candidate:2 1 udp 2130706431 192.168.1.20 50001 typ host\r\n"
    "a=candidate:3 1 udp 2130706431 2b7a1c1e-0b0e-4c4e.local 50002 typ host\r\n"
    "a=candidate:4 1 udp 1677729535 203.0.113.9 50003 typ srflx raddr 0.0.0.0 rport 0\r\n"
    "a=candidate:5 1 udp 2130706431 ::1 50004 typ host\r\n"
    "a=end-of-candidates\r\n"
)


def test_only_allowed_candidates_survive() -> None:
    networks = allowed_networks(("127.0.0.0/8", "::1/128"))
    filtered = filter_remote_candidates(SDP, networks)
    assert "127.0.0.1 50000" in filtered
    assert "::1 50004" in filtered
    for gone in ("192.168.1.20", ".local", "203.0.113.9"):
        assert gone not in filtered
    assert "a=end-of-candidates" in filtered
    assert filtered.endswith("\r\n")


def test_refused_candidates_name_type_and_address() -> None:
    networks = allowed_networks(("127.0.0.0/8", "::1/128"))
    relayed = SDP.replace("a=end-of-candidates", "a=candidate:6 1 udp 16777215 198.51.100.7 "
                          "49160 typ relay raddr 203.0.113.9 rport 50003\r\na=end-of-candidates")
    # the TURN server's relay address, never the person's own addresses
    assert refused_candidates(relayed, networks) == [
        "host", "host", "srflx", "relay 198.51.100.7"]


def as_relayed(offer: str, address: str) -> str:
    """``offer`` as a client reachable only through a TURN relay at ``address`` makes it."""
    return re.sub(r"127\.0\.0\.1 (\d+) typ host",
                  rf"{address} \1 typ relay raddr 0.0.0.0 rport 0", offer)


async def test_a_relayed_offer_outside_the_allowed_networks_is_refused_as_such(
        caplog: pytest.LogCaptureFixture) -> None:
    # Before, it got "The media server has no usable network address (ICE gathered
    # nothing)", which points the operator at the server's own addresses.
    client = LoopbackPeer()
    refusing = Sfu(MediaConfig())
    allowing = Sfu(MediaConfig(ice_allowed_networks=("127.0.0.0/8", "203.0.113.9/32")))
    try:
        offer = as_relayed(await client.offer_to_publish(MovingVideoTrack()), "203.0.113.9")
        assert " typ relay " in offer and " typ host" not in offer
        with caplog.at_level(logging.WARNING, logger="media.peer"), \
                pytest.raises(MediaError) as caught:
            await refusing.publish("room:ada", offer)
        assert caught.value.code == "media_failed"
        assert "network addresses your device offered" in caught.value.message
        assert "relay 203.0.113.9" in caplog.text
        # with the TURN server's relay address allowed, the same offer is answered
        answer = await allowing.publish("room:ada", offer)
        assert "a=candidate:" in answer
    finally:
        await client.close()
        await refusing.close()
        await allowing.close()


def test_candidate_allowed() -> None:
    networks = allowed_networks(("10.0.0.0/8",))
    assert candidate_allowed("10.1.2.3", networks)
    assert not candidate_allowed("11.1.2.3", networks)
    assert not candidate_allowed("::1", networks)
    assert not candidate_allowed("host.local", networks)


async def test_gathering_uses_exactly_the_configured_addresses() -> None:
    pc = RTCPeerConnection(rtc_configuration([]))
    try:
        pc.addTransceiver("audio")
        pc.addTransceiver("video")
        restrict_gathering(pc, ["127.0.0.1"])
        await pc.setLocalDescription(await pc.createOffer())
        candidates = [
            line for line in pc.localDescription.sdp.splitlines() if line.startswith("a=candidate")
        ]
        assert candidates, "no candidate gathered"
        assert all(line.split()[4] == "127.0.0.1" for line in candidates)
        assert all(" typ host" in line for line in candidates)
    finally:
        await pc.close()


def test_configuration_is_explicit() -> None:
    assert rtc_configuration([]).iceServers == []
    servers = rtc_configuration(["stun:stun.example.org:3478"]).iceServers or []
    assert [s.urls for s in servers] == ["stun:stun.example.org:3478"]
