"""The recorder's clock: RTP timestamps onto the server's clock through sender reports."""

from __future__ import annotations

import pytest

from media.recording.clock import NTP_UNIX_OFFSET, PeerClock, TrackClock, ntp_to_unix


def ntp(unix: float) -> int:
    return int((unix + NTP_UNIX_OFFSET) * 2**32)


def test_before_a_sender_report_the_first_arrival_places_the_segment() -> None:
    clock = TrackClock(48000, PeerClock())
    assert clock.start() == (None, "none")
    clock.frame(1000, 50.0)
    clock.frame(1960, 50.02)
    assert clock.start() == (50.0, "arrival")
    assert clock.sender_start() is None


def test_a_sender_report_maps_the_first_frame_through_the_peers_offset() -> None:
    peer = PeerClock()
    audio = TrackClock(48000, peer)
    video = TrackClock(90000, peer)
    audio.frame(48000, 1000.30)
    video.frame(9000, 1000.35)
    # the sender's clock is 2 s behind the server's; reports take 10 and 30 ms to arrive
    audio.sender_report(96000, ntp(999.0), 1001.01)  # rtp 96000 = sender time 999.0
    video.sender_report(90000, ntp(999.5), 1001.53)
    assert peer.offset == pytest.approx(2.01)
    assert audio.sender_start() == pytest.approx(998.0)
    assert video.sender_start() == pytest.approx(998.6)
    start, source = video.start()
    assert source == "sender_report" and start == pytest.approx(998.6 + 2.01)
    assert audio.start()[0] == pytest.approx(998.0 + 2.01)  # both by the same offset


def test_timestamps_unwrap_across_2_to_the_32() -> None:
    clock = TrackClock(90000, PeerClock())
    clock.frame(0xFFFFFF00, 10.0)
    clock.frame(0x100000100, 10.01)  # the depacketiser's unwrapped timestamp
    clock.sender_report(0x200, ntp(20.0), 20.0)  # a report sent after the wrap
    assert clock.report is not None and clock.report.rtp_timestamp == 0x100000200
    assert clock.sender_start() == pytest.approx(20.0 - 0x300 / 90000)


def test_a_report_before_the_first_frame_is_applied_with_it() -> None:
    clock = TrackClock(48000, PeerClock())
    clock.sender_report(5000, ntp(100.0), 100.0)
    assert clock.first_report is None
    clock.frame(4040, 100.1)
    assert clock.sender_start() == pytest.approx(100.0 - 960 / 48000)


def test_ntp_to_unix() -> None:
    assert ntp_to_unix(ntp(1234.5)) == pytest.approx(1234.5)
