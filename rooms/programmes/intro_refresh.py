"""Keeping an intro's offered first-session times true after it was published.

An intro's times are computed at publish from both people's availability then. People
change their zone or weekly hours afterwards (on their schedule page), and sessions booked
since can take a time. So an intro is read as it is now:

* its two people are shown with their CURRENT zone and weekly hours (from the scheduling
  directory), not the imported ones (:meth:`IntroRefresh.current`);
* an unbooked mentoring intro whose offered times no longer hold (a time lies outside
  either person's current availability, is written at an offset their current zone does
  not have then, or clashes with a session either of them has) is offered again: the
  pair's first times are computed afresh by the same rules as at publish
  (:meth:`~rooms.programmes.pair_times.PairTimes.first_slots` from now plus the notice:
  the earliest time of three local days in the next two weeks, none near a time offered
  to the mentor's other unbooked pairs) and stored (:meth:`IntroRefresh.fresh`). An accept
  refused with ``slot_unavailable`` or ``slot_taken`` offers them again too, so the page
  that then reloads the intro lists times that hold.

Times already within the notice (or past) are left as they are: they are not wrong, only
over.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from rooms.errors import RoomError
from rooms.programmes.model import Intro, IntroSlot, Participant
from rooms.programmes.pair_times import PairTimes
from rooms.programmes.store import ProgrammeStore
from rooms.scheduling.booking_checks import is_available
from rooms.scheduling.booking_service import SchedulingService
from rooms.scheduling.people import PersonRecord
from rooms.scheduling.zones import from_epoch, to_local

REOFFER_ON = ("slot_unavailable", "slot_taken")  # accept errors that offer times again


class IntroRefresh:
    """Current people and offered times that hold, for the intros of a programme."""

    def __init__(self, store: ProgrammeStore, scheduling: SchedulingService,
                 times: PairTimes, search_days: int, count: int) -> None:
        self._store = store
        self._scheduling = scheduling
        self._times = times
        self._search_days = search_days
        self._count = count

    def _earliest(self) -> datetime:
        """The first start a new offer may have (now plus the booking notice)."""
        now = from_epoch(int(self._scheduling.clock.now()))
        return now + timedelta(minutes=self._scheduling.notice_min)

    async def current(self, people: dict[str, Participant],
                      keys: Iterable[str]) -> dict[str, Participant]:
        """``people`` with those of ``keys`` brought up to date: their zone and weekly
        hours as the scheduling directory has them now."""
        updated = dict(people)
        for key in keys:
            participant = people[key]
            try:
                record = await self._scheduling.directory.record(participant.identity)
            except RoomError:
                continue  # left the directory: shown as imported
            change: dict[str, Any] = {"zone": record.person.zone}
            if record.availability is not None:
                change["weekly"] = dict(record.availability.weekly)
            updated[key] = participant.model_copy(update=change)
        return updated

    async def fresh(self, programme_id: str, intro: Intro, mentor: Participant,
                    mentee: Participant) -> Intro:
        """``intro``, offered again if it is unbooked and its times no longer hold."""
        if intro.booking_id is not None or intro.kind != "mentoring" or not intro.slots:
            return intro
        if await self._hold(intro.slots, mentor, mentee):
            return intro
        return await self.reoffer(programme_id, intro, mentor, mentee)

    async def _hold(self, slots: Iterable[IntroSlot], mentor: Participant,
                    mentee: Participant) -> bool:
        earliest = self._earliest()
        ahead = [s for s in slots if s.start >= earliest]
        if not ahead:
            return True
        records = await self._scheduling.directory.records([mentor.identity, mentee.identity])
        gap = timedelta(minutes=self._scheduling.buffer_min)
        for record, shown in zip(records, ("mentor_local", "mentee_local"), strict=True):
            busy = [b for b in await self._scheduling.bookings.bookings_for(
                record.person.identity, ahead[0].start - 2 * gap, ahead[-1].end + 2 * gap)
                if b.is_confirmed]
            for slot in ahead:
                if not _fits(slot, getattr(slot, shown), record):
                    return False
                if any(b.start < slot.end + gap and slot.start < b.end + gap for b in busy):
                    return False
        return True

    async def reoffer(self, programme_id: str, intro: Intro, mentor: Participant,
                      mentee: Participant) -> Intro:
        """Compute the pair's first times again and store them (unless the intro was
        booked or offered again meanwhile); the intro as stored now."""
        others = [s for i in await self._store.intros(programme_id)
                  if i.mentor == intro.mentor and i.mentee != intro.mentee
                  and i.booking_id is None for s in i.slots]
        found = await self._times.first_slots(mentor, mentee, self._earliest(),
                                              self._search_days, self._count, others)
        slots = tuple(PairTimes.intro_slot(s, mentor, mentee) for s in found)
        if slots != intro.slots and await self._store.reoffer_intro(
                programme_id, intro.mentor, intro.mentee, intro.slots, slots):
            return intro.model_copy(update={"slots": slots})
        stored = [i for i in await self._store.intros(programme_id)
                  if (i.mentor, i.mentee) == (intro.mentor, intro.mentee)]
        return stored[0] if stored else intro


def _fits(slot: IntroSlot, shown: str, record: PersonRecord) -> bool:
    """The slot is written at the offset the person's current zone has then, and lies in
    their current availability."""
    if datetime.fromisoformat(shown).utcoffset() != to_local(
            slot.start, record.person.zone).utcoffset():
        return False
    return is_available(record, slot.start, slot.end)
