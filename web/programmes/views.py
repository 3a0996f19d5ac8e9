"""Response bodies of the programmes API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from rooms.programmes.model import Intro, Participant, Programme
from rooms.programmes.wording import for_person
from rooms.scheduling.zones import load_zone

from ..scheduling.views import Instant, LocalTime, View, utc_text


class ProgrammeView(View):
    programme_id: str
    name: str
    created_at: Instant
    min_overlap_h: float
    require_shared_language: bool
    auto_book: bool
    coffee_every_weeks: int
    coffee_no_repeat_rounds: int
    published: bool
    mentors: int = 0
    mentees: int = 0


class ProgrammeLine(View):
    programme_id: str
    name: str
    created_at: Instant
    people: int = Field(description="people imported (mentors and mentees)")
    published: bool


class ProgrammeListView(View):
    programmes: list[ProgrammeLine] = Field(description="newest first")
    more: bool = Field(description="there are more programmes than listed (older ones)")


class ImportedPerson(View):
    key: str
    identity: str
    name: str
    role: str
    zone: str
    schedule_link: str


class PersonView(View):
    key: str
    name: str
    role: str
    zone: str
    capacity: int = Field(description="mentors: how many mentees; mentees: 0")
    coffee: bool


class PeopleView(View):
    people: list[PersonView]


class ImportedView(View):
    imported: int
    people: list[ImportedPerson]
    left: list[str] = Field(default_factory=list, description=(
        "keys of the people of the previous import who are not in this one: they left "
        "the programme (their upcoming sessions cancelled, their links revoked)"))


class RowErrorView(View):
    row: int
    key: str
    reason: str


class ImportErrorBody(BaseModel):
    """The 400 answer of a refused import: the error and every bad row."""

    error: dict[str, str]
    rows: list[RowErrorView]


class PairView(View):
    mentor: str
    mentee: str
    score: float
    overlap_h: float
    fit: float
    shared_languages: list[str]
    preference_rank: int | None
    explanation: str
    locked: bool


class UnmatchedView(View):
    mentee: str
    reason: str


class MatchingView(View):
    pairs: list[PairView]
    unmatched: list[UnmatchedView]
    total_score: float
    method: str
    fit_model: str
    week_of: date | None


class SlotTimes(View):
    start: Instant
    end: Instant
    mentor_local: LocalTime
    mentee_local: LocalTime


class IntroView(View):
    kind: Literal["mentoring", "coffee"]
    mentor: str
    mentee: str = Field(description="empty for the one sitting out a coffee round")
    explanation: str
    slots: list[SlotTimes]
    booking_id: str | None
    round_no: int | None = None


class IntrosView(View):
    intros: list[IntroView]


class OfferedTime(View):
    start: Instant
    end: Instant
    mine: LocalTime
    theirs: LocalTime


class MatchView(View):
    """One of a person's matches (a mentor with several mentees has one each)."""

    other_name: str
    other_zone: str
    explanation: str = Field(description="why they were matched, written to the caller")
    times: list[OfferedTime]
    booking_id: str | None


class MyIntroView(View):
    """A person's intro: whom they meet, why, and the offered times in both zones (the
    first match; ``matches`` has every one)."""

    programme_id: str
    programme: str
    role: str
    zone: str = Field(description="the zone of `mine` (the `zone` asked for, or the caller's)")
    other_name: str
    other_zone: str
    explanation: str = Field(description=(
        "why they were matched, written to the caller (days in `zone`), not the admin's"))
    times: list[OfferedTime]
    booking_id: str | None
    matches: list[MatchView] = Field(default_factory=list, description=(
        "every match of the caller, the first one included: a mentor with capacity > 1 "
        "has one per mentee, each offered different times"))


class AcceptedView(View):
    booking_id: str
    start: Instant
    end: Instant


