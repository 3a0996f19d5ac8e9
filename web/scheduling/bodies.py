"""Request bodies and query parameters of the scheduling API (docs/scheduling-api.md).

Every JSON body is a strict pydantic model with unknown fields refused, validated from
the raw JSON (``model_validate_json``) so that dates and times arrive as ISO 8601 strings
and nothing else is coerced. Checks whose failure has its own code raise
:class:`~rooms.errors.RoomError` from inside validation (pydantic lets it through):
``unknown_zone``, ``invalid_range`` (an end before its start), ``range_too_long``; every
other problem is a ``ValidationError`` and becomes ``invalid_body``.

Local times in availability follow policy 4 of :mod:`rooms.scheduling.zones` (a window
is the set of instants whose wall-clock reading is inside it: a window across a DST gap is
shorter, one across a repeated hour longer; neither is an error). A booking's
``local_start`` follows policy 3 (strict: ``nonexistent_local_time``,
``ambiguous_local_time`` unless ``fold`` says which).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    NaiveDatetime,
    StringConstraints,
    field_validator,
    model_validator,
)

from rooms.errors import RoomError
from rooms.models import DisplayName
from rooms.scheduling.availability import FIRST_YEAR, LAST_YEAR, MAX_EXTRA_SLOT, Availability
from rooms.scheduling.bookings import MAX_ATTENDEES, Email
from rooms.scheduling.recurrence import Frequency, Recurrence
from rooms.scheduling.zones import ZoneName, check_zone_name, to_utc_strict

WeekdayKey = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
PersonId = Annotated[str, StringConstraints(min_length=1, max_length=128)]
ZoneText = Annotated[str, StringConstraints(min_length=1, max_length=64)]
SessionLength = Literal[15, 30, 45, 60]
MAX_SERIES_COUNT = 52
MAX_DAYS_OFF = 1000
MAX_EXTRA = 500
DEFAULT_SLOTS_PAGE = 100
MAX_SLOTS_PAGE = 500


def _zone(value: str) -> str:
    check_zone_name(value)  # unknown_zone, with the name in the message
    return value


class StrictBody(BaseModel):
    """Base of the JSON bodies: strict types, unknown fields refused."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=False)


class PersonBody(StrictBody):
    """Body of ``POST /api/people``."""

    display_name: DisplayName
    role: Literal["mentor", "mentee", "host"]
    zone: ZoneText
    email: Email | None = None

    @field_validator("zone")
    @classmethod
    def _valid_zone(cls, value: str) -> str:
        return _zone(value)


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


class AvailabilityBody(StrictBody):
    """Body of ``PUT /api/me/availability``: local times in ``zone``.

    ``weekly`` maps a weekday to ``[start, end]`` pairs ("08:30", "12:00"; an end of
    "00:00" is midnight at the end of the day); ``days_off`` are local dates; ``extra``
    are one-off ``[start, end]`` local date-times (at most 14 days each).
    """

    zone: ZoneText
    weekly: dict[WeekdayKey, list[tuple[time, time]]] = Field(default_factory=dict)
    days_off: list[date] = Field(default_factory=list, max_length=MAX_DAYS_OFF)
    extra: list[tuple[NaiveDatetime, NaiveDatetime]] = Field(default_factory=list,
                                                             max_length=MAX_EXTRA)

    @field_validator("zone")
    @classmethod
    def _valid_zone(cls, value: str) -> str:
        return _zone(value)

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        for day, windows in self.weekly.items():
            for start, end in windows:
                if _minutes(end) != 0 and _minutes(end) <= _minutes(start):
                    raise RoomError(
                        "invalid_range",
                        f"The {day} window {start:%H:%M}-{end:%H:%M} ends before it starts.")
        for when in [*self.days_off, *(d.date() for slot in self.extra for d in slot)]:
            if not FIRST_YEAR <= when.year <= LAST_YEAR:
                raise RoomError("invalid_range",
                                f"Days off and extra slots lie between {FIRST_YEAR} and "
                                f"{LAST_YEAR}.")
        for first, last in self.extra:
            if last <= first:
                raise RoomError("invalid_range", "An extra slot must end after it starts.")
            if last - first > MAX_EXTRA_SLOT:
                raise RoomError("range_too_long", "An extra slot lasts at most 14 days.")
        return self

    def availability(self) -> Availability:
        """The domain availability (ValidationError for what the domain refuses)."""
        return Availability.model_validate({
            "zone": self.zone,
            "weekly": {day: tuple(windows) for day, windows in self.weekly.items()},
            "days_off": tuple(self.days_off),
            "extra": tuple(self.extra),
        })


