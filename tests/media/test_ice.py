"""ICE policy: candidates on configured addresses only, remote candidates filtered."""

from __future__ import annotations

from aiortc import RTCPeerConnection

from media.ice import (
    allowed_networks,
    candidate_allowed,
    filter_remote_candidates,
    restrict_gathering,
    rtc_configuration,
)

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
