"""Booking a recurring series, and moving "this and all following" sessions of one.

A series is booked as one booking per session (``BookingStore.create_all``: all or
nothing), expanded by :class:`~rooms.scheduling.recurrence.Series` in the organiser's zone,
so 09:00 stays 09:00 for the organiser across DST. Every session gets its own room.

Moving the following sessions keeps the *wall-clock* change in the series' zone: moving
Tuesday 09:00 to Wednesday 10:30 moves every later Tuesday 09:00 to the Wednesday 10:30
after it, even across a DST change, each resolved by the RFC 5545 rule (policy 5 of
:mod:`.zones`).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from rooms.errors import RoomError
from rooms.models import RoomKind
from rooms.scheduling.bookings import Attendee, Booking
from rooms.scheduling.recurrence import Recurrence, Series, occurrence_bookings
from rooms.scheduling.session_rooms import new_room_base
from rooms.scheduling.zones import to_local, to_utc_lenient

BOOKING_ID_BYTES = 12  # 16 url-safe characters

Move = tuple[Booking, datetime, datetime]
"""A booking and the [start, end) it moves to."""


def new_booking_id() -> str:
    """A fresh, unguessable booking (or series) id."""
    return secrets.token_urlsafe(BOOKING_ID_BYTES)


def naive_local(instant: datetime, zone: str) -> datetime:
    """The wall-clock reading of ``instant`` in ``zone``, without the zone."""
    return to_local(instant, zone).replace(tzinfo=None)


def series_bookings(organiser: Attendee, attendees: Sequence[Attendee], start: datetime,
                    length_min: int, recurrence: Recurrence, now: float, *, title: str = "",
                    buffer_s: int = 0, kind: RoomKind = RoomKind.COFFEE) -> list[Booking]:
    """One booking per session of a series starting at the instant ``start``.

    Raises ``ambiguous_local_time`` if ``start`` is the second of a repeated hour (the rule
    would put every session at the first), ``range_too_long`` if the series spans more
    than a year.
    """
    zone = organiser.zone
    local = naive_local(start, zone)
    if to_utc_lenient(local, zone)[0] != start:
        raise RoomError(
            "ambiguous_local_time",
            "A series cannot start in the second of a repeated hour: pick another time.")
    series = Series(series_id=new_booking_id(), zone=zone, start=local,
                    length_min=length_min, recurrence=recurrence)
    last_start, _ = to_utc_lenient(series.rule()[-1], zone)
    occurrences = series.occurrences(start, last_start + series.length)
    made = occurrence_bookings(series, occurrences, organiser, attendees, now, title=title,
                               buffer_s=buffer_s)
    return [Booking.model_validate({**b.model_dump(), "room_id": new_room_base(kind)})
            for b in made]


def following_moves(booking: Booking, series: Sequence[Booking], start: datetime,
                    length: timedelta) -> list[Move]:
    """Where ``booking`` and the later sessions of its series in ``series`` go when
    ``booking`` moves to ``start`` (each lasting ``length``).

    Ordered so that applying the moves one by one never trips over a session that has not
    moved yet: latest first when moving later, earliest first when moving earlier.
    """
    zone = booking.zone
    shift = naive_local(start, zone) - naive_local(booking.start, zone)
    moves: list[Move] = []
    for other in sorted(series, key=lambda b: b.start):
        if other.series_id != booking.series_id or other.start < booking.start:
            continue
        if other.booking_id == booking.booking_id:
            moves.append((other, start, start + length))
            continue
        new_start, _ = to_utc_lenient(naive_local(other.start, zone) + shift, zone)
        moves.append((other, new_start, new_start + length))
    if not any(m[0].booking_id == booking.booking_id for m in moves):
        moves.insert(0, (booking, start, start + length))
    return moves[::-1] if start > booking.start else moves
