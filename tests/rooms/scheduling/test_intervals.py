"""Interval algebra against a brute-force model (sets of seconds), and zone timelines."""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from rooms.scheduling.intervals import (
    Interval,
    clip,
    covers,
    intersect,
    normalize,
    subtract,
    total,
)
from rooms.scheduling.timeline import ZoneTimeline, local_seconds, naive_local_seconds
from rooms.scheduling.zones import epoch_seconds, load_zone
from tests.rooms.scheduling.builders import utc

raw = st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), max_size=8)


def points(intervals: list[Interval]) -> set[int]:
    return {t for s, e in intervals for t in range(s, e)}


def is_normal(intervals: list[Interval]) -> bool:
    return all(s < e for s, e in intervals) and all(
        a[1] < b[0] for a, b in pairwise(intervals))


@settings(max_examples=150, deadline=None)
@given(raw, raw)
def test_operations_match_sets(a_raw: list[Interval], b_raw: list[Interval]) -> None:
    a, b = normalize(a_raw), normalize(b_raw)
    assert is_normal(a) and points(a) == points(a_raw)
    for result, expected in (
        (intersect(a, b), points(a) & points(b)),
        (subtract(a, b), points(a) - points(b)),
        (clip(a, 10, 40), {t for t in points(a) if 10 <= t < 40}),
    ):
        assert is_normal(result) and points(result) == expected
    assert total(a) == len(points(a))
    for s in range(0, 60, 7):
        assert covers(a, s, s + 5) == (set(range(s, s + 5)) <= points(a))


def test_touching_intervals_merge() -> None:
    assert normalize([(5, 10), (0, 5), (12, 12), (11, 13)]) == [(0, 10), (11, 13)]


def test_timeline_finds_transitions_to_the_second() -> None:
    line = ZoneTimeline(load_zone("America/New_York"), epoch_seconds(utc(2024, 1, 1)),
                        epoch_seconds(utc(2025, 1, 1)))
    assert line.transitions() == [epoch_seconds(utc(2024, 3, 10, 7)),
                                  epoch_seconds(utc(2024, 11, 3, 6))]
    assert [s.offset for s in line.segments] == [-5 * 3600, -4 * 3600, -5 * 3600]
    assert line.offset_at(epoch_seconds(utc(2024, 6, 1))) == -4 * 3600


def test_local_range_across_a_gap_loses_the_hour() -> None:
    line = ZoneTimeline(load_zone("America/New_York"), epoch_seconds(utc(2024, 3, 9)),
                        epoch_seconds(utc(2024, 3, 12)))
    day = local_seconds(datetime(2024, 3, 10).date())
    assert line.local_range_to_utc(day + 3600, day + 4 * 3600) == [
        (epoch_seconds(utc(2024, 3, 10, 6)), epoch_seconds(utc(2024, 3, 10, 8)))]
    assert line.local_range_to_utc(day + 2 * 3600 + 600, day + 2 * 3600 + 1200) == []


def test_local_range_across_an_overlap_gains_the_hour() -> None:
    line = ZoneTimeline(load_zone("America/New_York"), epoch_seconds(utc(2024, 11, 2)),
                        epoch_seconds(utc(2024, 11, 5)))
    start = naive_local_seconds(datetime(2024, 11, 3, 1, 0))
    assert line.local_range_to_utc(start, start + 3600) == [
        (epoch_seconds(utc(2024, 11, 3, 5)), epoch_seconds(utc(2024, 11, 3, 7)))]
