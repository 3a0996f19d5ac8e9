"""Recurring sessions: weekly, every other week, monthly by weekday (e.g. 2nd Tuesday).

A :class:`Series` is a wall-clock start in the organiser's zone plus a rule. It is expanded
with dateutil's ``rrule`` on *naive local* times, so 09:00 stays 09:00 for the organiser
across DST while everyone else's local time moves; each local occurrence then becomes an
instant by the RFC 5545 rule of :mod:`.zones` (policy 5: a time in a gap moves later by the
gap, an ambiguous time is the first of the two; occurrences that land on one instant are
kept once).

Changes, as in iCalendar:

* :meth:`Series.without` drops one occurrence (an EXDATE);
* :meth:`Series.move` moves one occurrence (a RECURRENCE-ID override); the new time is a
  request, so it follows the strict policy (``nonexistent_local_time``,
  ``ambiguous_local_time`` unless ``fold`` is given);
* :meth:`Series.split` changes "this and all following": the series is cut just before the
  occurrence and a new series starts there. Exceptions and moves after the cut go with the
  new series if its start time is unchanged and are dropped if it changes (their
  occurrences no longer exist).

An occurrence is named by its ``recurrence_id``: its original naive local start.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import takewhile
from typing import Annotated, Self

from dateutil.rrule import (  # type: ignore[import-untyped, unused-ignore]
    MONTHLY,
    WEEKLY,
    rrule,
    weekday,
)
from pydantic import Field, StringConstraints, model_validator

from rooms.errors import RoomError
from rooms.models import WireModel
from rooms.scheduling.bookings import Attendee, Booking
from rooms.scheduling.zones import (
    LocalKind,
    UtcDatetime,
    ZoneName,
    require_utc,
    to_utc_lenient,
    to_utc_strict,
)

SeriesId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,48}$")]
MAX_COUNT = 520
MAX_EXPANSION = timedelta(days=366)
_MARGIN = timedelta(days=3)  # offsets (< 1 day) plus the longest gap (Apia's 1 day)


class Frequency(StrEnum):
    """How often a series repeats."""

    WEEKLY = "weekly"
    MONTHLY = "monthly"


class Recurrence(WireModel):
    """The rule: every ``interval`` weeks, or every ``interval`` months on the n-th weekday.

    ``week_of_month`` (1-5, or -1 for the last) defaults to the start's own; ``until`` is a
    naive local time in the series' zone, inclusive. At most one of ``count``/``until``.
    """

    frequency: Frequency
    interval: int = Field(default=1, ge=1, le=12)
    week_of_month: int | None = Field(default=None, ge=-1, le=5)
    count: int | None = Field(default=None, ge=1, le=MAX_COUNT)
    until: datetime | None = None

    @model_validator(mode="after")
    def _valid(self) -> Self:
        if self.count is not None and self.until is not None:
            raise ValueError("give count or until, not both")
        if self.until is not None and self.until.tzinfo is not None:
            raise ValueError("until is a local wall-clock time: no offset or zone")
        if self.frequency is Frequency.WEEKLY and (self.interval > 4 or self.week_of_month):
            raise ValueError("a weekly series repeats every 1 to 4 weeks, on one weekday")
        if self.week_of_month == 0:
            raise ValueError("week_of_month is 1 to 5, or -1 for the last")
        return self


def week_of_month(day: datetime) -> int:
    """Which occurrence of its weekday in its month ``day`` is (1 to 5)."""
    return (day.day - 1) // 7 + 1


def is_last_of_month(day: datetime) -> bool:
    """Whether ``day`` is the last of its weekday in its month."""
    return day.day + 7 > calendar.monthrange(day.year, day.month)[1]


class MovedOccurrence(WireModel):
    """One occurrence moved to another time (or length)."""

    recurrence_id: datetime
    start: UtcDatetime
    end: UtcDatetime


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One session of a series: its id, its instants, and how its local time resolved."""

    recurrence_id: datetime
    start: datetime
    end: datetime
    kind: LocalKind
    moved: bool = False


