"""Bookings: a session fixed in time, with its people, its zone and its revision number.

A booking's instants are UTC (whole seconds) plus ``zone``, the IANA zone it was meant in
(the organiser's). ``sequence`` is the iCalendar SEQUENCE: 0 when booked, one more on every
reschedule and on cancel, so calendar clients apply changes in order.

Each revision also records the wall-clock times it was computed as: ``wall_start`` (and
``wall_fold``) in ``zone``, every person's local start (``walls``) and the tz rules used
(``rules``, the IANA version). When the rules change under a booking (a ``tzdata``
upgrade), the booking keeps ``wall_start`` in its zone and moves to the instant that
time now is (:mod:`.rule_changes`); ``rules_moved`` then names the other people whose
local time of it moved. Bookings stored before these fields existed have none
(``wall_start`` None) and keep their instant.

Two bookings *conflict* when they share a person, both are confirmed, and the gap between
them is shorter than the larger of their two buffers (a booking with buffer ``b`` blocks
``[start - b, end + b)``). Every store refuses a conflicting booking with ``slot_taken``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import Field, StringConstraints, model_validator

from rooms.errors import RoomError
from rooms.models import (
    DEFAULT_ROUNDTABLE_CAPACITY,
    MAX_DURATION_S,
    DisplayName,
    Identity,
    RoomId,
    WireModel,
)
from rooms.scheduling import tzdb
from rooms.scheduling.intervals import Interval
from rooms.scheduling.slots import MAX_BUFFER_MIN, BusySpan
from rooms.scheduling.zones import UtcDatetime, ZoneName, epoch_seconds, to_local

BookingId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s<>\"]+@[^@\s<>\"]+$", max_length=254)]

MAX_BOOKING_S = MAX_DURATION_S
MAX_BUFFER_S = MAX_BUFFER_MIN * 60
MAX_ATTENDEES = DEFAULT_ROUNDTABLE_CAPACITY - 1  # the organiser takes the last place


class BookingStatus(StrEnum):
    """Whether a booking still holds its time."""

    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


class Attendee(WireModel):
    """A person in a booking: who they are, their zone, and where invites go."""

    identity: Identity
    display_name: DisplayName
    zone: ZoneName
    email: Email | None = None


def _whole_seconds(instant: datetime) -> datetime:
    return instant.replace(microsecond=0)


class LocalWall(WireModel):
    """One person's local start of a booking (naive, in their zone) when it was stored."""

    identity: Identity
    local: datetime


def local_walls(start: datetime, people: Sequence[Attendee]) -> tuple[LocalWall, ...]:
    """Each person's wall-clock start of ``start``, under the rules in use."""
    return tuple(LocalWall(identity=p.identity, local=to_local(start, p.zone).replace(
        tzinfo=None)) for p in people)


