"""Booking a recurring series, and moving "this and all following" sessions of one.

A series is booked as one booking per session (``BookingStore.create_all``: all or
nothing), expanded by :class:`~rooms.scheduling.recurrence.Series` in the organiser's zone,
so 09:00 stays 09:00 for the organiser across DST. Every session gets its own room.

Moving the following sessions keeps the *wall-clock* change in the series' zone: moving
Tuesday 09:00 to Wednesday 10:30 moves every later Tuesday 09:00 to the Wednesday 10:30
after it, even across a DST change, each resolved by the RFC 5545 rule (policy 5 of
:mod:`.zones`). The change is measured from each session's original local time (its
recurrence id), so a session that started an hour late in a spring-forward gap, or was
moved on its own before, still lands at the new wall-clock time.
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


def original_local(booking: Booking) -> datetime:
    """The naive local time (in the booking's zone) the session was first planned at: its
    recurrence id as the series rule produced it, even where that local time does not
    exist (a session planned at 02:30 on a spring-forward day started at 03:30)."""
    if booking.series_id is not None and booking.booking_id.startswith(
            f"{booking.series_id}-"):
        suffix = booking.booking_id[len(booking.series_id) + 1:]
        try:
            return datetime.strptime(suffix, "%Y%m%dT%H%M")
        except ValueError:
            pass
    return naive_local(booking.recurrence_id or booking.start, booking.zone)


def following_moves(booking: Booking, series: Sequence[Booking], start: datetime,
                    length: timedelta) -> list[Move]:
    """Where ``booking`` and the later sessions of its series in ``series`` go when
    ``booking`` moves to ``start`` (each lasting ``length``).

    "Later" and the shift are measured on the sessions' original local times (their
    recurrence ids), not on where they are now: the shift is the new local time minus
    the original local time of ``booking``, applied to each following session's original
    local time in the series' zone. Ordered so that applying the moves one by one never
    trips over a session that has not moved yet: latest first when moving later, earliest
    first when moving earlier.
    """
    zone = booking.zone
    origin = original_local(booking)
    shift = naive_local(start, zone) - origin
    moves: list[Move] = []
    for other in sorted(series, key=original_local):
        if other.series_id != booking.series_id or original_local(other) < origin:
            continue
        if other.booking_id == booking.booking_id:
            moves.append((other, start, start + length))
            continue
        new_start, _ = to_utc_lenient(original_local(other) + shift, zone)
        moves.append((other, new_start, new_start + length))
    if not any(m[0].booking_id == booking.booking_id for m in moves):
        moves.insert(0, (booking, start, start + length))
    moves.sort(key=lambda m: m[1])
    return moves[::-1] if start > booking.start else moves
