"""The programme domain: a programme, its participants, proposed pairs and intros.

A :class:`Participant` is a row of the import (role, zone, languages, skills or goals,
capacity, exclusion groups, ranked preferences, weekly availability) linked to a person of
the scheduling directory (``identity``) so that they can be booked. Availability is the
scheduling :class:`~rooms.scheduling.availability.Availability`; a participant without
their own uses the programme's default windows in their zone.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import Field

from rooms.models import DisplayName, Identity, WireModel
from rooms.scheduling.availability import Availability, Weekday, Window
from rooms.scheduling.zones import UtcDatetime, ZoneName

MAX_PARTICIPANTS = 5000
MAX_TAGS = 30
MAX_CAPACITY = 50
Key = str  # the participant's id in the import (e-mail or HR id), unique per programme


class Role(StrEnum):
    MENTOR = "mentor"
    MENTEE = "mentee"


class Programme(WireModel):
    """A mentoring programme and its matching settings."""

    programme_id: str
    name: DisplayName
    created_at: UtcDatetime
    default_weekly: dict[Weekday, tuple[Window, ...]] = Field(default_factory=dict)
    min_overlap_h: float = Field(default=1.0, ge=0, le=40)
    require_shared_language: bool = True
    auto_book: bool = False
    session_min: int = 30
    coffee_every_weeks: int = Field(default=1, ge=1, le=2)
    coffee_no_repeat_rounds: int = Field(default=4, ge=0, le=52)
    published: bool = False


class ProgrammeSummary(WireModel):
    """A programme in the list of programmes (to find a programme whose id was lost)."""

    programme_id: str
    name: DisplayName
    created_at: UtcDatetime
    people: int = 0
    published: bool = False


class Participant(WireModel):
    """One imported person of a programme."""

    key: Key = Field(min_length=1, max_length=128)
    identity: Identity  # their person in the scheduling directory
    name: DisplayName
    role: Role
    zone: ZoneName
    languages: tuple[str, ...] = Field(default=(), max_length=MAX_TAGS)
    skills: tuple[str, ...] = Field(default=(), max_length=MAX_TAGS)
    goals: tuple[str, ...] = Field(default=(), max_length=MAX_TAGS)
    capacity: int = Field(default=0, ge=0, le=MAX_CAPACITY)
    exclusions: tuple[str, ...] = Field(default=(), max_length=MAX_TAGS)
    preferences: tuple[Key, ...] = Field(default=(), max_length=10)  # mentees: mentor keys
    weekly: dict[Weekday, tuple[Window, ...]] | None = None
    coffee: bool = True  # in the coffee-round pool

    def availability(self, programme: Programme) -> Availability:
        """Their weekly windows (or the programme's default) in their zone."""
        weekly = self.weekly if self.weekly is not None else programme.default_weekly
        return Availability(zone=self.zone, weekly=weekly)


class Pair(WireModel):
    """A proposed (or locked) mentor-mentee pair with its score and explanation."""

    mentor: Key
    mentee: Key
    score: float
    overlap_h: float
    fit: float
    shared_languages: tuple[str, ...] = ()
    preference_rank: int | None = None
    explanation: str
    locked: bool = False
    skill: str | None = None  # the skill and the goal that fit best (for the wording)
    goal: str | None = None


class Unmatched(WireModel):
    """A mentee left without a mentor, and why."""

    mentee: Key
    reason: str


class Matching(WireModel):
    """The latest matching of a programme."""

    pairs: tuple[Pair, ...] = ()
    unmatched: tuple[Unmatched, ...] = ()
    total_score: float = 0.0
    method: str = ""
    fit_model: str = ""
    week_of: date | None = None


class IntroSlot(WireModel):
    """A proposed first-session time, in UTC and in both people's local times."""

    start: UtcDatetime
    end: UtcDatetime
    mentor_local: str
    mentee_local: str


class Intro(WireModel):
    """What a pair is told on publishing: each other, why, and three first-session times."""

    mentor: Key
    mentee: Key
    explanation: str
    slots: tuple[IntroSlot, ...] = ()
    booking_id: str | None = None
    kind: str = "mentoring"  # or "coffee"
    round_no: int | None = None
    sent_at: UtcDatetime | None = None  # None: published before this was recorded
    accepted_by: Key | None = None  # who accepted an offered time (None: not, or auto-booked)
    skill: str | None = None  # the pair's best skill/goal fit (rooms/programmes/wording.py)
    goal: str | None = None
    week_of: date | None = None  # the week the matching measured their common time in
    identities: tuple[str, ...] = ()  # (mentor, mentee) in the directory, for holding the
                                      # offered times (rooms/scheduling/holds.py); () in
                                      # intros published before it was recorded


class SessionRecord(WireModel):
    """A session booked between two people of a programme, kept for its progress figures
    after the booking store has forgotten it (``room_id``: the live room, for attendance)."""

    booking_id: str
    people: tuple[Identity, ...]
    start: UtcDatetime
    end: UtcDatetime
    room_id: str
    cancelled: bool = False
