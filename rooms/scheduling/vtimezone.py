"""VTIMEZONE components built from the zone's own transitions (see :mod:`.timeline`).

``icalendar.Timezone.from_tzinfo`` misses transitions that come close together: for
Africa/Cairo it leaves out 2010's September return to summer time and its end three weeks
later, so every reader put a 2010-09-30 session an hour off. Here the transitions are the
ones :class:`~rooms.scheduling.timeline.ZoneTimeline` finds (sampled and bisected to the
second), so the definition agrees with ``zoneinfo`` at every instant of its span.

Observances with the same kind, offsets and name are one component: the first
transition is its DTSTART, every later one an RDATE of its own line (some readers,
vobject among them, keep only the first date of an RDATE list).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import icalendar

from rooms.scheduling.timeline import DAY_S, ZoneTimeline, local_seconds
from rooms.scheduling.zones import load_zone

# Transitions of one zone are weeks apart (Cairo's 2010 pair: 20 days); sampling daily
# and bisecting finds each to the second, 24 times faster than the hourly default (for
# every zone, 1999-2046, the same transitions as hourly sampling: checked 2026-11-24).
VTIMEZONE_SAMPLE_S = DAY_S

Observance = tuple[bool, int, int, str]  # (daylight, offset from, offset to, name)


def build_vtimezone(zone: str, first: date, last: date) -> icalendar.Timezone:
    """The VTIMEZONE of ``zone`` valid for every instant from ``first`` to ``last``."""
    info = load_zone(zone)
    timeline = ZoneTimeline(
        info, local_seconds(first) - DAY_S, local_seconds(last) + DAY_S, VTIMEZONE_SAMPLE_S
    )
    starts: dict[Observance, list[datetime]] = {}
    previous = timeline.segments[0].offset
    for segment in timeline.segments:
        at = datetime.fromtimestamp(segment.start, UTC).astimezone(info)
        dst = at.dst()
        kind: Observance = (
            bool(dst and dst > timedelta(0)), previous, segment.offset, at.tzname() or zone
        )
        # DTSTART of an observance is the wall-clock time before the change (TZOFFSETFROM).
        wall = datetime.fromtimestamp(segment.start + previous, UTC).replace(tzinfo=None)
        starts.setdefault(kind, []).append(wall)
        previous = segment.offset
    definition = icalendar.Timezone()
    definition.add("tzid", zone)
    for (daylight, offset_from, offset_to, name), walls in starts.items():
        observance = icalendar.TimezoneDaylight() if daylight else icalendar.TimezoneStandard()
        observance.add("dtstart", walls[0])
        observance.add("tzoffsetfrom", timedelta(seconds=offset_from))
        observance.add("tzoffsetto", timedelta(seconds=offset_to))
        observance.add("tzname", name)
        for wall in walls[1:]:
            observance.add("rdate", wall)
        definition.add_component(observance)
    return definition
