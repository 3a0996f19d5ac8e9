"""People who schedule sessions, and where they and their availability are kept.

A :class:`Person` is a mentor, a mentee or a host: a display name, an IANA zone and an
optional e-mail address. Their :class:`~rooms.scheduling.availability.Availability` is
stored next to them, and saving it also moves the person to the availability's zone (the
zone picker on the scheduling page sets both).

A person's private ICS feed URL is derived from their identity and ``feed_version``
(:class:`rooms.person_tokens.FeedTokens`); :meth:`PeopleStore.renew_feed` raises the
version, which revokes every earlier feed URL. Nothing secret is stored.

One interface, two implementations (this in-memory one and
:class:`rooms.scheduling.redis_people.RedisPeopleStore`), one contract test suite.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum

from pydantic import Field

from rooms.models import DisplayName, Identity, Role, WireModel
from rooms.scheduling.availability import Availability
from rooms.scheduling.bookings import Attendee, Email
from rooms.scheduling.zones import UtcDatetime, ZoneName

MAX_PEOPLE_LISTED = 2000


class PersonRole(StrEnum):
    """What a person does in the programme."""

    MENTOR = "mentor"
    MENTEE = "mentee"
    HOST = "host"

    def coffee_role(self) -> Role:
        """Their role in a 1:1 coffee room (a host meets people one-to-one as a mentor)."""
        return Role.MENTEE if self is PersonRole.MENTEE else Role.MENTOR

    def counterparts(self) -> frozenset[PersonRole]:
        """Whom they usually schedule with: mentors and mentees meet; hosts invite anyone."""
        if self is PersonRole.MENTOR:
            return frozenset({PersonRole.MENTEE})
        if self is PersonRole.MENTEE:
            return frozenset({PersonRole.MENTOR})
        return frozenset(PersonRole)


class Person(WireModel):
    """Someone who books sessions: who they are, their zone, where invites go."""

    identity: Identity
    display_name: DisplayName
    role: PersonRole
    zone: ZoneName
    email: Email | None = None
    created_at: UtcDatetime
    feed_version: int = Field(default=0, ge=0)
    token_version: int = Field(default=0, ge=0)  # schedule links of other versions fail

    def attendee(self) -> Attendee:
        """This person as a booking attendee."""
        return Attendee(identity=self.identity, display_name=self.display_name,
                        zone=self.zone, email=self.email)

    def in_zone(self, zone: str) -> Person:
        """A copy living in ``zone``."""
        return Person.model_validate({**self.model_dump(), "zone": zone})

    def with_details(self, display_name: str, role: PersonRole, email: str | None) -> Person:
        """A copy with another name, role and e-mail (a re-import's row)."""
        return Person.model_validate({**self.model_dump(), "display_name": display_name,
                                      "role": role, "email": email})

    def with_new_feed(self) -> Person:
        """A copy whose earlier feed URLs no longer work."""
        return Person.model_validate({**self.model_dump(), "feed_version": self.feed_version + 1})

    def with_new_link(self) -> Person:
        """A copy whose earlier schedule links (person tokens) no longer work."""
        return Person.model_validate({**self.model_dump(),
                                      "token_version": self.token_version + 1})


@dataclass(frozen=True)
class PersonRecord:
    """A person as stored: the person and their availability (None until they set it)."""

    person: Person
    availability: Availability | None = None


class PeopleStore(ABC):
    """Where people, their availability and their feed tokens live.

    Each method is one atomic step for every caller of the same store.
    """

    @abstractmethod
    async def add(self, person: Person) -> None:
        """Store a new person (ValueError if the identity is taken)."""

    @abstractmethod
    async def get(self, identity: str) -> PersonRecord | None:
        """The person and their availability, or None."""

    @abstractmethod
    async def everyone(self, limit: int = MAX_PEOPLE_LISTED) -> list[Person]:
        """Everyone (at most ``limit``), by display name then identity."""

    @abstractmethod
    async def save_availability(self, identity: str, availability: Availability) -> Person | None:
        """Store ``availability`` and move the person to its zone; the updated person, or
        None if there is no such person."""

    @abstractmethod
    async def save_details(self, identity: str, display_name: str, role: PersonRole,
                           email: str | None) -> Person | None:
        """Replace the person's name, role and e-mail (identity, tokens and availability
        stay); the updated person, or None if there is no such person."""

    @abstractmethod
    async def renew_feed(self, identity: str) -> Person | None:
        """Raise the person's ``feed_version`` by one; the updated person, or None if there
        is no such person."""

    @abstractmethod
    async def renew_link(self, identity: str) -> Person | None:
        """Raise the person's ``token_version`` by one; the updated person, or None if
        there is no such person."""

    @abstractmethod
    async def remove(self, identity: str) -> bool:
        """Forget the person and their availability; True if they were present."""

    @abstractmethod
    async def close(self) -> None:
        """Release connections; the store is not used afterwards."""


def sort_people(people: list[Person]) -> list[Person]:
    """People in the order every store lists them."""
    return sorted(people, key=lambda p: (p.display_name.casefold(), p.identity))


class MemoryPeopleStore(PeopleStore):
    """People in dicts in this process (no await between a method's reads and writes)."""

    def __init__(self) -> None:
        self._records: dict[str, PersonRecord] = {}

    async def add(self, person: Person) -> None:
        if person.identity in self._records:
            raise ValueError("a person with this identity exists")
        self._records[person.identity] = PersonRecord(person)

    async def get(self, identity: str) -> PersonRecord | None:
        return self._records.get(identity)

    async def everyone(self, limit: int = MAX_PEOPLE_LISTED) -> list[Person]:
        return sort_people([r.person for r in self._records.values()])[:limit]

    async def save_availability(self, identity: str, availability: Availability) -> Person | None:
        record = self._records.get(identity)
        if record is None:
            return None
        person = record.person.in_zone(availability.zone)
        self._records[identity] = PersonRecord(person, availability)
        return person

    async def save_details(self, identity: str, display_name: str, role: PersonRole,
                           email: str | None) -> Person | None:
        record = self._records.get(identity)
        if record is None:
            return None
        person = record.person.with_details(display_name, role, email)
        self._records[identity] = PersonRecord(person, record.availability)
        return person

    async def renew_feed(self, identity: str) -> Person | None:
        record = self._records.get(identity)
        if record is None:
            return None
        person = record.person.with_new_feed()
        self._records[identity] = PersonRecord(person, record.availability)
        return person

    async def renew_link(self, identity: str) -> Person | None:
        record = self._records.get(identity)
        if record is None:
            return None
        person = record.person.with_new_link()
        self._records[identity] = PersonRecord(person, record.availability)
        return person

    async def remove(self, identity: str) -> bool:
        return self._records.pop(identity, None) is not None

    async def close(self) -> None:
        return None