class SlotsParams(BaseModel):
    """Query of ``GET /api/slots`` (query strings, so lax types)."""

    model_config = ConfigDict(extra="forbid")

    with_: PersonId = Field(alias="with")
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    length: int = 30
    limit: int = Field(default=DEFAULT_SLOTS_PAGE, ge=1, le=MAX_SLOTS_PAGE,
                       description="slots per page")
    after: AwareDatetime | None = Field(
        default=None, description="only slots starting after this instant (the last start "
                                  "of the previous page; see the Link header)")
    zone: ZoneName | None = Field(default=None, description="show times in this zone "
                                                            "(default: the caller's)")


class BookingsParams(BaseModel):
    """Query of ``GET /api/me/bookings``."""

    model_config = ConfigDict(extra="forbid")

    zone: ZoneName | None = Field(default=None, description="show times in this zone "
                                                            "(default: the caller's)")


class DateRange(StrictBody):
    """A range of local dates in the caller's zone, both included (default: 14 days)."""

    from_: date | None = Field(default=None, alias="from")
    to: date | None = None


class RoundtableBody(DateRange):
    """Body of ``POST /api/roundtable-slots``."""

    invitees: list[PersonId] = Field(min_length=1, max_length=MAX_ATTENDEES)
    length: SessionLength = 60
    limit: int = Field(default=20, ge=1, le=100)


class TimeChoice(StrictBody):
    """A session start: a UTC instant (``start``), or a wall-clock time (``local_start``)
    in ``zone`` (default: the caller's), with ``fold`` 0/1 for a repeated hour."""

    start: AwareDatetime | None = None
    local_start: NaiveDatetime | None = None
    zone: ZoneText | None = None
    fold: Literal[0, 1] | None = None

    @field_validator("zone")
    @classmethod
    def _valid_zone(cls, value: str | None) -> str | None:
        return value if value is None else _zone(value)

    @model_validator(mode="after")
    def _one_start(self) -> Self:
        if (self.start is None) == (self.local_start is None):
            raise ValueError("give either start (UTC) or local_start")
        if self.start is not None and (self.zone is not None or self.fold is not None):
            raise ValueError("zone and fold go with local_start")
        given = self.start if self.start is not None else self.local_start
        assert given is not None
        if given.second or given.microsecond:
            raise ValueError("sessions start on a whole minute")
        if not FIRST_YEAR <= given.year <= LAST_YEAR:
            raise ValueError(f"sessions start between {FIRST_YEAR} and {LAST_YEAR}")
        return self

    def instant(self, default_zone: str) -> datetime:
        """The start as a UTC instant (strict local-time policy for ``local_start``)."""
        if self.start is not None:
            return self.start.astimezone(UTC)
        assert self.local_start is not None
        return to_utc_strict(self.local_start, self.zone or default_zone, self.fold)


class RecurrenceBody(StrictBody):
    """How a booked session repeats."""

    frequency: Literal["weekly", "monthly"]
    interval: Literal[1, 2] = 1
    count: int = Field(ge=1, le=MAX_SERIES_COUNT)

    def recurrence(self) -> Recurrence:
        return Recurrence(frequency=Frequency(self.frequency), interval=self.interval,
                          count=self.count)


class BookingBody(TimeChoice):
    """Body of ``POST /api/bookings``: ``with`` one identity (a 1:1 coffee call) or a list
    (a roundtable; hosts only)."""

    with_: PersonId | list[PersonId] = Field(alias="with")
    length: SessionLength = 30
    title: str = Field(default="", max_length=200)
    recurrence: RecurrenceBody | None = None

    @field_validator("with_")
    @classmethod
    def _people(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, list) and not 1 <= len(value) <= MAX_ATTENDEES:
            raise ValueError(f"invite 1 to {MAX_ATTENDEES} people")
        return value

    @property
    def others(self) -> list[str]:
        return [self.with_] if isinstance(self.with_, str) else list(self.with_)


class RescheduleBody(TimeChoice):
    """Body of ``PATCH /api/bookings/{id}``."""

    length: SessionLength | None = None


def day_span(first: date | None, last: date | None, today: date,
             default_days: int = 14) -> tuple[date, date]:
    """The dates asked for, with defaults; ``invalid_range`` if ``last`` is before
    ``first``."""
    first = first or today
    if not FIRST_YEAR <= first.year <= LAST_YEAR or (
            last is not None and not FIRST_YEAR <= last.year <= LAST_YEAR):
        raise RoomError("invalid_range", f"Dates run from {FIRST_YEAR} to {LAST_YEAR}.")
    last = last or first + timedelta(days=default_days - 1)
    if last < first:
        raise RoomError("invalid_range", "The last day comes before the first.")
    return first, last


def describe(errors: list[Any]) -> str:
    """One sentence naming the first bad field, without echoing the input."""
    first = errors[0]
    where = ".".join(str(p) for p in first["loc"] if p != "__root__") or "body"
    return f"Field '{where}': {first['msg']}."
