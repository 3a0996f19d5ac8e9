"""The operations of mentoring programmes, over a store and the scheduling service.

Import registers every participant as a person of the scheduling directory (so they can be
booked, and open their schedule page with their token) with their availability; if any
registration fails the ones already made are removed, so nothing is half-imported.
Publishing gives each pair its three best first-session times (the earliest slot on each
of three different days in the next two weeks, from the scheduling slot search) in both
local times, and books the first when the programme says so; accepting an offered time
books it through :class:`~rooms.scheduling.booking_service.SchedulingService`. An intro is
read with both people's current zones and hours, and times that no longer hold are offered
again (:mod:`.intro_refresh`).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from rooms.attendance import AttendanceLog, MemoryAttendanceLog
from rooms.clock import Clock
from rooms.errors import RoomError
from rooms.programmes.coffee import plan_round
from rooms.programmes.embedding import EmbeddingFit
from rooms.programmes.enrolment import Enrolment
from rooms.programmes.errors import ProgrammeError
from rooms.programmes.fit import FitModel
from rooms.programmes.importer import PersonRow
from rooms.programmes.intro_refresh import REOFFER_ON, IntroRefresh
from rooms.programmes.matching import match, pair_of, score_all
from rooms.programmes.model import (
    Intro,
    IntroSlot,
    Matching,
    Pair,
    Participant,
    Programme,
)
from rooms.programmes.overlap import free_week, week_span
from rooms.programmes.pair_times import PairTimes
from rooms.programmes.progress import OpenItems, Progress
from rooms.programmes.store import ProgrammeStore
from rooms.scheduling.booking_service import (
    Offload,
    SchedulingService,
    run_inline,
)
from rooms.scheduling.bookings import Booking
from rooms.scheduling.recurrence import Frequency, Recurrence
from rooms.scheduling.zones import from_epoch

logger = logging.getLogger(__name__)
INTRO_SLOTS = 3
SEARCH_DAYS = 14
WEEK_RANGE_DAYS = 366  # a week_of at most this far from today (matching: either side)
PUBLISH_LEASE_S = 900  # a publish (or coffee round) that dies mid-way blocks the next one
                       # at most this long


class IntroListener(Protocol):
    """Told of each intro once it is stored (the webhook); must not raise."""

    async def intro_published(self, programme: Programme, intro: Intro,
                              people: dict[str, Participant]) -> None:
        ...


class ProgrammeService:
    """Programmes, imports, matching, publishing, coffee rounds and progress."""

    def __init__(self, store: ProgrammeStore, scheduling: SchedulingService, clock: Clock,
                 fit_model: FitModel | None = None, offload: Offload | None = None,
                 attendance: AttendanceLog | None = None,
                 open_items: OpenItems | None = None) -> None:
        self._offload: Offload = offload or run_inline
        self.tracker = Progress(store, clock, attendance or MemoryAttendanceLog(), open_items)
        self.attendance: AttendanceLog = self.tracker.attendance
        self.store = store
        self.scheduling = scheduling
        self.enrolment = Enrolment(store, scheduling)
        self.times = PairTimes(scheduling)
        self.refresh = IntroRefresh(store, scheduling, self.times, SEARCH_DAYS, INTRO_SLOTS)
        self._clock = clock
        self.fit_model: FitModel = fit_model or EmbeddingFit()
        self._listeners: list[IntroListener] = []
        scheduling.add_listener(self.tracker)  # sessions between programme people

    def add_listener(self, listener: IntroListener) -> None:
        self._listeners.append(listener)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(int(self._clock.now()), UTC)

    async def create(self, name: str, **settings: Any) -> Programme:
        programme = Programme(programme_id=secrets.token_urlsafe(9), name=name,
                              created_at=self._now(), **settings)
        await self.store.create(programme)
        return programme

    async def update(self, programme_id: str, **changes: Any) -> Programme:
        """Change settings of a programme (name, default availability, matching and coffee
        settings); they apply to the next matching, publish or coffee round."""
        programme = await self.programme(programme_id)
        updated = Programme.model_validate(programme.model_dump() | changes)
        await self.store.save(updated)
        return updated

    async def programme(self, programme_id: str) -> Programme:
        found = await self.store.get(programme_id)
        if found is None:
            raise ProgrammeError("programme_not_found", "There is no such programme.")
        return found

    async def import_people(self, programme_id: str, rows: Sequence[PersonRow]) -> list[
            Participant]:
        """Store ``rows`` as the programme's people (all or none): people already in it
        keep their identity, new ones are registered, people not listed any more leave
        (see :mod:`.enrolment`)."""
        return await self.enrolment.import_people(await self.programme(programme_id), rows)

    async def read_rows(self, reader: Callable[[bytes], list[PersonRow]],
                        raw: bytes) -> list[PersonRow]:
        """``reader(raw)`` (an import file up to 2 MiB: CPU work) off the event loop."""
        return await self._offload(lambda: reader(raw))

    def _week(self) -> date:
        return (self._now() + timedelta(days=7)).date()

    def _check_week(self, week: date, past_ok: bool) -> date:
        """``week`` within :data:`WEEK_RANGE_DAYS` of today (and, unless ``past_ok``, not
        over yet), else ``week_out_of_range``."""
        today = self._now().date()
        if week > today + timedelta(days=WEEK_RANGE_DAYS):
            raise ProgrammeError("week_out_of_range", f"week_of {week.isoformat()} is more "
                                                      f"than {WEEK_RANGE_DAYS} days ahead.")
        if past_ok and week < today - timedelta(days=WEEK_RANGE_DAYS):
            raise ProgrammeError("week_out_of_range", f"week_of {week.isoformat()} is more "
                                                      f"than {WEEK_RANGE_DAYS} days ago.")
        earliest = int(self._clock.now()) + self.scheduling.notice_min * 60
        if not past_ok and week_span(week)[1] <= earliest:
            raise ProgrammeError("week_out_of_range", f"The week of {week.isoformat()} is "
                                                      "over; pick this week or a later one.")
        return week

    async def run_matching(self, programme_id: str, week_of: date | None = None) -> Matching:
        """The best matching, keeping the pairs the admin locked."""
        programme = await self.programme(programme_id)
        people = await self.store.participants(programme_id)
        week = self._check_week(week_of or self._week(), past_ok=True)
        previous = await self.store.matching(programme_id)
        locked = [p for p in previous.pairs if p.locked] if previous else []
        result = await self._offload(  # CPU work: off the event loop in the server
            lambda: match(programme, score_all(programme, people, week, self.fit_model),
                          locked, week))
        await self.store.set_matching(programme_id, result)
        return result

    async def _matching(self, programme_id: str) -> Matching:
        found = await self.store.matching(programme_id)
        if found is None:
            raise ProgrammeError("not_matched", "Run the matching first.")
        return found

    async def lock(self, programme_id: str, mentee: str, locked: bool) -> Matching:
        """Lock (or unlock) the pair of ``mentee``."""
        current = await self._matching(programme_id)
        if not any(p.mentee == mentee for p in current.pairs):
            raise ProgrammeError("pair_not_found", f"{mentee!r} has no pair to lock.")
        pairs = tuple(p.model_copy(update={"locked": locked}) if p.mentee == mentee else p
                      for p in current.pairs)
        updated = current.model_copy(update={"pairs": pairs})
        await self.store.set_matching(programme_id, updated)
        return updated

    async def swap(self, programme_id: str, mentee_a: str, mentee_b: str) -> Matching:
        """Exchange the mentors of two mentees; both new pairs are locked."""
        programme = await self.programme(programme_id)
        current = await self._matching(programme_id)
        by_mentee = {p.mentee: p for p in current.pairs}
        if mentee_a not in by_mentee or mentee_b not in by_mentee or mentee_a == mentee_b:
            raise ProgrammeError("pair_not_found", "Swap two different mentees with pairs.")
        people = await self.store.participants(programme_id)
        week = current.week_of or self._week()
        scores = await self._offload(  # CPU work (embeddings after a restart): off the loop
            lambda: score_all(programme, people, week, self.fit_model))
        new: list[Pair] = []
        for mentee, other in ((mentee_a, mentee_b), (mentee_b, mentee_a)):
            i, j = scores.index(by_mentee[other].mentor, mentee)
            if scores.score[i, j] <= 0:
                raise ProgrammeError("pair_excluded", f"{by_mentee[other].mentor!r} cannot "
                                                      f"mentor {mentee!r} (exclusion, "
                                                      "language or too little common time).")
            new.append(pair_of(scores, i, j, locked=True))
        pairs = [p for p in current.pairs if p.mentee not in (mentee_a, mentee_b)] + new
        pairs.sort(key=lambda p: p.mentee)
        updated = current.model_copy(update={
            "pairs": tuple(pairs), "total_score": round(sum(p.score for p in pairs), 6)})
        await self.store.set_matching(programme_id, updated)
        return updated

    async def publish(self, programme_id: str) -> list[Intro]:
        """Send every pair its intro with three first-session times (and book the best
        when the programme auto-books).

        Publishing again (after a re-run or a swap) keeps the intros of pairs already
        introduced, bookings and all, and introduces only the new pairs; an intro made
        before a failure (a slot taken meanwhile) is kept, so a retry does not book twice.
        One publish of a programme runs at a time, across processes (a store lease): a
        second one meanwhile is refused with ``publish_in_progress``.
        """
        async with self._exclusive(programme_id, "publish", ProgrammeError(
                "publish_in_progress", "This programme is being published by another "
                                       "request; try again when it has finished.")):
            return await self._publish(programme_id)

    @asynccontextmanager
    async def _exclusive(self, programme_id: str, task: str,
                         busy: ProgrammeError) -> AsyncIterator[None]:
        """Hold the programme's ``task`` lease (across processes) or raise ``busy``."""
        token = secrets.token_urlsafe(12)
        if not await self.store.acquire(programme_id, task, token, PUBLISH_LEASE_S):
            raise busy
        try:
            yield
        finally:
            await self.store.release(programme_id, task, token)

    async def _publish(self, programme_id: str) -> list[Intro]:
        programme = await self.programme(programme_id)
        current = await self._matching(programme_id)
        people = {p.key: p for p in await self.store.participants(programme_id)}
        start = self._now() + timedelta(minutes=self.scheduling.notice_min)
        earlier = {(i.mentor, i.mentee): i for i in await self.store.intros(programme_id)}
        intros: list[Intro] = []
        new: list[Intro] = []
        offered: dict[str, list[IntroSlot]] = {}  # per mentor: times offered to a pair
        kept = {(p.mentor, p.mentee) for p in current.pairs}
        for sent in earlier.values():
            if sent.booking_id is None and (sent.mentor, sent.mentee) in kept:
                offered.setdefault(sent.mentor, []).extend(sent.slots)
        try:
            for pair in current.pairs:
                known = earlier.get((pair.mentor, pair.mentee))
                if known is not None:
                    intros.append(known)
                    continue
                mentor, mentee = people[pair.mentor], people[pair.mentee]
                slots = await self.times.first_slots(mentor, mentee, start, SEARCH_DAYS,
                                                INTRO_SLOTS, offered.get(mentor.key, ()))
                intro = Intro(mentor=mentor.key, mentee=mentee.key, sent_at=self._now(),
                              identities=(mentor.identity, mentee.identity),
                              skill=pair.skill, goal=pair.goal, week_of=current.week_of,
                              explanation=pair.explanation,
                              slots=tuple(self.times.intro_slot(s, mentor, mentee) for s in slots))
                if programme.auto_book and slots:
                    try:
                        booking = await self.times.book(mentor, mentee, slots[0].start,
                                                   f"{programme.name}: first session")
                    except RoomError as exc:  # taken meanwhile: they pick a time themselves
                        logger.info("auto-booking %s/%s: %s", mentor.key, mentee.key, exc.code)
                    else:
                        intro = intro.model_copy(update={"booking_id": booking.booking_id})
                intros.append(intro)
                new.append(intro)
                if intro.booking_id is None:
                    offered.setdefault(mentor.key, []).extend(intro.slots)
        finally:
            if new:
                await self.store.set_intros(programme_id, intros)
        await self.store.set_intros(programme_id, intros)
        await self.store.save(programme.model_copy(update={"published": True}))
        for intro in new:
            for listener in self._listeners:
                await listener.intro_published(programme, intro, people)
        return intros

    async def participant(self, programme_id: str, identity: str) -> Participant:
        for person in await self.store.participants(programme_id):
            if person.identity == identity:
                return person
        raise ProgrammeError("intro_not_found", "You are not in this programme.")

    async def intros_for(self, programme_id: str, identity: str, *, fresh: bool = True
                         ) -> tuple[list[Intro], dict[str, Participant]]:
        """Every intro of the person ``identity`` (a mentor with capacity > 1 has one per
        mentee; their schedule token says who). ``fresh``: the people of these intros as
        they are now (zone, hours) and times that still hold (see :mod:`.intro_refresh`);
        otherwise as stored."""
        me = await self.participant(programme_id, identity)
        mine = [i for i in await self.store.intros(programme_id)
                if me.key in (i.mentor, i.mentee)]
        if not mine:
            raise ProgrammeError("intro_not_found", "Your match has not been published yet.")
        people = {p.key: p for p in await self.store.participants(programme_id)}
        if not fresh:
            return mine, people
        people = await self.refresh.current(people, {k for i in mine
                                                     for k in (i.mentor, i.mentee)})
        return [await self.refresh.fresh(programme_id, i, people[i.mentor], people[i.mentee])
                for i in mine], people

    async def intro_for(self, programme_id: str, identity: str) -> tuple[Intro, dict[
            str, Participant]]:
        """The first intro of the person ``identity`` (see :meth:`intros_for`)."""
        mine, people = await self.intros_for(programme_id, identity)
        return mine[0], people

    async def accept(self, programme_id: str, identity: str, start: datetime,
                     weekly_sessions: int = 1) -> Booking:
        """Book the offered time starting at ``start`` for the caller's pair whose intro
        offers it (a mentor's pairs are offered times that do not overlap) and, with
        ``weekly_sessions`` > 1, a weekly series from it. If the other person accepted
        meanwhile, the booking just made is cancelled again: ``booking_exists``."""
        mine, people = await self.intros_for(programme_id, identity, fresh=False)
        waiting = [i for i in mine if i.booking_id is None]
        if not waiting:
            raise RoomError("booking_exists", "Your first session is already booked.")
        intro = next((i for i in waiting if any(s.start == start for s in i.slots)), None)
        if intro is None:
            raise ProgrammeError("slot_not_offered", "That time was not offered; pick one "
                                                     "of the three.")
        programme = await self.programme(programme_id)
        mentor, mentee = people[intro.mentor], people[intro.mentee]
        recurrence = (Recurrence(frequency=Frequency.WEEKLY, count=weekly_sessions)
                      if weekly_sessions > 1 else None)
        try:
            booking = await self.times.book(mentor, mentee, start,
                                            f"{programme.name}: mentoring", recurrence)
        except RoomError as exc:  # no longer free: the intro offers times that are
            if exc.code in REOFFER_ON:
                await self.refresh.reoffer(programme_id, intro, mentor, mentee)
            raise
        me = mentor if mentor.identity == identity else mentee
        if not await self.store.claim_intro(programme_id, intro.mentor, intro.mentee,
                                            booking.booking_id, accepted_by=me.key):
            organiser = await self.scheduling.directory.person(mentor.identity)
            await self.scheduling.cancel(organiser, booking.booking_id,
                                         following=recurrence is not None)
            raise RoomError("booking_exists", "Your first session was booked meanwhile.")
        return booking

    async def coffee_round(self, programme_id: str, week_of: date | None = None) -> list[
            Intro]:
        """Pair the coffee pool for the week of ``week_of`` and book each pair's coffee;
        one round of a programme at a time (``coffee_round_in_progress`` meanwhile)."""
        await self.programme(programme_id)
        async with self._exclusive(programme_id, "coffee", ProgrammeError(
                "coffee_round_in_progress", "A coffee round of this programme is being made "
                                            "by another request; try again when it is done.")):
            return await self._coffee_round(programme_id, week_of)

    async def _coffee_round(self, programme_id: str, week_of: date | None) -> list[Intro]:
        programme = await self.programme(programme_id)
        pool = [p for p in await self.store.participants(programme_id) if p.coffee]
        if len(pool) < 2:
            raise ProgrammeError("pool_too_small", "A coffee round needs two people.")
        rounds = await self.store.coffee_rounds(programme_id)
        week = self._check_week(week_of or (self._now() + timedelta(
            days=7 * programme.coffee_every_weeks)).date(), past_ok=False)
        monday = week - timedelta(days=week.weekday())  # rounds are keyed by their week
        for number, made in enumerate(rounds, start=1):
            if any(i.week_of == monday for i in made):
                raise ProgrammeError("coffee_round_exists", f"The week of "
                                                            f"{monday.isoformat()} already has "
                                                            f"coffee round {number}.")
        span = week_span(week)
        lo = max(span[0], int(self._clock.now()) + self.scheduling.notice_min * 60)
        free = {p.key: free_week(p.availability(programme), (lo, max(lo, span[1])))
                for p in pool}
        history = [[(i.mentor, i.mentee) for i in r if i.mentee] for r in rounds]
        last = rounds[-1] if rounds else []
        sat_out = [i.mentor for i in last if not i.mentee]
        plan = plan_round(free, history, programme.coffee_no_repeat_rounds, sat_out,
                          never=await self._mentoring_pairs(programme_id))
        people = {p.key: p for p in pool}
        number = len(rounds) + 1
        intros: list[Intro] = []
        start = from_epoch(lo)
        for a, b in plan.pairs:
            slots = await self.times.first_slots(people[a], people[b], start,
                                            max(1, (span[1] - lo) // 86400 + 1), 1)
            booking_id = None
            if slots:
                try:
                    booking = await self.times.book(people[a], people[b], slots[0].start,
                                               f"{programme.name}: coffee")
                except RoomError as exc:  # taken meanwhile: the pair still meets
                    logger.info("coffee %s/%s not booked: %s", a, b, exc.code)
                else:
                    booking_id = booking.booking_id
            intros.append(Intro(mentor=a, mentee=b, kind="coffee", round_no=number,
                                sent_at=self._now(), week_of=monday,
                                explanation="coffee round",
                                slots=tuple(self.times.intro_slot(s, people[a], people[b])
                                            for s in slots), booking_id=booking_id))
        intros.extend(Intro(mentor=k, mentee="", kind="coffee", round_no=number,
                            sent_at=self._now(), week_of=monday,
                            explanation="sits out this round; first in line next time")
                      for k in plan.sitting_out)
        await self.store.add_coffee_round(programme_id, intros)
        return intros

    async def _mentoring_pairs(self, programme_id: str) -> set[frozenset[str]]:
        """The mentoring pairs (matched or introduced): never a coffee pair ("someone
        new")."""
        matching = await self.store.matching(programme_id)
        pairs = {frozenset((p.mentor, p.mentee)) for p in matching.pairs} if matching else set()
        return pairs | {frozenset((i.mentor, i.mentee))
                        for i in await self.store.intros(programme_id)}

    async def progress(self, programme_id: str) -> list[dict[str, Any]]:
        """Each published pair's progress (see :class:`.progress.Progress`)."""
        return await self.tracker.pairs(programme_id)
