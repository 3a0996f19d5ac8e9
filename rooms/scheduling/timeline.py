"""A zone's UTC offsets over a stretch of time, to turn local wall-clock ranges into instants.

zoneinfo answers "what is the offset at this instant" but does not list its transitions, so
:class:`ZoneTimeline` finds them: it samples the offset every hour and bisects to the second
where it changes. Between two transitions the offset is constant, and a local range maps to
UTC by subtracting it. Doing that per constant-offset segment gives exactly the set of
instants whose wall-clock reading lies in the range (policy 4 in :mod:`.zones`): time in a
gap is lost, time in an overlap counts twice, a skipped date maps to nothing.

Times here are integer seconds: UTC instants as seconds since the epoch, and "local
seconds" as the naive wall-clock time read as if it were UTC (``instant + offset``).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from rooms.scheduling.intervals import Interval, normalize

# Real transitions are months apart; two inside one hour that cancel out would be missed.
SAMPLE_S = 3600
DAY_S = 86_400
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def local_seconds(day: date, at: time | None = None) -> int:
    """The naive wall-clock time ``day`` + ``at`` as "local seconds" (read as if UTC)."""
    seconds = (day.toordinal() - _EPOCH_ORDINAL) * DAY_S
    if at is not None:
        seconds += at.hour * 3600 + at.minute * 60 + at.second
    return seconds


def naive_local_seconds(local: datetime) -> int:
    """A naive local datetime as "local seconds"."""
    if local.tzinfo is not None:
        raise ValueError("expected a naive local datetime")
    return local_seconds(local.date(), local.time())


def offset_seconds(zone: ZoneInfo, instant: int) -> int:
    """The UTC offset of ``zone`` at the UTC instant ``instant``, in seconds."""
    offset = datetime.fromtimestamp(instant, zone).utcoffset()
    assert offset is not None  # a ZoneInfo always has one
    return int(offset.total_seconds())


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch [start, end) of UTC seconds over which the zone's offset is constant."""

    start: int
    end: int
    offset: int


class ZoneTimeline:
    """The constant-offset segments of one zone over [start, end) in UTC seconds."""

    def __init__(self, zone: ZoneInfo, start: int, end: int, sample_s: int = SAMPLE_S) -> None:
        if end <= start:
            raise ValueError("a timeline needs end > start")
        self.zone = zone
        self.sample_s = sample_s
        self.start = start
        self.end = end
        self.segments: tuple[Segment, ...] = tuple(self._find_segments())
        self._starts = [s.start for s in self.segments]

    def _find_segments(self) -> list[Segment]:
        zone = self.zone
        segments: list[Segment] = []
        seg_start = t = self.start
        offset = offset_seconds(zone, t)
        while t < self.end:
            nxt = min(t + self.sample_s, self.end)
            if offset_seconds(zone, nxt) == offset:
                t = nxt
                continue
            lo, hi = t, nxt  # offset(lo) == offset != offset(hi): bisect to the second
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if offset_seconds(zone, mid) == offset:
                    lo = mid
                else:
                    hi = mid
            segments.append(Segment(seg_start, hi, offset))
            seg_start = t = hi
            offset = offset_seconds(zone, hi)
        segments.append(Segment(seg_start, self.end, offset))
        return segments

    def offset_at(self, instant: int) -> int:
        """The offset in force at ``instant`` (looked up; computed if outside the span)."""
        if not self.start <= instant < self.end:
            return offset_seconds(self.zone, instant)
        return self.segments[bisect_right(self._starts, instant) - 1].offset

    def transitions(self) -> list[int]:
        """The UTC instants inside the span where the offset changes."""
        return [s.start for s in self.segments[1:]]

    def local_range_to_utc(self, local_start: int, local_end: int) -> list[Interval]:
        """The instants whose wall-clock reading is in [local_start, local_end), merged.

        Only instants inside the timeline's span are returned.
        """
        found: list[Interval] = []
        for seg in self.segments:
            lo = max(local_start - seg.offset, seg.start)
            hi = min(local_end - seg.offset, seg.end)
            if lo < hi:
                found.append((lo, hi))
        return normalize(found) if len(found) > 1 else found

    def local_ranges_to_utc(self, ranges: list[Interval]) -> list[Interval]:
        """:meth:`local_range_to_utc` over many local ranges, as one normalised list."""
        found: list[Interval] = []
        for local_start, local_end in ranges:
            found.extend(self.local_range_to_utc(local_start, local_end))
        return normalize(found)
