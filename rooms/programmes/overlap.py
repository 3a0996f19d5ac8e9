"""Weekly overlap of two people's availability, in a real week, with the scheduling engine.

A week is the UTC span [Monday 00:00 UTC, next Monday 00:00 UTC) of a given date: each
person's free instants in it come from
:meth:`~rooms.scheduling.availability.Availability.free_intervals` (their windows read on
the wall clock of their own zone with the rules of that very week, so a DST change inside
the week or between the two zones' changes is counted right), and the overlap is the
interval intersection. For many pairs at once the same intervals are laid on a minute grid
(windows are whole minutes and so are today's UTC offsets, so the grid is exact) and the
overlaps of every pair are one matrix product.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import numpy as np
import numpy.typing as npt

from rooms.scheduling.availability import Availability
from rooms.scheduling.intervals import Interval, intersect, total
from rooms.scheduling.timeline import ZoneTimeline
from rooms.scheduling.zones import epoch_seconds, load_zone

WEEK_S = 7 * 86400
WEEK_MIN = 7 * 1440
PARTS = ((0, 12, "mornings"), (12, 17, "afternoons"), (17, 24, "evenings"))


def week_span(week_of: date) -> tuple[int, int]:
    """The UTC seconds of the week (Monday to Monday, UTC) holding ``week_of``."""
    monday = week_of - timedelta(days=week_of.weekday())
    start = epoch_seconds(datetime(monday.year, monday.month, monday.day, tzinfo=UTC))
    return start, start + WEEK_S


def free_week(availability: Availability, span: tuple[int, int],
              timelines: dict[str, ZoneTimeline] | None = None) -> list[Interval]:
    """The person's free instants in the week; ``timelines`` caches each zone's offsets
    over the span (many people share a zone)."""
    if timelines is None:
        return availability.free_intervals(span[0], span[1])
    line = timelines.get(availability.zone)
    if line is None:
        line = timelines[availability.zone] = availability.timeline(span[0], span[1])
    return availability.free_intervals(span[0], span[1], line)


def overlap_intervals(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """The instants both are free."""
    return intersect(a, b)


def overlap_hours(a: list[Interval], b: list[Interval]) -> float:
    """Hours a week both are free."""
    return total(intersect(a, b)) / 3600


def minute_grid(free: Sequence[list[Interval]], span: tuple[int, int]) -> npt.NDArray[np.float32]:
    """One row per person, one column per minute of the week: 1 where they are free."""
    grid = np.zeros((len(free), WEEK_MIN), dtype=np.float32)
    for row, intervals in enumerate(free):
        for start, end in intervals:
            lo = (start - span[0]) // 60
            hi = -(-(end - span[0]) // 60)
            grid[row, lo:hi] = 1.0
    return grid


def overlap_matrix(mentors: npt.NDArray[np.float32],
                   mentees: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """Hours of common free time of every (mentor, mentee) pair (float32 sums of 0/1 up
    to 10,080 are exact)."""
    return (mentors @ mentees.T).astype(np.float64) / 60.0


def describe(overlap: list[Interval], zone: str) -> str:
    """``Tue/Thu mornings``: the days and parts of the day (mornings before 12:00,
    afternoons to 17:00, evenings after) holding at least 15 minutes of the overlap, read
    on the wall clock of ``zone`` (each interval from its local start)."""
    tz = load_zone(zone)
    seen: dict[str, list[str]] = {}
    for start, end in overlap:
        local = datetime.fromtimestamp(start, tz).replace(tzinfo=None)
        stop = local + timedelta(seconds=end - start)
        day = local.replace(hour=0, minute=0, second=0, microsecond=0)
        while day < stop:
            for lo, hi, part in PARTS:
                begin = max(local, day + timedelta(hours=lo))
                finish = min(stop, day + timedelta(hours=hi))
                if finish - begin >= timedelta(minutes=15):
                    days = seen.setdefault(part, [])
                    if day.strftime("%a") not in days:
                        days.append(day.strftime("%a"))
            day += timedelta(days=1)
    order = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    texts = [f"{'/'.join(sorted(seen[part], key=order.index))} {part}"
             for _, _, part in PARTS if part in seen]
    return ", ".join(texts) or "no common time"
