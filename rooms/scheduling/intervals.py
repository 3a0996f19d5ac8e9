"""Half-open intervals of integer seconds and the set operations slot finding needs.

An interval list is *normalised* when it is sorted, every interval is non-empty and no two
intervals overlap or touch. Every function here takes and returns normalised lists (except
:func:`normalize`, which makes one), in time linear in the lengths of its inputs.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable

Interval = tuple[int, int]
"""[start, end) in seconds; start < end."""


def _start(interval: Interval) -> int:
    return interval[0]


def normalize(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort, drop empty intervals and merge overlapping or touching ones."""
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """The instants in both ``a`` and ``b``."""
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start = max(a[i][0], b[j][0])
        end = min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """The instants in ``a`` but not in ``b``."""
    out: list[Interval] = []
    j = 0
    for start, end in a:
        while j < len(b) and b[j][1] <= start:
            j += 1
        k = j
        cursor = start
        while k < len(b) and b[k][0] < end:
            if b[k][0] > cursor:
                out.append((cursor, b[k][0]))
            cursor = max(cursor, b[k][1])
            k += 1
        if cursor < end:
            out.append((cursor, end))
    return out


def clip(a: list[Interval], lo: int, hi: int) -> list[Interval]:
    """The parts of ``a`` inside [lo, hi)."""
    return [(max(s, lo), min(e, hi)) for s, e in a if s < hi and e > lo]


def covers(a: list[Interval], start: int, end: int) -> bool:
    """True if one interval of ``a`` holds all of [start, end)."""
    k = bisect_right(a, start, key=_start) - 1
    return k >= 0 and a[k][0] <= start and end <= a[k][1]


def total(a: list[Interval]) -> int:
    """The number of seconds ``a`` covers."""
    return sum(e - s for s, e in a)
