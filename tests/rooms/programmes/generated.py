"""Generated programmes with planted best pairs (for the matching tests and the bench)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from rooms.programmes.model import Participant, Programme, Role
from rooms.scheduling import tzdb
from rooms.scheduling.availability import Weekday, Window

from .phrases import FIELDS, INDUSTRIES

ZONES = (
    "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York",
    "America/Sao_Paulo", "America/Santiago", "America/Halifax", "Atlantic/Azores",
    "Europe/London", "Europe/Paris", "Europe/Helsinki", "Africa/Nairobi", "Asia/Dubai",
    "Asia/Kolkata", "Asia/Kathmandu", "Asia/Dhaka", "Asia/Bangkok", "Asia/Shanghai",
    "Asia/Tokyo", "Australia/Adelaide", "Australia/Sydney", "Australia/Lord_Howe",
    "Pacific/Auckland", "Pacific/Chatham", "Pacific/Honolulu",
)
WEEK_OF = date(2026, 3, 11)
PROGRAMME = Programme(programme_id="p1", name="Generated",
                      created_at=datetime(2026, 1, 1, tzinfo=UTC), min_overlap_h=1.0)


def _offset_min(zone: str, week_of: date) -> int:
    tz: ZoneInfo | None = tzdb.load(zone)
    assert tz is not None
    off = datetime.combine(week_of, time(12), tz).utcoffset()
    assert off is not None
    return int(off.total_seconds() // 60)


def windows_for(utc_start_min: int, length_min: int, zone: str,
                week_of: date) -> dict[Weekday, tuple[Window, ...]]:
    """Every day, the local window that is [utc_start, +length) UTC in that week."""
    start = (utc_start_min + _offset_min(zone, week_of)) % 1440
    end = start + length_min
    parts: list[Window] = []
    if end <= 1440:
        parts.append((time(start // 60, start % 60), time((end // 60) % 24, end % 60)))
    else:
        parts.append((time(start // 60, start % 60), time(0, 0)))
        parts.append((time(0, 0), time((end - 1440) // 60, (end - 1440) % 60)))
    return {day: tuple(sorted(parts)) for day in Weekday}


def skills_of(mentor: int) -> tuple[str, str]:
    """Mentor ``i``'s field and industry: a pair no other of the first 720 mentors has."""
    return (FIELDS[mentor % len(FIELDS)][0],
            INDUSTRIES[(7 * mentor + mentor // len(FIELDS)) % len(INDUSTRIES)][0])


def goals_of(mentor: int) -> tuple[str, str]:
    """The goals of a mentee planted with mentor ``i``: a clear fit with their skills."""
    field, industry = skills_of(mentor)
    return (f"grow in {field}", f"work in {industry}")


def generate(seed: int, mentees: int = 200, mentors: int = 60,
             zones: tuple[str, ...] = ZONES) -> tuple[list[Participant], dict[str, str]]:
    """People and the planted mentor of each mentee."""
    rng = random.Random(seed)
    capacity = -(-mentees // mentors) + 1
    people: list[Participant] = []
    planted: dict[str, str] = {}
    starts: list[int] = []
    for i in range(mentors):
        zone = zones[i % len(zones)]
        start = rng.randrange(0, 1440 // 15) * 15
        starts.append(start)
        people.append(Participant(
            key=f"mentor{i}", identity=f"id-mentor{i}", name=f"Mentor {i}", role=Role.MENTOR,
            zone=zone, languages=("en",), skills=skills_of(i),
            capacity=capacity, exclusions=(f"dept{rng.randrange(8)}",),
            weekly=windows_for(start, 180, zone, WEEK_OF)))
    for j in range(mentees):
        mentor = j % mentors
        zone = zones[rng.randrange(len(zones))]
        dept = f"dept{rng.randrange(8)}"
        mentor_dept = people[mentor].exclusions[0]
        if dept == mentor_dept:  # a planted pair must be allowed
            dept = f"dept{(int(dept[4:]) + 1) % 8}"
        people.append(Participant(
            key=f"mentee{j}", identity=f"id-mentee{j}", name=f"Mentee {j}", role=Role.MENTEE,
            zone=zone, languages=("en",), goals=goals_of(mentor),
            exclusions=(dept,),
            weekly=windows_for(starts[mentor] + rng.choice((0, 30, 60)), 150, zone, WEEK_OF)))
        planted[f"mentee{j}"] = f"mentor{mentor}"
    return people, planted
