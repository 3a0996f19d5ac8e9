"""Finding a time: common free slots for a pair, ranked slots for a roundtable.

A slot is offered only if it lies inside every required person's availability (see
:mod:`.availability`), keeps ``buffer`` clear of each of their existing bookings (a booking
blocks ``[start - b, end + b)`` with ``b`` the larger of its own buffer and the query's),
starts no earlier than ``now + notice``, and lies inside the query's range. Starts sit on a
grid of ``step`` minutes from local midnight in the *organiser's* zone (policy 7 of
:mod:`.zones`), so a Kathmandu organiser sees 09:00, 09:15... and not 09:00 UTC.

For a roundtable only the host is required; the candidates are ranked by how many invitees
can attend inside their own availability, then by start. Every slot carries its local time
in every participant's zone.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Self

from pydantic import Field, model_validator

from rooms.clock import Clock, SystemClock
from rooms.errors import RoomError
from rooms.models import WireModel
from rooms.scheduling.availability import Availability
from rooms.scheduling.intervals import Interval, intersect, normalize, subtract
from rooms.scheduling.timeline import ZoneTimeline
from rooms.scheduling.zones import (
    UtcDatetime,
    epoch_seconds,
    from_epoch,
    load_zone,
    to_utc_lenient,
)

SLOT_LENGTHS_MIN = (15, 30, 45, 60)  # 15/30/45 coffee, 60 roundtable
STEPS_MIN = (5, 10, 15, 20, 30, 60)  # each divides a day, so the grid restarts at midnight
MAX_RANGE = timedelta(days=90)  # local days (see local_day_range)
# The UTC span of MAX_RANGE local days can be longer by a zone's offset changes (an hour
# at a DST change); a query may span this much.
MAX_SPAN = MAX_RANGE + timedelta(days=1)
MAX_BUFFER_MIN = 120
MAX_NOTICE_MIN = 30 * 24 * 60
DEFAULT_ROUNDTABLE_LIMIT = 20
SEARCH_WINDOW = timedelta(days=7)  # a pair search's unit of work (see pair_by_window)


class SlotQuery(WireModel):
    """What to look for: a length, a range, buffers, notice and the grid step."""

    start: UtcDatetime
    end: UtcDatetime
    length_min: int
    buffer_min: int = Field(default=0, ge=0, le=MAX_BUFFER_MIN)
    notice_min: int = Field(default=0, ge=0, le=MAX_NOTICE_MIN)
    step_min: int = 15

    @model_validator(mode="after")
    def _valid(self) -> Self:
        if self.end <= self.start:
            raise RoomError("invalid_range")
        if self.end - self.start > MAX_SPAN:
            raise RoomError("range_too_long", f"Look at most {MAX_RANGE.days} days ahead.")
        if self.length_min not in SLOT_LENGTHS_MIN:
            raise RoomError(
                "invalid_duration",
                f"Sessions last {', '.join(map(str, SLOT_LENGTHS_MIN))} minutes.",
            )
        if self.step_min not in STEPS_MIN:
            raise ValueError(f"step_min must be one of {STEPS_MIN}")
        return self


@dataclass(frozen=True, slots=True)
class BusySpan:
    """An existing commitment: [start, end) plus the buffer it wants kept clear around it."""

    start: datetime
    end: datetime
    buffer_s: int = 0

    def blocked(self, buffer_s: int) -> Interval:
        """The UTC seconds no new meeting may touch, given the new meeting's buffer."""
        pad = max(self.buffer_s, buffer_s)
        return epoch_seconds(self.start) - pad, epoch_seconds(self.end) + pad


@dataclass(frozen=True)
class PersonSchedule:
    """Someone to meet: who, when they are available, and what they already have on."""

    identity: str
    availability: Availability
    busy: Sequence[BusySpan] = ()


@dataclass(frozen=True, slots=True)
class LocalTime:
    """A slot as one participant sees it: aware datetimes in their zone."""

    identity: str
    zone: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Slot:
    """A suggested meeting time, with who can come and everyone's local times."""

    start: datetime
    end: datetime
    local: tuple[LocalTime, ...]
    available: tuple[str, ...]
    unavailable: tuple[str, ...] = field(default=())

    def local_for(self, identity: str) -> LocalTime:
        """This slot in ``identity``'s zone (KeyError if not a participant)."""
        for entry in self.local:
            if entry.identity == identity:
                return entry
        raise KeyError(identity)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready form: ISO 8601 times, UTC ones with ``Z``, local ones with offset."""
        return {
            "start": self.start.isoformat().replace("+00:00", "Z"),
            "end": self.end.isoformat().replace("+00:00", "Z"),
            "local": {
                t.identity: {"zone": t.zone, "start": t.start.isoformat(),
                             "end": t.end.isoformat()}
                for t in self.local
            },
            "available": list(self.available),
            "unavailable": list(self.unavailable),
        }


def aligned_starts(
    free: list[Interval], length: int, step: int, organiser: ZoneTimeline
) -> Iterator[int]:
    """Start instants on the organiser's local grid whose slot fits inside ``free``."""
    segments = organiser.segments
    for lo_free, hi_free in free:
        last = hi_free - length
        for seg in segments:
            lo = max(lo_free, seg.start)
            hi = min(last, seg.end - 1)
            if lo > hi:
                continue
            yield from range(lo + (-(lo + seg.offset)) % step, hi + 1, step)


