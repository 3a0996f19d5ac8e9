"""Times held for a group of people: nobody else may book any of them then.

A programme offers each new pair three first-session times (an intro). Until the pair
accepts one of them (or the times pass) those times are held for the pair: the slot
search does not offer them to anyone else with either person, and a booking of either
person with someone else at (or within the buffer of) a held time is refused
``slot_taken`` with a sentence saying why. A booking whose people include all of the
hold's (the pair's own, a roundtable with both) is not held up. :mod:`rooms.programmes`
registers the holds (:meth:`HeldTimes.use`); without it nothing is held.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from rooms.errors import RoomError
from rooms.scheduling.slots import BusySpan


@dataclass(frozen=True)
class Hold:
    """[start, end) held for ``people``."""

    start: datetime
    end: datetime
    people: frozenset[str]


class Holds(Protocol):
    """The held times of a person."""

    async def holds_for(self, identity: str) -> list[Hold]:
        """Every time held for a group ``identity`` belongs to (past ones may be left)."""
        ...


class NoHolds:
    async def holds_for(self, identity: str) -> list[Hold]:
        return []


class HeldTimes:
    """The held times the scheduling service keeps clear for their people."""

    def __init__(self) -> None:
        self._holds: Holds = NoHolds()

    def use(self, holds: Holds) -> None:
        self._holds = holds

    async def against(self, identity: str, people: Collection[str]) -> list[Hold]:
        """The holds of ``identity`` that a session of ``people`` must keep clear of."""
        return [h for h in await self._holds.holds_for(identity)
                if not h.people <= set(people)]

    async def busy(self, identity: str, people: Collection[str],
                   buffer_s: int) -> list[BusySpan]:
        """Those holds as commitments for the slot search."""
        return [BusySpan(h.start, h.end, buffer_s)
                for h in await self.against(identity, people)]

    async def check(self, names: Mapping[str, str],
                    spans: Sequence[tuple[datetime, datetime]], buffer_min: int) -> None:
        """``slot_taken`` if a session of the people ``names`` (identity → display name)
        at any of ``spans`` comes within ``buffer_min`` of a time held for some of them
        with someone else."""
        gap = timedelta(minutes=buffer_min)
        for identity, name in names.items():
            for hold in await self.against(identity, names):
                if any(s < hold.end + gap and hold.start < e + gap for s, e in spans):
                    raise RoomError(
                        "slot_taken",
                        f"That time is held for {name}: their programme offered it for "
                        "a first session that has not been answered yet. Pick another "
                        "time.")