class Series(WireModel):
    """A recurring session in the organiser's ``zone``, starting at local ``start``."""

    series_id: SeriesId
    zone: ZoneName
    start: datetime
    length_min: int = Field(ge=1, le=24 * 60)
    recurrence: Recurrence
    exdates: tuple[datetime, ...] = ()
    moved: tuple[MovedOccurrence, ...] = ()

    @model_validator(mode="after")
    def _valid(self) -> Self:
        if self.start.tzinfo is not None:
            raise ValueError("start is a local wall-clock time: no offset or zone")
        if self.start.second or self.start.microsecond:
            raise ValueError("start is a whole minute")
        nth = self.recurrence.week_of_month
        if nth is not None and (
            not is_last_of_month(self.start) if nth == -1 else week_of_month(self.start) != nth
        ):
            raise ValueError("start is not on the rule's week of the month")
        if self.recurrence.until is not None and self.recurrence.until < self.start:
            raise ValueError("until is before start")
        return self

    @property
    def length(self) -> timedelta:
        return timedelta(minutes=self.length_min)

    def rule(self) -> rrule:
        """The dateutil rule over naive local times."""
        rec = self.recurrence
        if rec.frequency is Frequency.WEEKLY:
            return rrule(WEEKLY, dtstart=self.start, interval=rec.interval,
                         count=rec.count, until=rec.until)
        nth = rec.week_of_month or week_of_month(self.start)
        return rrule(MONTHLY, dtstart=self.start, interval=rec.interval,
                     byweekday=weekday(self.start.weekday(), nth),
                     count=rec.count, until=rec.until)

    def is_occurrence(self, recurrence_id: datetime) -> bool:
        """Whether the rule produces ``recurrence_id`` (exceptions not considered)."""
        return recurrence_id.tzinfo is None and recurrence_id in self.rule()

    def _require(self, recurrence_id: datetime) -> None:
        if not self.is_occurrence(recurrence_id) or recurrence_id in self.exdates:
            raise RoomError("occurrence_not_found")

    def occurrences(self, start: datetime, end: datetime) -> list[Occurrence]:
        """The sessions overlapping [start, end) (at most 366 days), by start."""
        lo, hi = require_utc(start), require_utc(end)
        if hi <= lo:
            raise RoomError("invalid_range")
        if hi - lo > MAX_EXPANSION:
            raise RoomError("range_too_long", "Expand at most a year at a time.")
        skip = set(self.exdates) | {m.recurrence_id for m in self.moved}
        naive_lo = lo.replace(tzinfo=None) - _MARGIN
        naive_hi = hi.replace(tzinfo=None) + _MARGIN
        found: dict[datetime, Occurrence] = {}
        for local in self.rule().between(naive_lo, naive_hi, inc=True):
            if local in skip:
                continue
            at, kind = to_utc_lenient(local, self.zone)
            if at < hi and at + self.length > lo and at not in found:
                found[at] = Occurrence(local, at, at + self.length, kind)
        shown = list(found.values())
        shown += [
            Occurrence(m.recurrence_id, m.start, m.end, LocalKind.NORMAL, moved=True)
            for m in self.moved
            if m.start < hi and m.end > lo
        ]
        return sorted(shown, key=lambda o: (o.start, o.recurrence_id))

    def without(self, recurrence_id: datetime) -> Series:
        """This series without the occurrence ``recurrence_id`` (an EXDATE)."""
        self._require(recurrence_id)
        return self._copy(
            exdates=tuple(sorted({*self.exdates, recurrence_id})),
            moved=tuple(m for m in self.moved if m.recurrence_id != recurrence_id),
        )

    def move(self, recurrence_id: datetime, new_start: datetime, fold: int | None = None,
             length_min: int | None = None) -> Series:
        """This series with one occurrence moved to local ``new_start`` (strict policy)."""
        self._require(recurrence_id)
        start = to_utc_strict(new_start, self.zone, fold)
        length = timedelta(minutes=length_min if length_min is not None else self.length_min)
        moved = MovedOccurrence(recurrence_id=recurrence_id, start=start, end=start + length)
        kept = tuple(m for m in self.moved if m.recurrence_id != recurrence_id)
        return self._copy(moved=tuple(sorted((*kept, moved), key=lambda m: m.recurrence_id)))

    def split(self, recurrence_id: datetime, new_series_id: str,
              new_start: datetime | None = None,
              length_min: int | None = None) -> tuple[Series | None, Series]:
        """Change "this and all following": (the series before, the new series from here).

        The first is None when the cut is at the very first occurrence.
        """
        if not self.is_occurrence(recurrence_id):
            raise RoomError("occurrence_not_found")
        rec = self.recurrence
        before = sum(1 for _ in takewhile(lambda d: d < recurrence_id, self.rule()))
        head = None
        if before:
            head_rule = rec.model_copy(update={
                "count": before if rec.count is not None else None,
                "until": None if rec.count is not None else recurrence_id - timedelta(seconds=1),
            })
            head = self._copy(
                recurrence=head_rule,
                exdates=tuple(d for d in self.exdates if d < recurrence_id),
                moved=tuple(m for m in self.moved if m.recurrence_id < recurrence_id),
            )
        same_time = new_start is None or new_start == recurrence_id
        tail_rule = rec.model_copy(update={
            "count": rec.count - before if rec.count is not None else None,
        })
        tail = Series(
            series_id=new_series_id,
            zone=self.zone,
            start=recurrence_id if new_start is None else new_start,
            length_min=length_min if length_min is not None else self.length_min,
            recurrence=tail_rule,
            exdates=tuple(d for d in self.exdates if d >= recurrence_id) if same_time else (),
            moved=tuple(m for m in self.moved if m.recurrence_id >= recurrence_id)
            if same_time else (),
        )
        return head, tail

    def _copy(self, **changes: object) -> Series:
        data = self.model_dump()
        data.update(changes)
        return Series.model_validate(data)


def occurrence_bookings(series: Series, occurrences: Sequence[Occurrence], organiser: Attendee,
                        attendees: Sequence[Attendee], now: float, title: str = "",
                        buffer_s: int = 0) -> list[Booking]:
    """One booking per occurrence, ids ``<series_id>-<local start as YYYYmmddTHHMM>``.

    Book them with ``BookingStore.create_all`` so that the series is booked whole or not at
    all. Each booking is meant in the series' zone and keeps its RECURRENCE-ID instant.
    """
    bookings = []
    for occ in occurrences:
        original, _ = to_utc_lenient(occ.recurrence_id, series.zone)
        bookings.append(Booking.new(
            f"{series.series_id}-{occ.recurrence_id:%Y%m%dT%H%M}", organiser, attendees,
            occ.start, occ.end, now, title=title, buffer_s=buffer_s, zone=series.zone,
            series_id=series.series_id, recurrence_id=original,
        ))
    return bookings
