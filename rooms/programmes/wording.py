"""Why two people were matched, told to one of them (the schedule page's intro).

The admin's explanation (``2.5 h/week overlap, Mon/Tue mornings for Lee, Tue/Wed evenings
for Kenji; skills: data engineering ↔ goal: move into data engineering; both speak en;
Kenji's choice no. 1``) is written for someone comparing pairs. A person reads about
themselves and the other one, in their own time::

    You are both free Tue and Thu mornings (your time), about 2.5 hours a week; Lee's
    experience in data engineering matches your goal "move into data engineering"; you
    both speak English; you chose Lee first.
"""

from __future__ import annotations

from datetime import date

from rooms.programmes.model import Intro, Participant, Programme, Role
from rooms.programmes.overlap import describe, free_week, overlap_intervals, week_span

LANGUAGES = {"en": "English", "fr": "French", "de": "German", "es": "Spanish",
             "it": "Italian", "pt": "Portuguese", "nl": "Dutch", "sv": "Swedish",
             "pl": "Polish", "ru": "Russian", "tr": "Turkish", "ar": "Arabic",
             "hi": "Hindi", "zh": "Chinese", "ja": "Japanese", "ko": "Korean"}
ORDINALS = ("first", "second", "third")


def and_list(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def days_text(described: str) -> str:
    """``Mon/Tue mornings, Wed evenings`` -> ``Mon and Tue mornings and Wed evenings``."""
    parts = []
    for part in described.split(", "):
        days, _, when = part.partition(" ")
        parts.append(f"{and_list(days.split('/'))} {when}")
    return and_list(parts)


def hours_text(hours: float) -> str:
    rounded = round(hours * 2) / 2
    return f"{rounded:g} hour{'' if rounded == 1 else 's'}"


def week_of(programme: Programme, intro: Intro) -> date:
    """The week the intro speaks of: the matching's (as the admin's explanation), else its
    first offered time's, else the one it was sent in."""
    if intro.week_of is not None:
        return intro.week_of
    if intro.slots:
        return intro.slots[0].start.date()
    return (intro.sent_at or programme.created_at).date()


def for_person(programme: Programme, intro: Intro, me: Participant, other: Participant,
               zone: str | None = None) -> str:
    """The intro's reasons as ``me`` reads them, days in ``zone`` (default their own)."""
    span = week_span(week_of(programme, intro))
    common = overlap_intervals(free_week(me.availability(programme), span),
                               free_week(other.availability(programme), span))
    parts = []
    if common:
        hours = sum(end - start for start, end in common) / 3600
        shown = zone or me.zone
        clock = "your time" if shown == me.zone else f"{shown} time"
        parts.append(f"you are both free {days_text(describe(common, shown))} ({clock}), "
                     f"about {hours_text(hours)} a week")
    if intro.skill and intro.goal:
        if me.role is Role.MENTEE:
            parts.append(f"{other.name}'s experience in {intro.skill} matches your goal "
                         f"\u201c{intro.goal}\u201d")
        else:
            parts.append(f"your experience in {intro.skill} matches {other.name}'s goal "
                         f"\u201c{intro.goal}\u201d")
    languages = [LANGUAGES.get(tag.lower(), tag)
                 for tag in sorted(set(me.languages) & set(other.languages))]
    if languages:
        parts.append(f"you both speak {and_list(languages)}")
    mentee, mentor = (me, other) if me.role is Role.MENTEE else (other, me)
    if mentor.key in mentee.preferences[:len(ORDINALS)]:
        rank = ORDINALS[mentee.preferences.index(mentor.key)]
        parts.append(f"you chose {other.name} {rank}" if me is mentee
                     else f"{other.name} chose you {rank}")
    if not parts:
        return f"The programme matched you with {other.name}."
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."
