"""Where programmes live: one interface, an in-memory and a Redis implementation.

A programme's state is a handful of documents (the programme, its participants, the
latest matching, the published intros) and its coffee rounds; each setter replaces one
document in one atomic step, so an import or a matching is never half-written.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from rooms.programmes.model import (
    Intro,
    IntroSlot,
    Matching,
    Participant,
    Programme,
    ProgrammeSummary,
    SessionRecord,
)


def summary(programme: Programme, people: int) -> ProgrammeSummary:
    """The programme's line in :meth:`ProgrammeStore.list_programmes`."""
    return ProgrammeSummary(programme_id=programme.programme_id, name=programme.name,
                            created_at=programme.created_at, people=people,
                            published=programme.published)


def open_intros_by_person(intros: list[Intro]) -> dict[str, list[Intro]]:
    """The intros not booked yet that offer times, by each of their people's identity."""
    found: dict[str, list[Intro]] = {}
    for intro in intros:
        if intro.booking_id is None and intro.slots:
            for identity in intro.identities:
                found.setdefault(identity, []).append(intro)
    return found


class ProgrammeStore(ABC):
    """The documents of every programme."""

    @abstractmethod
    async def create(self, programme: Programme) -> None:
        """Store a new programme (ValueError if the id is taken)."""

    @abstractmethod
    async def get(self, programme_id: str) -> Programme | None:
        """The programme, or None."""

    @abstractmethod
    async def list_programmes(self, limit: int) -> list[ProgrammeSummary]:
        """At most ``limit`` programmes with their people counts, newest first (by created
        time, then by id, descending)."""

    @abstractmethod
    async def save(self, programme: Programme) -> None:
        """Replace the programme's settings."""

    @abstractmethod
    async def set_participants(self, programme_id: str, people: list[Participant]) -> None:
        """Replace the programme's participants (and drop its matching and intros)."""

    @abstractmethod
    async def participants(self, programme_id: str) -> list[Participant]:
        """The participants, in import order."""

    @abstractmethod
    async def set_matching(self, programme_id: str, matching: Matching) -> None:
        """Store the latest matching."""

    @abstractmethod
    async def matching(self, programme_id: str) -> Matching | None:
        """The latest matching, or None."""

    @abstractmethod
    async def set_intros(self, programme_id: str, intros: list[Intro]) -> None:
        """Replace the published mentoring intros."""

    @abstractmethod
    async def intros(self, programme_id: str) -> list[Intro]:
        """The published mentoring intros."""

    @abstractmethod
    async def held(self, programme_id: str, identity: str) -> list[Intro]:
        """The person's intros not booked yet that offer times (intros published before
        they recorded their people's identities are left out)."""

    @abstractmethod
    async def claim_intro(self, programme_id: str, mentor: str, mentee: str,
                          booking_id: str, accepted_by: str | None = None) -> bool:
        """Set the booking (and who accepted) of the pair's intro if it has none yet
        (atomic); False if the intro is missing or already booked."""

    @abstractmethod
    async def reoffer_intro(self, programme_id: str, mentor: str, mentee: str,
                            expected: tuple[IntroSlot, ...],
                            slots: tuple[IntroSlot, ...]) -> bool:
        """Replace the offered times of the pair's intro by ``slots`` if it is still not
        booked and still offers ``expected`` (atomic); False otherwise."""

    @abstractmethod
    async def add_coffee_round(self, programme_id: str, intros: list[Intro]) -> int:
        """Append a coffee round; its number (1, 2, ...)."""

    @abstractmethod
    async def coffee_rounds(self, programme_id: str) -> list[list[Intro]]:
        """Every coffee round, oldest first."""

    @abstractmethod
    async def index_people(self, programme_id: str, identities: list[str]) -> None:
        """Remember that these people belong to ``programme_id``."""

    @abstractmethod
    async def unindex_people(self, programme_id: str, identities: list[str]) -> None:
        """Forget that these people belong to ``programme_id`` (people who left it)."""

    @abstractmethod
    async def programme_of(self, identity: str) -> str | None:
        """The programme a person was imported into, or None."""

    async def programmes_of(self, identities: Sequence[str]) -> list[str | None]:
        """The programme of each person, in order (None: in none); the people's circles
        for the scheduling directory (:mod:`rooms.scheduling.circles`)."""
        return [await self.programme_of(identity) for identity in identities]

    @abstractmethod
    async def save_session(self, programme_id: str, record: SessionRecord) -> None:
        """Store (or replace, by booking id) a session of the programme."""

    @abstractmethod
    async def sessions(self, programme_id: str) -> list[SessionRecord]:
        """Every session recorded for the programme."""

    @abstractmethod
    async def acquire(self, programme_id: str, task: str, token: str, ttl_s: int) -> bool:
        """Take the programme's ``task`` lease (one holder at a time, across processes,
        until released or ``ttl_s`` seconds pass); False if another holder has it."""

    @abstractmethod
    async def release(self, programme_id: str, task: str, token: str) -> None:
        """Give the lease back, if ``token`` still holds it."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections."""


