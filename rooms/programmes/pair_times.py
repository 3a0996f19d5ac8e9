"""When a programme pair can first meet: the earliest common slots (three days for an
intro, one for a coffee), shown in both people's local times, and booking one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from rooms.programmes.model import IntroSlot, Participant
from rooms.scheduling.booking_service import SchedulingService
from rooms.scheduling.bookings import Booking
from rooms.scheduling.recurrence import Recurrence
from rooms.scheduling.slots import Slot

SESSION_MIN = 30


class PairTimes:
    """Slot search and booking for programme pairs, through the scheduling service."""

    def __init__(self, scheduling: SchedulingService) -> None:
        self._scheduling = scheduling

    async def first_slots(self, mentor: Participant, mentee: Participant,
                           start: datetime, days: int, count: int,
                           avoid: Sequence[IntroSlot] = ()) -> list[Slot]:
        """The earliest slot of each of ``count`` days, none overlapping ``avoid`` (times
        already offered to the mentor's other pairs) or within the booking buffer of one,
        so that every pair can book any time offered to it.

        Days are LOCAL days of both people: a slot is taken only if neither the mentor's
        local date nor the mentee's local date of its start was offered yet, so no person
        is offered two times on one of their own days (a UTC date would put two offers on
        one local day for anyone far from UTC) and each offer is the earliest common time
        of a new local day for both."""
        organiser = await self._scheduling.directory.person(mentor.identity)
        query = self._scheduling.query(start, start + timedelta(days=days), SESSION_MIN)
        slots = await self._scheduling.pair_slots(organiser, mentee.identity, query,
                                                 any_role=True)
        gap = timedelta(minutes=self._scheduling.buffer_min)  # bookings keep this apart
        chosen: list[Slot] = []
        mentor_days: set[date] = set()
        mentee_days: set[date] = set()
        for slot in slots:
            if any(slot.start < o.end + gap and o.start < slot.end + gap for o in avoid):
                continue
            mentor_day = slot.local_for(mentor.identity).start.date()
            mentee_day = slot.local_for(mentee.identity).start.date()
            if mentor_day not in mentor_days and mentee_day not in mentee_days:
                mentor_days.add(mentor_day)
                mentee_days.add(mentee_day)
                chosen.append(slot)
            if len(chosen) == count:
                break
        return chosen

    @staticmethod
    def intro_slot(slot: Slot, mentor: Participant, mentee: Participant) -> IntroSlot:
        return IntroSlot(start=slot.start, end=slot.end,
                         mentor_local=slot.local_for(mentor.identity).start.isoformat(),
                         mentee_local=slot.local_for(mentee.identity).start.isoformat())

    async def book(self, mentor: Participant, mentee: Participant, start: datetime,
                    title: str, recurrence: Recurrence | None = None) -> Booking:
        organiser = await self._scheduling.directory.person(mentor.identity)
        made = await self._scheduling.book(organiser, [mentee.identity], roundtable=False,
                                          start=start, length_min=SESSION_MIN, title=title,
                                          recurrence=recurrence, any_role=True)
        return made[0]