class SlotFinder:
    """Computes suggested slots; "now" (for the minimum notice) comes from ``clock``."""

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock: Clock = clock if clock is not None else SystemClock()

    def _span(self, query: SlotQuery) -> Interval:
        earliest = math.ceil(self._clock.now()) + query.notice_min * 60
        return max(epoch_seconds(query.start), earliest), epoch_seconds(query.end)

    @staticmethod
    def _free(person: PersonSchedule, span: Interval, buffer_s: int,
              timeline: ZoneTimeline) -> list[Interval]:
        free = person.availability.free_intervals(span[0], span[1], timeline)
        return subtract(free, normalize(b.blocked(buffer_s) for b in person.busy))

    @staticmethod
    def _slot(start: int, length: int, people: Sequence[PersonSchedule],
              available: tuple[str, ...], unavailable: tuple[str, ...] = ()) -> Slot:
        local = tuple(
            LocalTime(
                identity=p.identity,
                zone=p.availability.zone,
                start=datetime.fromtimestamp(start, load_zone(p.availability.zone)),
                end=datetime.fromtimestamp(start + length, load_zone(p.availability.zone)),
            )
            for p in people
        )
        return Slot(from_epoch(start), from_epoch(start + length), local, available,
                    unavailable)

    def pair(self, organiser: PersonSchedule, other: PersonSchedule, query: SlotQuery,
             limit: int | None = None) -> list[Slot]:
        """Every slot both people can make, earliest first (at most ``limit``)."""
        if organiser.identity == other.identity:
            raise ValueError("a pair needs two different people")
        lo, hi = self._span(query)
        if hi - lo < query.length_min * 60:
            return []
        buffer_s = query.buffer_min * 60
        org_line = organiser.availability.timeline(lo, hi)
        free = intersect(
            self._free(organiser, (lo, hi), buffer_s, org_line),
            self._free(other, (lo, hi), buffer_s, other.availability.timeline(lo, hi)),
        )
        people = (organiser, other)
        both = (organiser.identity, other.identity)
        length = query.length_min * 60
        slots: list[Slot] = []
        for start in aligned_starts(free, length, query.step_min * 60, org_line):
            if limit is not None and len(slots) >= limit:
                break
            slots.append(self._slot(start, length, people, both))
        return slots

    def pair_by_window(self, organiser: PersonSchedule, other: PersonSchedule,
                       query: SlotQuery, window: timedelta = SEARCH_WINDOW,
                       limit: int | None = None) -> Iterator[list[Slot]]:
        """:meth:`pair` one ``window`` of the range at a time, earliest first: the same
        slots (at most ``limit``), but no window is looked at after the limit is reached,
        and an async caller can let other work run between windows."""
        start, end = query.start, query.end
        left = limit
        while start < end and (left is None or left > 0):
            stop = min(start + window, end)
            # Slots starting before ``stop`` may end after it: look that much further.
            reach = min(stop + timedelta(minutes=query.length_min), end)
            part = query.model_copy(update={"start": start, "end": reach})
            found = [s for s in self.pair(organiser, other, part, left) if s.start < stop]
            if left is not None:
                left -= len(found)
            yield found
            start = stop

    def roundtable(self, host: PersonSchedule, invitees: Sequence[PersonSchedule],
                   query: SlotQuery, limit: int = DEFAULT_ROUNDTABLE_LIMIT,
                   min_attendees: int = 1) -> list[Slot]:
        """Slots the host can make, ranked by how many invitees can come, then by start."""
        people = (host, *invitees)
        if len({p.identity for p in people}) != len(people):
            raise ValueError("every participant must appear once")
        lo, hi = self._span(query)
        if hi - lo < query.length_min * 60:
            return []
        buffer_s = query.buffer_min * 60
        length = query.length_min * 60
        host_line = host.availability.timeline(lo, hi)
        starts = list(aligned_starts(self._free(host, (lo, hi), buffer_s, host_line),
                                     length, query.step_min * 60, host_line))
        who: list[list[str]] = [[] for _ in starts]
        for invitee in invitees:
            free = self._free(invitee, (lo, hi), buffer_s,
                              invitee.availability.timeline(lo, hi))
            k = 0
            for i, start in enumerate(starts):  # both sorted: one sweep per invitee
                while k < len(free) and free[k][1] < start + length:
                    k += 1
                if k < len(free) and free[k][0] <= start:
                    who[i].append(invitee.identity)
        ranked = sorted(
            (i for i in range(len(starts)) if len(who[i]) >= min_attendees),
            key=lambda i: (-len(who[i]), starts[i]),
        )[:limit]
        slots = []
        for i in ranked:
            came = set(who[i])
            slots.append(self._slot(
                starts[i], length, people, (host.identity, *who[i]),
                tuple(p.identity for p in invitees if p.identity not in came),
            ))
        return slots


def local_day_range(zone: str, first: date, last: date) -> tuple[datetime, datetime]:
    """[first 00:00, the day after last 00:00) in ``zone``, as UTC instants.

    ``range_too_long`` for more than ``MAX_RANGE`` local days (counted as days, so 90 days
    across a DST change are 90 days, not 90 days and an hour)."""
    if (last - first).days + 1 > MAX_RANGE.days:
        raise RoomError("range_too_long", f"Look at most {MAX_RANGE.days} days ahead.")
    start, _ = to_utc_lenient(datetime.combine(first, time()), zone)
    end, _ = to_utc_lenient(datetime.combine(last + timedelta(days=1), time()), zone)
    return start, end
