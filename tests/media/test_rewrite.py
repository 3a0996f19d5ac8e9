"""StreamRewriter and DuplicateFilter: pure sequence/timestamp logic."""

from __future__ import annotations

from media.rewrite import DuplicateFilter, StreamRewriter

SSRC_A = 0x11111111
SSRC_B = 0x22222222


def audio(first_seq: int = 1000, first_ts: int = 5000) -> StreamRewriter:
    return StreamRewriter(48000, gate_on_keyframe=False, first_seq=first_seq, first_ts=first_ts)


def video(first_seq: int = 1000, first_ts: int = 5000) -> StreamRewriter:
    return StreamRewriter(90000, gate_on_keyframe=True, first_seq=first_seq, first_ts=first_ts)


def test_first_packet_gets_the_chosen_start_values() -> None:
    r = audio(first_seq=1000, first_ts=5000)
    assert r.rewrite(SSRC_A, 40000, 123456, False, 10.0) == (1000, 5000)


def test_offsets_are_constant_so_gaps_stay_visible() -> None:
    r = audio(first_seq=1000, first_ts=5000)
    r.rewrite(SSRC_A, 40000, 123456, False, 10.0)
    # a gap of 3 packets upstream is a gap of 3 downstream: never renumbered
    assert r.rewrite(SSRC_A, 40004, 123456 + 4 * 960, False, 10.08) == (1004, 5000 + 4 * 960)
    # a late (reordered or retransmitted) packet maps with the same offset
    assert r.rewrite(SSRC_A, 40002, 123456 + 2 * 960, False, 10.09) == (1002, 5000 + 2 * 960)


def test_sequence_number_wraps_on_both_sides() -> None:
    r = audio(first_seq=65534, first_ts=0)
    out = [r.rewrite(SSRC_A, seq & 0xFFFF, 0, False, 1.0) for seq in range(65530, 65540)]
    assert [o[0] for o in out if o] == [(65534 + i) & 0xFFFF for i in range(10)]


def test_timestamp_wraps() -> None:
    r = audio(first_seq=0, first_ts=0xFFFFFF00)
    assert r.rewrite(SSRC_A, 1, 0, False, 1.0) == (0, 0xFFFFFF00)
    assert r.rewrite(SSRC_A, 2, 0x200, False, 1.0) == (1, 0x100)
    # and an upstream timestamp wrap carries the same offset
    r = audio(first_seq=0, first_ts=100)
    r.rewrite(SSRC_A, 1, 0xFFFFFFF0, False, 1.0)
    assert r.rewrite(SSRC_A, 2, 0x10, False, 1.0) == (1, 100 + 0x20)


def test_video_waits_for_a_keyframe() -> None:
    r = video(first_seq=7, first_ts=70)
    assert r.waiting_for_keyframe
    assert r.rewrite(SSRC_A, 500, 9000, False, 1.0) is None
    assert r.rewrite(SSRC_A, 501, 9000, False, 1.0) is None
    assert r.rewrite(SSRC_A, 502, 12000, True, 1.0) == (7, 70)
    assert not r.waiting_for_keyframe
    assert r.rewrite(SSRC_A, 503, 12000, False, 1.0) == (8, 70)


def test_packets_older_than_the_first_forwarded_one_are_dropped() -> None:
    r = video(first_seq=7, first_ts=70)
    r.rewrite(SSRC_A, 502, 12000, True, 1.0)
    r.rewrite(SSRC_A, 503, 12000, False, 1.0)
    assert r.rewrite(SSRC_A, 501, 9000, False, 1.0) is None  # before the keyframe
    assert r.rewrite(SSRC_A, 503, 12000, False, 1.0) == (8, 70)  # not older: forwarded


def test_late_packets_are_forwarded_long_after_the_start() -> None:
    r = audio(first_seq=0, first_ts=0)
    for seq in range(0, 40000):
        r.rewrite(SSRC_A, seq & 0xFFFF, seq * 960, False, 1.0)
    # 40000 packets later (past half the sequence space), a late packet still maps
    assert r.rewrite(SSRC_A, 39990, 39990 * 960, False, 1.0) == (39990, (39990 * 960) & 0xFFFFFFFF)


def test_source_switch_continues_the_stream() -> None:
    r = audio(first_seq=100, first_ts=1000)
    r.rewrite(SSRC_A, 10, 50000, False, 1.0)
    r.rewrite(SSRC_A, 11, 50960, False, 1.02)
    # a new source (re-publish) 0.5 s later: next seq, timestamp advanced by real time
    seq, ts = r.rewrite(SSRC_B, 30000, 777, False, 1.52) or (0, 0)
    assert seq == 102
    assert ts == 1000 + 960 + 24000
    assert r.rewrite(SSRC_B, 30001, 777 + 960, False, 1.54) == (103, ts + 960)


def test_gated_source_switch_waits_for_the_new_keyframe() -> None:
    r = video(first_seq=100, first_ts=1000)
    r.rewrite(SSRC_A, 10, 50000, True, 1.0)
    r.rewrite(SSRC_A, 11, 53000, False, 1.0333)
    assert r.rewrite(SSRC_B, 900, 5, False, 1.1) is None
    assert r.waiting_for_keyframe
    seq, ts = r.rewrite(SSRC_B, 901, 3005, True, 1.2) or (0, 0)
    assert seq == 102  # no hole for the packets dropped while waiting
    assert ts == (1000 + 3000 + round((1.2 - 1.0333) * 90000)) & 0xFFFFFFFF
    assert r.source == SSRC_B


def test_duplicates_are_detected_within_the_window() -> None:
    d = DuplicateFilter(size=1024)
    assert not d.is_duplicate(5)
    assert d.is_duplicate(5)
    assert not d.is_duplicate(6)
    assert not d.is_duplicate(5 + 1024)  # same slot, different packet
    assert not d.is_duplicate(5)  # evicted by the newer one: forwarded again
    d.reset()
    assert not d.is_duplicate(6)


def test_duplicates_across_a_sequence_wrap() -> None:
    d = DuplicateFilter()
    for seq in range(65530, 65546):
        assert not d.is_duplicate(seq & 0xFFFF)
    assert d.is_duplicate(65535)
    assert d.is_duplicate(3)


def test_a_switch_ends_the_source_even_with_the_same_ssrc() -> None:
    r = video(first_seq=100, first_ts=1000)
    assert r.rewrite(SSRC_A, 500, 90000, True, 1.0) == (100, 1000)
    assert r.rewrite(SSRC_A, 501, 93000, False, 1.033) == (101, 4000)
    r.end_source()  # switched to another publisher that (by chance) has the same SSRC
    assert r.waiting_for_keyframe
    assert r.rewrite(SSRC_A, 9000, 500, False, 1.5) is None  # its delta frames wait
    seq, ts = r.rewrite(SSRC_A, 9001, 3500, True, 1.6) or (0, 0)
    assert seq == 102  # continuous for the subscriber
    assert (ts - 4000) & 0xFFFFFFFF == round(0.567 * 90000)  # time moved on since
    r.end_source()
    r.end_source()  # twice: harmless
