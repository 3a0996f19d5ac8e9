"""Who may find and book whom: people meet within their circle.

A circle is a group the layers above keep people in, e.g. a mentoring programme
(:mod:`rooms.programmes` registers one :class:`Circles` with the directory). Two people
are in the same circle when :meth:`Circles.circles_of` gives both the same name, and
people in no circle (``None``: registered on their own, the stand-alone scheduling) share
the circle of everyone else in none. A person sees (``/api/me`` ``counterparts``), looks
for times with and books only people of their own circle, and people they already have
an upcoming session with; otherwise ``outside_programme``. Without a registered
:class:`Circles` everyone is in none, so everyone meets everyone (by role).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

from rooms.errors import RoomError
from rooms.scheduling.people import PersonRecord


class Circles(Protocol):
    """The circle of each person."""

    async def circles_of(self, identities: Sequence[str]) -> list[str | None]:
        """The circle of each identity, in order (None: in no circle)."""
        ...


class NoCircles:
    """Everyone in no circle: nobody's view is limited."""

    async def circles_of(self, identities: Sequence[str]) -> list[str | None]:
        return [None] * len(identities)


def check_reachable(strangers: Sequence[PersonRecord], met: Collection[str]) -> None:
    """``outside_programme`` for the first of ``strangers`` (people of another circle than
    the caller's) whom the caller has no session with (``met``)."""
    for record in strangers:
        if record.person.identity not in met:
            raise RoomError(
                "outside_programme",
                f"{record.person.display_name} is not in your programme: you can find "
                "times with and book only people of your own programme (or people you "
                "already have a session with).")
