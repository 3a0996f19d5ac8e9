"""The people directory: registering people, their availability and their feed URLs.

Thin, clocked operations over a :class:`~rooms.scheduling.people.PeopleStore` that raise
:class:`~rooms.errors.RoomError` with stable codes (``person_not_found``,
``unknown_zone``) for the layers above. Feed tokens are derived by
:class:`~rooms.person_tokens.FeedTokens` from the identity and the person's feed version.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime

from rooms.clock import Clock, SystemClock
from rooms.errors import RoomError
from rooms.person_tokens import FeedTokens
from rooms.scheduling.availability import Availability
from rooms.scheduling.circles import Circles, NoCircles
from rooms.scheduling.people import (
    MAX_PEOPLE_LISTED,
    PeopleStore,
    Person,
    PersonRecord,
    PersonRole,
)
from rooms.scheduling.zones import check_zone_name
from rooms.service import new_identity


class PeopleDirectory:
    """Who is in the programme, when they are free, and who opens which feed."""

    def __init__(self, store: PeopleStore, feeds: FeedTokens,
                 clock: Clock | None = None) -> None:
        self._store = store
        self._feeds = feeds
        self._clock: Clock = clock if clock is not None else SystemClock()
        self.circles: Circles = NoCircles()

    def use_circles(self, circles: Circles) -> None:
        """Keep people within their circles from now on (see :mod:`.circles`)."""
        self.circles = circles

    async def register(self, display_name: str, role: PersonRole, zone: str,
                       email: str | None = None) -> Person:
        """A new person with a fresh identity (``unknown_zone`` for a bad zone)."""
        check_zone_name(zone)
        person = Person(
            identity=new_identity(),
            display_name=display_name,
            role=role,
            zone=zone,
            email=email,
            created_at=datetime.fromtimestamp(int(self._clock.now()), UTC),
        )
        await self._store.add(person)
        return person

    async def record(self, identity: str) -> PersonRecord:
        """The person and their availability; ``person_not_found`` if unknown."""
        found = await self._store.get(identity)
        if found is None:
            raise RoomError("person_not_found")
        return found

    async def person(self, identity: str) -> Person:
        """The person; ``person_not_found`` if unknown."""
        return (await self.record(identity)).person

    async def records(self, identities: Sequence[str]) -> list[PersonRecord]:
        """Each person in order; ``person_not_found`` naming the first unknown one."""
        found = []
        for identity in identities:
            record = await self._store.get(identity)
            if record is None:
                raise RoomError("person_not_found", f"No person is registered as {identity!r}.")
            found.append(record)
        return found

    async def everyone(self, limit: int = MAX_PEOPLE_LISTED) -> list[Person]:
        """Everyone, by display name."""
        return await self._store.everyone(limit)

    async def counterparts(self, person: Person, met: Collection[str] = ()) -> list[Person]:
        """The people ``person`` usually schedules with (see ``PersonRole.counterparts``)
        in their circle, and those of them in ``met`` (people ``person`` has a session
        with) from other circles (see :mod:`.circles`)."""
        roles = person.role.counterparts()
        people = [p for p in await self._store.everyone()
                  if p.role in roles and p.identity != person.identity]
        circles = await self.circles.circles_of([person.identity,
                                                 *(p.identity for p in people)])
        return [p for p, circle in zip(people, circles[1:], strict=True)
                if circle == circles[0] or p.identity in met]

    async def save_availability(self, identity: str, availability: Availability) -> Person:
        """Store the person's availability (and move them to its zone)."""
        person = await self._store.save_availability(identity, availability)
        if person is None:
            raise RoomError("person_not_found")
        return person

    async def save_details(self, identity: str, display_name: str, role: PersonRole,
                           email: str | None) -> Person:
        """Rename the person (and change their role and e-mail); ``person_not_found``."""
        person = await self._store.save_details(identity, display_name, role, email)
        if person is None:
            raise RoomError("person_not_found")
        return person

    def feed_token(self, person: Person) -> str:
        """The person's current feed token."""
        return self._feeds.issue(person.identity, person.feed_version)

    async def renew_feed(self, identity: str) -> Person:
        """Revoke the person's feed URL; the person with their new feed version."""
        person = await self._store.renew_feed(identity)
        if person is None:
            raise RoomError("person_not_found")
        return person

    async def renew_link(self, identity: str) -> Person:
        """Revoke the person's schedule links; the person with their new token version."""
        person = await self._store.renew_link(identity)
        if person is None:
            raise RoomError("person_not_found")
        return person

    async def feed_owner(self, token: str) -> PersonRecord | None:
        """Whose feed ``token`` opens (None for a malformed, forged, unknown or revoked
        token). The MAC is checked first: a forged token never reaches the store."""
        verified = self._feeds.verify(token)
        if verified is None:
            return None
        identity, version = verified
        record = await self._store.get(identity)
        if record is None or record.person.feed_version != version:
            return None
        return record

    async def remove(self, identity: str) -> bool:
        """Forget the person (an import undone); True if they were present."""
        return await self._store.remove(identity)

    async def close(self) -> None:
        """Release the store's connections."""
        await self._store.close()
