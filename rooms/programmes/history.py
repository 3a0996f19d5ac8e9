"""A programme's history for its admin: the introductions sent and the coffee rounds held.

Each intro's state:

* ``proposed``: sent with its offered times; nobody has picked one yet;
* ``accepted``: one of the two accepted an offered time, which booked the session;
* ``booked``: the programme booked the first session itself (``auto_book``, and every
  coffee);
* ``cancelled``: it was booked, and that session was cancelled since.

The session (start, end, cancelled) comes from the programme's session records, which
outlive the booking store's copy (see :mod:`.progress`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from rooms.programmes.model import Intro, SessionRecord
from rooms.programmes.store import ProgrammeStore


class IntroState(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    BOOKED = "booked"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class SentIntro:
    """An intro as sent, what became of it, and its session if one was booked."""

    intro: Intro
    state: IntroState
    session: SessionRecord | None


@dataclass(frozen=True)
class CoffeeRound:
    round_no: int
    pairs: list[SentIntro]
    sitting_out: list[str]


def sent(intro: Intro, sessions: dict[str, SessionRecord]) -> SentIntro:
    session = sessions.get(intro.booking_id) if intro.booking_id else None
    if intro.booking_id is None:
        state = IntroState.PROPOSED
    elif session is not None and session.cancelled:
        state = IntroState.CANCELLED
    elif intro.accepted_by is not None:
        state = IntroState.ACCEPTED
    else:
        state = IntroState.BOOKED
    return SentIntro(intro, state, session)


async def _sessions(store: ProgrammeStore, programme_id: str) -> dict[str, SessionRecord]:
    return {s.booking_id: s for s in await store.sessions(programme_id)}


async def intros_sent(store: ProgrammeStore, programme_id: str) -> list[SentIntro]:
    """The mentoring intros of the last publish, in the matching's order (by mentee)."""
    sessions = await _sessions(store, programme_id)
    return [sent(i, sessions) for i in await store.intros(programme_id)]


async def coffee_rounds(store: ProgrammeStore, programme_id: str) -> list[CoffeeRound]:
    """Every coffee round, newest first."""
    sessions = await _sessions(store, programme_id)
    rounds = []
    for number, intros in enumerate(await store.coffee_rounds(programme_id), start=1):
        rounds.append(CoffeeRound(
            round_no=number, pairs=[sent(i, sessions) for i in intros if i.mentee],
            sitting_out=[i.mentor for i in intros if not i.mentee]))
    return rounds[::-1]
