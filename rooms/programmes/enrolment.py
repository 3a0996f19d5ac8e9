"""Importing a programme's people, and importing again: who stays, who joins, who leaves.

An import is the programme's whole list of people. Someone whose key was in the programme
already keeps their identity, so their schedule link, calendar feed and sessions go on;
their name, role, e-mail, zone and availability are updated from the new row. Someone new
is registered in the scheduling directory. Someone no longer listed leaves the programme:
their upcoming sessions are cancelled (the other person hears of it as of any
cancellation: ``booking.cancelled``), they leave the scheduling directory (their links stop
working, nobody is offered them as a counterpart) and the programme's index of people.

The programme is each person's circle in the scheduling directory: people of a programme
see and book only each other (and people they already have a session with), people in
no programme only people in none (:mod:`rooms.scheduling.circles`). The times an open
intro offers a pair are held for that pair (:mod:`rooms.scheduling.holds`).

Nothing changes unless the whole list is stored: if a row fails to register, the people
registered for this import are removed again and nobody else has been touched yet.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from rooms.errors import RoomError
from rooms.programmes.importer import PersonRow
from rooms.programmes.model import Participant, Programme
from rooms.programmes.store import ProgrammeStore
from rooms.scheduling.booking_service import SchedulingService
from rooms.scheduling.holds import Hold
from rooms.scheduling.people import PersonRole

logger = logging.getLogger(__name__)


class Enrolment:
    """The people of programmes, kept in step with the scheduling directory."""

    def __init__(self, store: ProgrammeStore, scheduling: SchedulingService) -> None:
        self._store = store
        self._scheduling = scheduling
        scheduling.directory.use_circles(self)  # people meet within their programme
        scheduling.held.use(self)  # an open intro's times are kept for its pair

    async def circles_of(self, identities: Sequence[str]) -> list[str | None]:
        """Each person's programme: their circle in the scheduling directory
        (:mod:`rooms.scheduling.circles`)."""
        return await self._store.programmes_of(identities)

    async def holds_for(self, identity: str) -> list[Hold]:
        """The times offered to the person's pairs whose intro is not booked yet: held for
        the pair (:mod:`rooms.scheduling.holds`) until they accept one or the times pass."""
        programme_id = await self._store.programme_of(identity)
        if programme_id is None:
            return []
        return [Hold(s.start, s.end, frozenset(i.identities))
                for i in await self._store.held(programme_id, identity) for s in i.slots]

    async def _known(self, participant: Participant | None) -> str | None:
        """The participant's identity if the directory still has them."""
        if participant is None:
            return None
        try:
            await self._scheduling.directory.record(participant.identity)
        except RoomError:
            return None
        return participant.identity

    async def import_people(self, programme: Programme,
                            rows: Sequence[PersonRow]) -> list[Participant]:
        """Store ``rows`` as the programme's people (all or none); see the module doc."""
        pid = programme.programme_id
        directory = self._scheduling.directory
        before = {p.key: p for p in await self._store.participants(pid)}
        made: list[Participant] = []
        registered: set[str] = set()
        try:
            for row in rows:
                identity = await self._known(before.get(row.key))
                if identity is None:
                    person = await directory.register(row.name, PersonRole(row.role.value),
                                                      row.zone, row.email)
                    identity = person.identity
                    registered.add(identity)
                participant = Participant(
                    key=row.key, identity=identity, name=row.name, role=row.role,
                    zone=row.zone, languages=row.languages, skills=row.skills,
                    goals=row.goals, capacity=row.capacity, exclusions=row.exclusions,
                    preferences=row.preferences, weekly=row.weekly, coffee=row.coffee)
                made.append(participant)
                if identity in registered:
                    await directory.save_availability(identity,
                                                      participant.availability(programme))
            await self._store.set_participants(pid, made)
            await self._store.index_people(pid, [p.identity for p in made])
        except BaseException:
            for identity in registered:
                await directory.remove(identity)
            raise
        for participant, row in zip(made, rows, strict=True):
            if participant.identity not in registered:  # kept: brought up to date
                await directory.save_details(participant.identity, row.name,
                                             PersonRole(row.role.value), row.email)
                await directory.save_availability(participant.identity,
                                                  participant.availability(programme))
        staying = {p.identity for p in made}
        await self.leave(pid, [p for p in before.values() if p.identity not in staying])
        return made

    async def leave(self, programme_id: str, people: Sequence[Participant]) -> None:
        """Take ``people`` out of the programme: their upcoming sessions are cancelled and
        they leave the directory and the programme's index."""
        directory = self._scheduling.directory
        for participant in people:
            try:
                person = await directory.person(participant.identity)
            except RoomError:
                continue  # gone already
            for booking in await self._scheduling.upcoming(participant.identity):
                try:
                    await self._scheduling.cancel(person, booking.booking_id)
                except RoomError as exc:  # a roundtable someone else hosts, say
                    logger.info("%s left programme %s; session %s kept: %s",
                                participant.key, programme_id, booking.booking_id, exc.code)
            await directory.remove(participant.identity)
        await self._store.unindex_people(programme_id, [p.identity for p in people])
