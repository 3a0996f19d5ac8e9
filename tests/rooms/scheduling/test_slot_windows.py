"""A pair search one window at a time finds exactly the slots of the whole search."""

from __future__ import annotations

from datetime import timedelta
from itertools import chain

import pytest

from rooms.clock import ManualClock
from rooms.scheduling.slots import BusySpan, SlotFinder, SlotQuery
from tests.rooms.scheduling.builders import every_day, schedule, utc

CASES = [
    # (organiser zone and windows, other zone and windows): DST changes inside the range.
    (("America/Los_Angeles", "16:00-18:00", "22:30-00:00"), ("Asia/Tokyo", "08:30-12:00")),
    (("Pacific/Chatham", "00:00-00:00"), ("Australia/Lord_Howe", "06:15-23:45")),
    (("Europe/London", "00:50-01:10", "23:00-00:00"), ("America/Sao_Paulo", "00:00-00:00")),
]


@pytest.mark.parametrize(("mine", "theirs"), CASES)
@pytest.mark.parametrize("window_h", [1, 13, 24, 84, 24 * 7, 24 * 40])
@pytest.mark.parametrize("length", [15, 60])
def test_windows_find_the_same_slots(mine: tuple[str, ...], theirs: tuple[str, ...],
                                     window_h: int, length: int) -> None:
    finder = SlotFinder(ManualClock(utc(2026, 2, 27).timestamp()))
    busy = [BusySpan(utc(2026, 3, 8, 9), utc(2026, 3, 8, 10, 30), 600),
            BusySpan(utc(2026, 3, 29, 0, 50), utc(2026, 3, 29, 1, 20))]
    organiser = schedule("org", every_day(*mine), busy)
    other = schedule("other", every_day(*theirs))
    query = SlotQuery(start=utc(2026, 3, 1), end=utc(2026, 4, 30, 7, 45), length_min=length,
                      buffer_min=10, notice_min=120)
    whole = finder.pair(organiser, other, query)
    parts = list(finder.pair_by_window(organiser, other, query, timedelta(hours=window_h)))
    assert list(chain.from_iterable(parts)) == whole and whole
    assert all(query.start + k * timedelta(hours=window_h) <= s.start
               < query.start + (k + 1) * timedelta(hours=window_h)
               for k, part in enumerate(parts) for s in part)
    for limit in (1, 7, len(whole) - 1):
        parts = list(finder.pair_by_window(organiser, other, query,
                                           timedelta(hours=window_h), limit))
        assert list(chain.from_iterable(parts)) == whole[:limit]
        assert parts[-1], "no window is looked at once the limit is reached"