class Booking(WireModel):
    """A booked session between an organiser and one or more attendees."""

    booking_id: BookingId
    title: str = Field(default="", max_length=200)
    organiser: Attendee
    attendees: tuple[Attendee, ...] = Field(min_length=1, max_length=MAX_ATTENDEES)
    start: UtcDatetime
    end: UtcDatetime
    zone: ZoneName
    buffer_s: int = Field(default=0, ge=0, le=MAX_BUFFER_S)
    sequence: int = Field(default=0, ge=0)
    status: BookingStatus = BookingStatus.CONFIRMED
    created_at: UtcDatetime
    updated_at: UtcDatetime
    room_id: RoomId | None = None
    series_id: BookingId | None = None
    recurrence_id: UtcDatetime | None = None
    wall_start: datetime | None = None
    wall_fold: int = Field(default=0, ge=0, le=1)
    walls: tuple[LocalWall, ...] = ()
    rules: str | None = None
    rules_moved: tuple[Identity, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.start.microsecond or self.end.microsecond:
            raise ValueError("booking times are whole seconds")
        if self.end <= self.start:
            raise RoomError("invalid_range", "A booking must end after it starts.")
        if (self.end - self.start).total_seconds() > MAX_BOOKING_S:
            raise RoomError("invalid_duration", "A booking lasts at most a day.")
        people = self.people
        if len(set(people)) != len(people):
            raise ValueError("each person appears once in a booking")
        return self

    @classmethod
    def new(
        cls,
        booking_id: str,
        organiser: Attendee,
        attendees: Sequence[Attendee],
        start: datetime,
        end: datetime,
        now: float,
        *,
        title: str = "",
        buffer_s: int = 0,
        zone: str | None = None,
        room_id: str | None = None,
        series_id: str | None = None,
        recurrence_id: datetime | None = None,
    ) -> Booking:
        """A fresh confirmed booking (sequence 0) made at ``now``, meant in the organiser's
        zone unless ``zone`` says otherwise."""
        stamp = _whole_seconds(datetime.fromtimestamp(now, UTC))
        zone = zone if zone is not None else organiser.zone
        return cls(
            **_walls_of(start, zone, (organiser, *attendees)),
            booking_id=booking_id,
            title=title,
            organiser=organiser,
            attendees=tuple(attendees),
            start=start,
            end=end,
            zone=zone,
            buffer_s=buffer_s,
            created_at=stamp,
            updated_at=stamp,
            room_id=room_id,
            series_id=series_id,
            recurrence_id=recurrence_id,
        )

    @property
    def people(self) -> tuple[str, ...]:
        """Every identity in the booking, organiser first."""
        return (self.organiser.identity, *(a.identity for a in self.attendees))

    @property
    def is_confirmed(self) -> bool:
        return self.status is BookingStatus.CONFIRMED

    def span(self) -> Interval:
        """[start, end) in UTC seconds."""
        return epoch_seconds(self.start), epoch_seconds(self.end)

    def busy_span(self) -> BusySpan:
        """This booking as a commitment for slot finding."""
        return BusySpan(self.start, self.end, self.buffer_s)

    def conflicts_with(self, other: Booking) -> bool:
        """True if both are confirmed, share a person and are closer than their buffers."""
        if other.booking_id == self.booking_id or not (self.is_confirmed and other.is_confirmed):
            return False
        if not set(self.people) & set(other.people):
            return False
        pad = max(self.buffer_s, other.buffer_s)
        (s1, e1), (s2, e2) = self.span(), other.span()
        return s1 < e2 + pad and s2 < e1 + pad

    def local_start(self, zone: str | None = None) -> datetime:
        """The start as an aware local time in ``zone`` (default: the booking's zone)."""
        return to_local(self.start, zone or self.zone)

    def local_walls(self) -> tuple[LocalWall, ...]:
        """Each person's wall-clock start now, under the rules in use."""
        return local_walls(self.start, (self.organiser, *self.attendees))

    def rescheduled(self, start: datetime, end: datetime, now: float,
                    rules_moved: Sequence[str] = ()) -> Booking:
        """A copy at [start, end), one sequence on, stamped ``now``, its wall times those
        of the new start under the rules in use; ``rules_moved`` names the people whose
        local time moved because the rules changed (empty for a person's reschedule)."""
        if not self.is_confirmed:
            raise RoomError("booking_cancelled")
        data = self.model_dump()
        data.update(start=start, end=end, sequence=self.sequence + 1,
                    updated_at=_whole_seconds(datetime.fromtimestamp(now, UTC)),
                    rules_moved=tuple(rules_moved),
                    **_walls_of(start, self.zone, (self.organiser, *self.attendees)))
        return Booking.model_validate(data)

    def cancelled(self, now: float) -> Booking:
        """A cancelled copy, one sequence on, stamped ``now``."""
        if not self.is_confirmed:
            raise RoomError("booking_cancelled")
        data = self.model_dump()
        data.update(status=BookingStatus.CANCELLED, sequence=self.sequence + 1,
                    updated_at=_whole_seconds(datetime.fromtimestamp(now, UTC)))
        return Booking.model_validate(data)


def _walls_of(start: datetime, zone: str, people: Sequence[Attendee]) -> dict[str, Any]:
    """The wall-time fields of a revision starting at ``start`` (rules in use)."""
    local = to_local(start, zone)
    return {"wall_start": local.replace(tzinfo=None), "wall_fold": local.fold,
            "walls": local_walls(start, people), "rules": tzdb.version()}