class PairProgress(View):
    mentor: str
    mentee: str
    sessions_held: int
    no_shows: int = Field(description="ended sessions nobody joined")
    next_session: Instant | None
    open_action_items: int | None = Field(
        default=None, description="open items of the pair's shared notes (None: no notes)")


class RoundFigure(View):
    round_no: int
    pairs: int
    booked: int
    sitting_out: int


class DashboardView(View):
    mentors: int
    mentees: int
    matched: int
    unmatched: int
    published_intros: int
    first_sessions_booked: int
    sessions_held: int
    no_shows: int
    coffee_rounds: list[RoundFigure]
    pairs: list[PairProgress]


class IntroEvent(View):
    """The webhook body sent for each published intro (type ``programme.intro``)."""

    id: str
    type: Literal["programme.intro"]
    created_at: Instant
    programme_id: str
    programme: str
    mentor: dict[str, str]
    mentee: dict[str, str]
    explanation: str = Field(description="the admin's explanation (for comparing pairs)")
    mentor_explanation: str = Field(description=(
        "why they were matched, written to the mentor (days in the mentor's zone): what "
        "their schedule page shows, for an e-mail to them"))
    mentee_explanation: str = Field(description="the same, written to the mentee")
    slots: list[SlotTimes]
    booking_id: str | None


def programme_view(programme: Programme, people: list[Participant]) -> ProgrammeView:
    return ProgrammeView(
        programme_id=programme.programme_id, name=programme.name,
        created_at=utc_text(programme.created_at), min_overlap_h=programme.min_overlap_h,
        require_shared_language=programme.require_shared_language,
        auto_book=programme.auto_book, coffee_every_weeks=programme.coffee_every_weeks,
        coffee_no_repeat_rounds=programme.coffee_no_repeat_rounds,
        published=programme.published,
        mentors=sum(p.role.value == "mentor" for p in people),
        mentees=sum(p.role.value == "mentee" for p in people))


def slot_times(intro: Intro) -> list[SlotTimes]:
    return [SlotTimes(start=utc_text(s.start), end=utc_text(s.end),
                      mentor_local=s.mentor_local, mentee_local=s.mentee_local)
            for s in intro.slots]


def intro_view(intro: Intro) -> IntroView:
    return IntroView(kind="coffee" if intro.kind == "coffee" else "mentoring",
                     mentor=intro.mentor, mentee=intro.mentee, explanation=intro.explanation,
                     slots=slot_times(intro), booking_id=intro.booking_id,
                     round_no=intro.round_no)


def local_of(instant: datetime, zone: str) -> str:
    return instant.astimezone(load_zone(zone)).isoformat()


def match_view(programme: Programme, intro: Intro, me: Participant, other: Participant,
               shown: str) -> MatchView:
    """One match as the person ``me`` reads it, ``mine`` in the zone ``shown``."""
    times = [OfferedTime(start=utc_text(s.start), end=utc_text(s.end),
                         mine=local_of(s.start, shown), theirs=local_of(s.start, other.zone))
             for s in intro.slots]
    return MatchView(other_name=other.name, other_zone=other.zone,
                     explanation=for_person(programme, intro, me, other, shown),
                     times=times, booking_id=intro.booking_id)


def my_intro_view(programme: Programme, intros: list[Intro], me: Participant,
                  people: dict[str, Participant], zone: str | None = None) -> MyIntroView:
    """``mine`` in ``zone`` (the zone the person's page shows; default their own); the
    explanation written for them (rooms/programmes/wording.py), not the admin's. The top
    level is the first match; ``matches`` lists them all."""
    shown = zone or me.zone
    matches = [match_view(programme, intro, me,
                          people[intro.mentee if me.key == intro.mentor else intro.mentor],
                          shown) for intro in intros]
    first = matches[0]
    return MyIntroView(programme_id=programme.programme_id, programme=programme.name,
                       role=me.role.value, zone=shown, other_name=first.other_name,
                       other_zone=first.other_zone, explanation=first.explanation,
                       times=first.times, booking_id=first.booking_id, matches=matches)