class MemoryProgrammeStore(ProgrammeStore):
    """Programmes in dicts of this process."""

    def __init__(self) -> None:
        self._programmes: dict[str, Programme] = {}
        self._people: dict[str, list[Participant]] = {}
        self._matching: dict[str, Matching] = {}
        self._intros: dict[str, list[Intro]] = {}
        self._coffee: dict[str, list[list[Intro]]] = {}
        self._index: dict[str, str] = {}
        self._sessions: dict[str, dict[str, SessionRecord]] = {}
        self._leases: dict[tuple[str, str], str] = {}  # one process: no expiry needed

    async def create(self, programme: Programme) -> None:
        if programme.programme_id in self._programmes:
            raise ValueError("a programme with this id exists")
        self._programmes[programme.programme_id] = programme

    async def get(self, programme_id: str) -> Programme | None:
        return self._programmes.get(programme_id)

    async def list_programmes(self, limit: int) -> list[ProgrammeSummary]:
        newest = sorted(self._programmes.values(), reverse=True,
                        key=lambda p: (p.created_at, p.programme_id))[:max(limit, 0)]
        return [summary(p, len(self._people.get(p.programme_id, []))) for p in newest]

    async def save(self, programme: Programme) -> None:
        self._programmes[programme.programme_id] = programme

    async def set_participants(self, programme_id: str, people: list[Participant]) -> None:
        self._people[programme_id] = list(people)
        self._matching.pop(programme_id, None)
        self._intros.pop(programme_id, None)

    async def participants(self, programme_id: str) -> list[Participant]:
        return list(self._people.get(programme_id, []))

    async def set_matching(self, programme_id: str, matching: Matching) -> None:
        self._matching[programme_id] = matching

    async def matching(self, programme_id: str) -> Matching | None:
        return self._matching.get(programme_id)

    async def set_intros(self, programme_id: str, intros: list[Intro]) -> None:
        self._intros[programme_id] = list(intros)

    async def intros(self, programme_id: str) -> list[Intro]:
        return list(self._intros.get(programme_id, []))

    async def held(self, programme_id: str, identity: str) -> list[Intro]:
        return open_intros_by_person(self._intros.get(programme_id, [])).get(identity, [])

    async def claim_intro(self, programme_id: str, mentor: str, mentee: str,
                          booking_id: str, accepted_by: str | None = None) -> bool:
        intros = self._intros.get(programme_id, [])
        for k, intro in enumerate(intros):
            if (intro.mentor, intro.mentee) == (mentor, mentee):
                if intro.booking_id is not None:
                    return False
                intros[k] = intro.model_copy(update={"booking_id": booking_id,
                                                     "accepted_by": accepted_by})
                return True
        return False

    async def reoffer_intro(self, programme_id: str, mentor: str, mentee: str,
                            expected: tuple[IntroSlot, ...],
                            slots: tuple[IntroSlot, ...]) -> bool:
        intros = self._intros.get(programme_id, [])
        for k, intro in enumerate(intros):
            if (intro.mentor, intro.mentee) == (mentor, mentee):
                if intro.booking_id is not None or intro.slots != expected:
                    return False
                intros[k] = intro.model_copy(update={"slots": slots})
                return True
        return False

    async def add_coffee_round(self, programme_id: str, intros: list[Intro]) -> int:
        rounds = self._coffee.setdefault(programme_id, [])
        rounds.append(list(intros))
        return len(rounds)

    async def coffee_rounds(self, programme_id: str) -> list[list[Intro]]:
        return [list(r) for r in self._coffee.get(programme_id, [])]

    async def index_people(self, programme_id: str, identities: list[str]) -> None:
        self._index.update(dict.fromkeys(identities, programme_id))

    async def unindex_people(self, programme_id: str, identities: list[str]) -> None:
        for identity in identities:
            if self._index.get(identity) == programme_id:
                del self._index[identity]

    async def programme_of(self, identity: str) -> str | None:
        return self._index.get(identity)

    async def save_session(self, programme_id: str, record: SessionRecord) -> None:
        self._sessions.setdefault(programme_id, {})[record.booking_id] = record

    async def sessions(self, programme_id: str) -> list[SessionRecord]:
        return list(self._sessions.get(programme_id, {}).values())

    async def acquire(self, programme_id: str, task: str, token: str, ttl_s: int) -> bool:
        return self._leases.setdefault((programme_id, task), token) == token

    async def release(self, programme_id: str, task: str, token: str) -> None:
        if self._leases.get((programme_id, task)) == token:
            del self._leases[(programme_id, task)]

    async def close(self) -> None:
        return None
