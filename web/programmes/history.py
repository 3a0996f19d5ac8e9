"""Response bodies of a programme's history: the intros sent and the coffee rounds."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from rooms.programmes.history import CoffeeRound, SentIntro
from rooms.programmes.model import Participant

from ..scheduling.views import Instant, View, utc_text
from .views import SlotTimes, slot_times


class BookedSessionView(View):
    booking_id: str
    start: Instant
    end: Instant
    cancelled: bool


class SentIntroView(View):
    kind: Literal["mentoring", "coffee"]
    mentor: str
    mentee: str
    mentor_name: str = Field(description="empty if they have left the programme since")
    mentee_name: str = Field(description="empty if they have left the programme since")
    state: Literal["proposed", "accepted", "booked", "cancelled"] = Field(description=(
        "proposed: sent, no time picked yet; accepted: one of them accepted an offered "
        "time; booked: the programme booked it (auto_book, coffees); cancelled: booked, "
        "then cancelled"))
    sent_at: Instant | None
    accepted_by: str | None = Field(description="the key of who accepted, if anyone")
    explanation: str
    offered: list[SlotTimes]
    session: BookedSessionView | None = Field(description="the booked session, once booked")


class IntroHistoryView(View):
    intros: list[SentIntroView]


class CoffeeRoundView(View):
    round_no: int
    sent_at: Instant | None
    pairs: list[SentIntroView]
    sitting_out: list[str]


class CoffeeHistoryView(View):
    rounds: list[CoffeeRoundView] = Field(description="newest first")


def sent_intro_view(item: SentIntro, people: dict[str, Participant]) -> SentIntroView:
    intro, session = item.intro, item.session

    def name(key: str) -> str:
        return people[key].name if key in people else ""

    return SentIntroView(
        kind="coffee" if intro.kind == "coffee" else "mentoring", mentor=intro.mentor,
        mentee=intro.mentee, mentor_name=name(intro.mentor), mentee_name=name(intro.mentee),
        state=item.state.value, sent_at=utc_text(intro.sent_at) if intro.sent_at else None,
        accepted_by=intro.accepted_by, explanation=intro.explanation,
        offered=slot_times(intro),
        session=None if session is None else BookedSessionView(
            booking_id=session.booking_id, start=utc_text(session.start),
            end=utc_text(session.end), cancelled=session.cancelled))


def coffee_history_view(rounds: list[CoffeeRound],
                        people: dict[str, Participant]) -> CoffeeHistoryView:
    return CoffeeHistoryView(rounds=[CoffeeRoundView(
        round_no=r.round_no,
        sent_at=next((utc_text(p.intro.sent_at) for p in r.pairs if p.intro.sent_at), None),
        pairs=[sent_intro_view(p, people) for p in r.pairs],
        sitting_out=r.sitting_out) for r in rounds])
