"""Whom a person may find times with and book: their circle (:mod:`.circles`), and
anyone they already have an upcoming session with."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from rooms.scheduling.bookings import Booking
from rooms.scheduling.circles import check_reachable
from rooms.scheduling.directory import PeopleDirectory
from rooms.scheduling.people import Person, PersonRecord


class Reach:
    """The circle rules over a directory and a person's upcoming sessions."""

    def __init__(self, directory: PeopleDirectory,
                 upcoming: Callable[[str], Awaitable[list[Booking]]]) -> None:
        self._directory = directory
        self._upcoming = upcoming

    async def met(self, identity: str) -> set[str]:
        """Everyone ``identity`` has an upcoming session with."""
        return {p for b in await self._upcoming(identity) for p in b.people}

    async def counterparts(self, person: Person) -> list[Person]:
        """The people ``person`` may find times with: their circle's counterparts and
        anyone they have an upcoming session with."""
        return await self._directory.counterparts(person, await self.met(person.identity))

    async def check(self, caller: Person, records: Sequence[PersonRecord]) -> None:
        """``outside_programme`` unless each person shares ``caller``'s circle or has an
        upcoming session with them."""
        circles = await self._directory.circles.circles_of(
            [caller.identity, *(r.person.identity for r in records)])
        strangers = [r for r, c in zip(records, circles[1:], strict=True) if c != circles[0]]
        if strangers:
            check_reachable(strangers, await self.met(caller.identity))
