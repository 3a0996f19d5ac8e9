"""Checks a booking request must pass before anything is stored: who is invited, who may
meet whom, and the sentence for bookings made too late."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from rooms.errors import RoomError
from rooms.scheduling.intervals import covers
from rooms.scheduling.people import Person, PersonRecord
from rooms.scheduling.zones import epoch_seconds


def check_others(organiser: Person, others: Sequence[str]) -> None:
    """``forbidden`` unless ``others`` are some other people, each named once."""
    if not others or organiser.identity in others or len(set(others)) != len(others):
        raise RoomError("forbidden", "Invite other people, each once.")


def notice_sentence(notice_min: int) -> str:
    hours, minutes = divmod(notice_min, 60)
    if minutes:
        ahead = f"{notice_min} minutes"
    else:
        ahead = f"{hours} hour{'s' if hours != 1 else ''}"
    return f"Sessions are booked at least {ahead} ahead: pick a later time."


def check_counterparts(caller: Person, records: Sequence[PersonRecord]) -> None:
    """``forbidden`` unless each person is one ``caller`` meets (mentor and mentee meet
    each other; a host meets anyone)."""
    allowed = caller.role.counterparts()
    for record in records:
        if record.person.role not in allowed:
            raise RoomError(
                "forbidden",
                f"A {caller.role.value} cannot schedule with a {record.person.role.value}: "
                "mentors meet mentees, hosts meet anyone.")


def is_available(record: PersonRecord, start: datetime, end: datetime) -> bool:
    """Whether [start, end) lies in the person's availability."""
    lo, hi = epoch_seconds(start), epoch_seconds(end)
    free = record.availability.free_intervals(lo, hi) if record.availability else []
    return covers(free, lo, hi)


def check_available(records: Sequence[PersonRecord], start: datetime, end: datetime) -> None:
    """``slot_unavailable`` unless [start, end) lies in each person's availability."""
    for record in records:
        if not is_available(record, start, end):
            raise RoomError(
                "slot_unavailable",
                f"{record.person.display_name} is not available at that time.")
